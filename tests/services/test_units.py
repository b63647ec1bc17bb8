"""Unit tests: the agent's reconcile plan, rollout steps, log levels and revision bookkeeping."""

from __future__ import annotations

import pytest

from blueprints.services.rollout import next_step
from blueprints.services.runtime.base import ReplicaSetSpec
from blueprints.services.runtime.logs import classify
from blueprints.services.runtime.reconcile import ReplicaRecord, backoff_seconds, plan


def rec(pod, service="svc-a", key="k1", state="running", ready=True, started=0.0, **kw):
    return ReplicaRecord(
        pod=pod,
        service_id=service,
        org_id="org-1",
        set_key=key,
        revision=1,
        port=1,
        state=state,
        ready=ready,
        started_at=started,
        **kw,
    )


def test_plan_starts_missing_and_stops_surplus_replicas():
    p = plan({"svc-a": {"k1": 3}}, [rec("a")], now=100)
    assert p.start == [("svc-a", "k1"), ("svc-a", "k1")] and not p.stop
    p = plan(
        {"svc-a": {"k1": 1}},
        [rec("a", started=1), rec("b", started=2, ready=False), rec("c", started=3)],
        now=100,
    )
    assert sorted(p.stop) == ["b", "c"]  # the unready one first, then the newest


def test_plan_stops_what_is_no_longer_desired():
    p = plan({"svc-a": {"k2": 1}}, [rec("old", key="k1"), rec("x", service="svc-gone")], 100)
    assert p.start == [("svc-a", "k2")] and sorted(p.stop) == ["old", "x"]
    assert plan({}, [rec("a", state="stopping")], 100).empty()


def test_plan_restarts_crashed_replicas_after_their_backoff():
    crashed = rec("a", state="crashed", ready=False, next_start_at=105.0)
    assert plan({"svc-a": {"k1": 1}}, [crashed], now=104).empty()  # still backing off
    p = plan({"svc-a": {"k1": 1}}, [crashed], now=105)
    assert p.restart == ["a"] and not p.start  # it keeps its slot: no duplicate
    p = plan({"svc-a": {"k1": 1}}, [crashed, rec("b")], now=200)
    assert p.stop == ["a"] and not p.restart  # surplus crashed replicas go first


def test_backoff_doubles_up_to_thirty_seconds():
    assert [backoff_seconds(n) for n in range(8)] == [0, 1, 2, 4, 8, 16, 30, 30]


def spec(key, replicas, revision=1):
    return ReplicaSetSpec(
        key=key,
        revision=revision,
        image=f"app:v{revision}",
        command="run",
        env={},
        replicas=replicas,
    )


def _simulate(sets, target, strategy):
    steps = []
    while True:
        step = next_step(sets, target, strategy)
        steps.append([(s.key, s.replicas) for s in step.sets])
        if step.done:
            return steps
        sets = step.sets


def test_rolling_update_starts_one_new_then_stops_one_old():
    steps = _simulate([spec("old", 2)], spec("new", 2, 2), "rolling-update")
    assert steps == [
        [("old", 2), ("new", 1)],
        [("old", 1), ("new", 1)],
        [("old", 1), ("new", 2)],
        [("new", 2)],
        [("new", 2)],
    ]
    # Never fewer than the goal serving, never more than one over it.
    for sets in steps:
        assert 2 <= sum(n for _, n in sets) <= 3


def test_rolling_update_scales_and_first_deploy():
    assert _simulate([], spec("new", 2), "rolling-update") == [
        [("new", 1)],
        [("new", 2)],
        [("new", 2)],
    ]
    down = _simulate([spec("old", 3)], spec("new", 1, 2), "rolling-update")
    assert down[0] == [("old", 3), ("new", 1)] and down[-1] == [("new", 1)]
    step = next_step([spec("old", 2), spec("new", 1, 2)], spec("new", 2, 2), "rolling-update")
    assert step.wait_for_ready == 1  # resumes mid-way: stop an old one next


def test_recreate_replaces_everything_at_once():
    step = next_step([spec("old", 2)], spec("new", 3, 2), "recreate")
    assert [(s.key, s.replicas) for s in step.sets] == [("new", 3)] and not step.done
    assert step.wait_for_ready == 3
    assert next_step(step.sets, spec("new", 3, 2), "recreate").done


