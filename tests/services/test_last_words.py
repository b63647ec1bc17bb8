"""A process's last words are kept: a last line without a newline is flushed when the process
exits (never glued to the next run's first line), the last lines of crashed runs are kept per
revision after the failed rollout is undone, and the failed deployment's reason quotes them."""

from __future__ import annotations

import pytest

from blueprints.services.runtime.agent import Agent
from tests.services.test_integration import _deploy, _deployed, _finished

FATAL = "fatal: DATABASE_URL is not set"


def test_a_last_line_without_a_newline_waits_for_its_end_unless_the_process_exited(tmp_path):
    out = tmp_path / "replica.out"
    out.write_bytes(b"starting\nfatal: no newline")
    assert Agent._read_lines(str(out), 0) == (["starting"], 9)
    lines, offset = Agent._read_lines(str(out), 9, final=True)
    assert lines == ["fatal: no newline"] and offset == out.stat().st_size
    with out.open("ab") as fh:  # the next run appends to the same file
        fh.write(b"second run\n")
    assert Agent._read_lines(str(out), offset) == (["second run"], out.stat().st_size)


@pytest.mark.slow
def test_a_crashed_replicas_last_words_are_logged_kept_and_named_in_the_reason(
    app, api_as, setup, agent, worker
):
    api = api_as(setup.maintainer)
    svc = _deployed(api, setup.project, name="api")
    sid = svc["id"]
    failed = _finished(api, _deploy(api, sid, command=f"printf '{FATAL}'; exit 1")["id"])
    assert failed["status"] == "failed"
    reason = failed["message"]
    assert "crash-looping" in reason and "last output of api-r2-" in reason, reason
    assert reason.endswith(FATAL), reason

    lines = [e["message"] for e in api.get(f"/api/v1/services/{sid}/logs?lines=500").json["logs"]]
    fatal = [line for line in lines if "fatal" in line]
    # One line per run, each on its own: never glued to the next run's first line.
    assert len(fatal) >= 2 and set(fatal) == {FATAL}, fatal

    from blueprints.services.runtime import get_runtime

    with app.app_context():
        runs = get_runtime().failed_runs(sid, 2)
    assert runs and all(run["lines"] == [FATAL] and run["exitCode"] == 1 for run in runs)
    assert all(run["pod"].startswith("api-r2-") for run in runs)
    # The old revision kept serving, and its replicas are not among the failed runs.
    assert api.get(f"/api/v1/services/{sid}").json["currentRevision"] == 1
