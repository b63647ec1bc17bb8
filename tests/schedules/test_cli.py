"""The CLI through Click's runner: the same domain functions as the API."""

from __future__ import annotations

import json

from .fakes import KEY


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_sources_workflows_schedules_tasks(app, factory, langflow, run_jobs):
    from blueprints.core.extensions import db
    from blueprints.users.models import Organization

    org_id = factory.org("Cli Co")
    factory.user(org_id, roles=["admin"], email="cli@example.com")
    with app.app_context():
        slug = db.session.get(Organization, org_id).slug
    src = json.loads(
        _run(
            app,
            "sources",
            "add",
            langflow.url,
            "--name",
            "lf",
            "--type",
            "langflow",
            "--api-key",
            KEY,
            "--org",
            slug,
            "--json",
        )
    )
    assert "apiKey" not in src and src["status"] == "active"
    assert "2 new" in _run(app, "sources", "sync", src["id"], "--org", slug)
    listing = _run(app, "workflows", "list", "--org", slug)
    assert "Summarizer" in listing and "Translator" in listing
    wf = json.loads(_run(app, "workflows", "list", "--org", slug, "--json", "--search", "Summ"))[0]
    task = json.loads(
        _run(app, "workflows", "run", wf["id"], "--input", "hey", "--org", slug, "--json")
    )
    assert task["trigger"] == "cli"  # not "api": the task page says how it was started
    run_jobs()
    shown = json.loads(_run(app, "tasks", "show", task["id"], "--org", slug, "--json"))
    assert shown["outputText"] == "echo: hey"
    sched = json.loads(
        _run(
            app,
            "schedules",
            "create",
            "--workflow",
            wf["id"],
            "--type",
            "cron",
            "--expression",
            "0 9 * * 1-5",
            "--timezone",
            "Europe/Berlin",
            "--org",
            slug,
            "--json",
        )
    )
    assert len(sched["nextRuns"]) == 5
    assert '"active": false' in _run(
        app, "schedules", "pause", sched["id"], "--org", slug, "--json"
    )
    assert "True" in _run(app, "schedules", "resume", sched["id"], "--org", slug)
    bad = app.test_cli_runner().invoke(
        args=[
            "schedules",
            "create",
            "--workflow",
            wf["id"],
            "--type",
            "cron",
            "--expression",
            "* * *",
            "--org",
            slug,
        ]
    )
    assert bad.exit_code != 0 and "exactly 5 fields" in bad.output
    # A failed run retried, a pending one cancelled, a schedule run now, all from the CLI.
    langflow.key = "rotated"
    failed = json.loads(
        _run(app, "workflows", "run", wf["id"], "--input", "again", "--org", slug, "--json")
    )
    run_jobs()
    assert '"status": "failed"' in _run(app, "tasks", "show", failed["id"], "--org", slug, "--json")
    langflow.key = KEY
    retried = json.loads(_run(app, "tasks", "retry", failed["id"], "--org", slug, "--json"))
    assert retried["retryOf"] == failed["id"]
    now = json.loads(_run(app, "schedules", "run-now", sched["id"], "--org", slug, "--json"))
    assert now["trigger"] == "run_now" and now["status"] == "pending"
    cancelled = json.loads(_run(app, "tasks", "cancel", now["id"], "--org", slug, "--json"))
    assert cancelled["status"] == "cancelled"
    run_jobs()
    done = json.loads(_run(app, "tasks", "show", retried["id"], "--org", slug, "--json"))
    assert done["status"] == "completed" and done["outputText"] == "echo: again"
    listed = _run(app, "tasks", "list", "--org", slug)
    assert "cancelled" in listed and "failed" in listed and "completed" in listed
    assert "deleted" in _run(app, "schedules", "delete", sched["id"], "--org", slug)
    for group in ("sources", "workflows", "schedules", "tasks"):
        assert "--help" in _run(app, group, "--help") or "Usage" in _run(app, group, "--help")
    assert "--json" in _run(app, "tasks", "retry", "--help")
