"""Schedules (module `schedules`): workflow sources (LangFlow, Hive), their workflows,
cron/interval/once schedules fired by the scheduler process, and the tasks RQ workers run."""

from __future__ import annotations

from blueprints.core.events import register_event_types
from blueprints.core.htmx import add_home_card, add_nav
from blueprints.core.jobs import add_scheduler_tick

MODULE = "schedules"


def register(app, api) -> None:
    """Attach the pages, API, nav, home card, events, scheduler tick and CLI to the app."""
    from . import api as schedules_api
    from .cli import GROUPS
    from .jobs import scheduler_tick
    from .views import bp, home_card

    register_event_types(app, "task.completed", "task.failed")
    add_scheduler_tick(app, scheduler_tick, interval=1.0)
    app.register_blueprint(bp)
    for child in schedules_api.BLUEPRINTS:
        api.register_blueprint(child)
    add_nav(app, "Sources", "schedules.sources", 60, module=MODULE)
    add_nav(app, "Workflows", "schedules.workflows", 61, module=MODULE)
    add_nav(app, "Schedules", "schedules.schedules", 62, module=MODULE)
    add_nav(app, "Tasks", "schedules.tasks", 63, module=MODULE)
    add_home_card(app, "schedules/_home_card.html", home_card, 60)
    for group in GROUPS:
        app.cli.add_command(group)
