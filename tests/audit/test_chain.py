"""One trail from a deploy to the events it emitted and the webhook deliveries of those
events, in the API and on the Audit page (no agent: the deploy stays queued; the request's
own event, deployment.created, is delivered by an in-process worker)."""

from __future__ import annotations

from tests.services.conftest import HTTP_SERVER


def test_a_deploy_links_to_its_events_and_their_deliveries(
    app,
    api_as,
    login_as,
    setup,
    receiver,
    work,
):
    api = api_as(setup.admin)
    hook = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["deployment.*"]})
    assert hook.status_code == 201, hook.get_json()
    svc = api.post(
        "/api/v1/services",
        json={"projectId": setup.project, "name": "web", "image": "app:v1", "command": HTTP_SERVER},
    ).get_json()
    deploy = api.post(f"/api/v1/services/{svc['id']}/deploy", json={})
    assert deploy.status_code == 202, deploy.get_json()
    deployment_id = deploy.get_json()["deploymentId"]
    work(until=lambda: len(receiver.requests) >= 1)

    log = api.get("/api/v1/audit-log", query_string={"target": deployment_id}).get_json()["data"]
    assert [e["action"] for e in log] == ["services.deploy"]
    [entry] = log
    assert entry["target"] == {"type": "service", "id": svc["id"]}
    assert entry["requestId"] == deploy.headers["X-Request-Id"]
    chain = api.get(f"/api/v1/audit-log/{entry['id']}").get_json()["chain"]
    assert chain["deployments"] == [deployment_id]
    [event] = [e for e in chain["events"] if e["type"] == "deployment.created"]
    [delivery] = [d for d in chain["deliveries"] if d["eventId"] == event["id"]]
    assert delivery["webhookId"] == hook.get_json()["id"] and delivery["status"] == "succeeded"

    page = login_as(setup.admin).get(f"/audit/{entry['id']}").get_data(as_text=True)
    for text in (deployment_id, event["id"], delivery["id"], f"/webhooks/{delivery['webhookId']}"):
        assert text in page
