"""The kernel's per-app registries refuse what no feature declared and keep their order."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from blueprints.core.events import emit, event_types
from blueprints.core.extensions import db
from blueprints.core.htmx import add_home_card, home_cards
from blueprints.core.jobs import add_periodic_jobs, periodic, periodic_jobs


def test_emit_refuses_an_event_type_no_feature_declared(app, factory):
    org_id = factory.org()
    with app.app_context():
        from blueprints.users.models import Organization

        org = db.session.get(Organization, org_id)
        with pytest.raises(ValueError, match="unknown event type 'task.exploded'"):
            emit(org, "task.exploded", {})
        db.session.rollback()


def test_every_feature_declares_the_events_it_emits(app):
    assert set(event_types(app)) == {
        "user.created",
        "deployment.created",
        "deployment.completed",
        "deployment.failed",
        "service.health_changed",
        "alert.triggered",
        "alert.resolved",
        "webhook.disabled",
        "ping",
        "order.created",
        "order.updated",
        "order.paid",
        "task.completed",
        "task.failed",
    }


def test_periodic_only_marks_and_register_adds(app):
    @periodic(interval=5)
    def job() -> None:
        pass

    assert job not in [j.func for j in periodic_jobs(app)]  # declaring schedules nothing

    def plain() -> None:
        pass

    with pytest.raises(TypeError, match="not declared @periodic"):
        add_periodic_jobs(app, plain)


def test_home_cards_show_in_order_once_per_template(app):
    probe = SimpleNamespace(extensions={})  # an app stand-in: registries live in extensions
    add_home_card(probe, "b.html", lambda org, actor: {}, 20)
    add_home_card(probe, "a.html", lambda org, actor: {}, 10)
    add_home_card(probe, "b.html", lambda org, actor: {}, 5)
    assert [c.template for c in home_cards(probe)] == ["a.html", "b.html"]
    assert [c.template for c in home_cards(app)] == [
        "services/_home_card.html",
        "infrastructure/_home_card.html",
        "webhooks/_home_card.html",
        "orders/_home_card.html",
        "schedules/_home_card.html",
    ]


def test_stop_services_hooks_run_with_the_processes_environment(app, capsys):
    """`sparki up --stop-services` runs what features registered; core names no command."""
    from flask import Flask

    from blueprints.core.cli import _run_stop_services_hooks, add_stop_services_hook
    from blueprints.services import _stop_replicas_on_exit

    assert _stop_replicas_on_exit in app.extensions["sparki_stop_services_hooks"]
    probe = Flask("probe")
    seen: list[dict[str, str]] = []
    add_stop_services_hook(probe, lambda env: seen.append(env) or "stopped 2 replicas")
    _run_stop_services_hooks(probe, {"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert seen == [{"REDIS_URL": "redis://127.0.0.1:1/0"}]
    assert "sparki: stopped 2 replicas" in capsys.readouterr().out


def test_scheduler_ticks_run_in_the_scheduler_loop_and_wake_it_early(app, redis_url):
    """A feature's tick runs in the `sparki scheduler` loop, in an app context, and may ask
    to be called sooner than its interval (the next due slot); core names no feature."""
    from flask import Flask, has_app_context
    from redis import Redis

    from blueprints.core.jobs import add_scheduler_tick, build_cron_scheduler, scheduler_ticks
    from blueprints.schedules.jobs import scheduler_tick

    assert scheduler_tick in [t.func for t in scheduler_ticks(app)]
    probe = Flask("probe")
    probe.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(probe)
    calls: list[bool] = []

    def tick() -> float:
        calls.append(has_app_context())
        return 0.25

    add_scheduler_tick(probe, tick, interval=1.0)
    add_scheduler_tick(probe, tick, interval=1.0)  # once per function
    assert len(scheduler_ticks(probe)) == 1
    with pytest.raises(ValueError):
        add_scheduler_tick(probe, lambda: None, interval=0)
    scheduler = build_cron_scheduler(probe, Redis.from_url(redis_url))
    scheduler.run_ticks()
    assert calls == [True]
    assert 0 < scheduler.calculate_sleep_interval() <= 0.25
    scheduler.run_ticks()  # not due yet: not called again
    assert calls == [True]
