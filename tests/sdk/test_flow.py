"""The SDK README's script, run as written against a real Sparki with a real runtime agent and
worker: create a project and a service, deploy, follow the logs, wait for the deployment.
Then the rest of a service's life through the SDK."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sparki

from tests.services.conftest import wait_for

pytestmark = pytest.mark.slow

SDK = Path(__file__).resolve().parents[2] / "sdk" / "python"
EXAMPLE = SDK / "examples" / "deploy.py"


def test_the_readme_shows_the_example_script_as_it_is():
    readme = (SDK / "README.md").read_text()
    assert EXAMPLE.read_text().split('"""', 2)[2].strip() in readme


def test_the_readme_script_deploys_and_follows_logs(live_server, factory, admin_id, agent, worker):
    key = factory.api_key(admin_id)
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
        "SPARKI_API_KEY": key,
        "SPARKI_BASE_URL": live_server.url,
    }
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout.splitlines()
    assert out[0].startswith("deploying hello: deploy-") and out[0].endswith("(in-progress)")
    assert len(out) == 5, out  # three log lines between
    assert all(" hello-r1-" in line for line in out[1:4]), out
    assert out[4].startswith("deployment deploy-") and ": success in " in out[4], out

    client = sparki.Client(api_key=key, base_url=live_server.url, backoff_base=0.05)
    (project,) = client.projects.list().data
    (service,) = client.services.list(project=project.id).data
    _service_life(client, service.id)


def _service_life(client: sparki.Client, service_id: str) -> None:
    service = client.services.get(service_id)
    assert service.status == "running" and service.replicas.ready == 1
    assert service.current_revision == 1

    check = wait_for(
        lambda: (c := client.services.check(service_id)).status == "healthy" and c,
        what="a healthy check",
    )
    assert check.elapsed_ms is not None and check.elapsed_ms >= 0

    # The proxy reaches the replica (python's http.server lists its working directory).
    answer = client.services.proxy(service_id, "", params={"from": "sdk"})
    assert answer.status_code == 200 and b"Directory listing" in answer.content
    logs = wait_for(
        lambda: [
            line
            for line in client.services.logs(service_id, lines=500)
            if "from=sdk" in line.message
        ],
        what="the proxied request in the logs",
    )
    assert logs[0].pod.startswith("hello-r1-")

    # Following again from a line resumes after it: nothing before it comes back.
    stream = client.services.follow_logs(service_id, last_event_id=logs[0].id)
    client.services.proxy(service_id, "", params={"again": "1"})
    later = list(itertools.islice(stream, 1))
    stream.close()
    assert _stream_position(later[0].id) > _stream_position(logs[0].id)

    cluster = client.infrastructure.cluster_status()
    assert cluster.runtime == "local" and cluster.nodes.total == 1
    nodes = client.infrastructure.nodes()
    assert len(nodes.data) == 1 and nodes.data[0].name
    metrics = client.infrastructure.metrics()
    assert metrics.cluster.cpu.allocatable > 0
    assert client.infrastructure.history(window="15m").window_seconds == 900

    # A revision that never answers its health path fails on the ready timeout (8 s here):
    # wait() gives up first when told to, then sees the failure and raises when asked to.
    slow = client.services.deploy(service_id, command="sleep 60")
    with pytest.raises(sparki.WaitTimeoutError) as caught:
        client.deployments.wait(slow.id, timeout=0)
    assert caught.value.last.status == "in-progress"
    with pytest.raises(sparki.DeploymentFailedError) as caught:
        client.deployments.wait(slow.id, timeout=240, interval=0.2, raise_on_failure=True)
    assert "did not become ready" in caught.value.deployment.message
    restarted = client.services.restart(service_id)
    assert client.deployments.wait(restarted.id, timeout=240, interval=0.2).status == "success"
    back = client.services.rollback(service_id, revision=1)
    assert back.target_image == "python:3"
    assert client.deployments.wait(back.id, timeout=240, interval=0.2).status == "success"
    assert [d.status for d in client.services.deployments(service_id)][-1] == "success"

    assert client.services.stop(service_id).id == service_id
    wait_for(
        lambda: client.services.get(service_id).status == "stopped", what="the service to stop"
    )
    assert client.services.start(service_id).id == service_id
    wait_for(
        lambda: client.services.get(service_id).replicas.ready == 1, what="a ready replica again"
    )
    assert client.services.delete(service_id).success


def _stream_position(line_id: str) -> tuple[int, int]:
    """A log line's id is a Redis stream id, `<milliseconds>-<sequence>`."""
    ms, _, seq = line_id.partition("-")
    return int(ms), int(seq or 0)