@pytest.mark.parametrize(
    ("line", "stream", "level"),
    [
        ("hello", "stdout", "info"),
        ("Traceback (most recent call last):", "stderr", "error"),
        ('127.0.0.1 - - [x] "GET / HTTP/1.1" 200 -', "stderr", "info"),
        ('127.0.0.1 - - [x] "GET /nope HTTP/1.1" 404 -', "stderr", "warn"),
        ('127.0.0.1 - - [x] "POST / HTTP/1.1" 500 -', "stdout", "error"),
        ("2026-01-01 INFO started", "stderr", "info"),
        ("WARNING: disk almost full", "stdout", "warn"),
        ("level=debug msg=tick", "stdout", "debug"),
    ],
)
def test_log_levels(line, stream, level):
    assert classify(line, stream) == level


def test_revision_numbers_and_lookup_by_number_or_tag(app, factory):
    from blueprints.core.errors import InvalidRequest, NotFound
    from blueprints.core.extensions import db
    from blueprints.projects.domain import create_project
    from blueprints.services import domain
    from blueprints.users.models import User

    uid = factory.user(roles=["admin"])
    with app.app_context():
        user = db.session.get(User, uid)
        org = user.organization
        project = create_project(org, user, name="p")
        service = domain.create_service(
            org, user, project_id=project.id, name="api", image="app:v1", command="run"
        )
        assert domain.next_revision_number(service) == 1
        for image in ("app:v1", "app:v2", "app:v1"):
            domain.new_revision(service, image=image, command="run", env={}, replicas=1, actor=user)
        db.session.commit()
        assert domain.next_revision_number(service) == 4
        assert domain.find_revision(service, 2).image == "app:v2"
        assert domain.find_revision(service, "2").number == 2
        assert domain.find_revision(service, "app:v1").number == 3  # the newest with it
        assert domain.find_revision(service, "v2").number == 2  # a bare tag works too
        with pytest.raises(NotFound):
            domain.find_revision(service, "app:v9")
        with pytest.raises(InvalidRequest):
            domain.find_revision(service, " ")
        numbers = [r.number for r in domain.list_revisions(org, user, service.id)]
        assert numbers == [3, 2, 1]
        db.session.remove()


def test_env_text_round_trip_and_errors():
    from blueprints.core.errors import InvalidRequest
    from blueprints.services.domain import env_text, parse_env_text

    env = parse_env_text("# comment\nA=1\n\nB = two=2\n")
    assert env == {"A": "1", "B": " two=2"} and parse_env_text(env_text(env)) == env
    with pytest.raises(InvalidRequest):
        parse_env_text("JUSTAWORD")
    with pytest.raises(InvalidRequest):
        parse_env_text("PORT=1")


def test_agent_reads_whole_lines_and_resumes_from_its_offset(tmp_path):
    from blueprints.services.runtime.agent import Agent

    log = tmp_path / "pod.err"
    log.write_bytes(b"first\nsecond\npart")
    lines, offset = Agent._read_lines(str(log), 0)
    assert lines == ["first", "second"] and offset == len(b"first\nsecond\n")
    with open(log, "ab") as fh:
        fh.write(b"ial\r\n\n")
    lines, offset = Agent._read_lines(str(log), offset)
    assert lines == ["partial"] and offset == log.stat().st_size
    assert Agent._read_lines(str(log), offset) == ([], offset)
    log.write_bytes(b"after truncation\n")  # rotated or truncated underneath
    assert Agent._read_lines(str(log), offset)[0] == ["after truncation"]
    assert Agent._read_lines(str(tmp_path / "missing"), 7) == ([], 7)


def test_the_runtime_is_chosen_by_config(database_url, redis_url):
    from blueprints.core.errors import ServiceUnavailable
    from blueprints.services.runtime import get_runtime
    from blueprints.services.runtime.kubernetes import KubernetesRuntime
    from blueprints.services.runtime.local import LocalRuntime
    from tests.conftest import make_app

    with make_app(database_url, redis_url).app_context():
        assert isinstance(get_runtime(), LocalRuntime)
    with make_app(database_url, redis_url, SPARKI_RUNTIME="kubernetes").app_context():
        assert isinstance(get_runtime(), KubernetesRuntime)
    with (
        make_app(database_url, redis_url, SPARKI_RUNTIME="nomad").app_context(),
        pytest.raises(ServiceUnavailable, match="nomad"),
    ):
        get_runtime()
