"""Webhooks and events: endpoints that receive the organization's events, signed, with
retries, a delivery log and an events list."""

from __future__ import annotations

from blueprints.core.events import register_dispatcher, register_event_types
from blueprints.core.htmx import add_home_card, add_nav
from blueprints.core.jobs import add_periodic_jobs


def register(app, api) -> None:
    """Attach this feature's blueprints, nav links, home card, events, event dispatcher and
    periodic sweep to the app."""
    from . import api as webhooks_api
    from . import jobs
    from .domain import summary
    from .views import bp

    register_event_types(app, "webhook.disabled", "ping")
    register_dispatcher(app, jobs.dispatch_events)
    add_periodic_jobs(app, jobs.sweep)
    app.register_blueprint(bp)
    for child in webhooks_api.BLUEPRINTS:
        api.register_blueprint(child)
    add_nav(app, "Webhooks", "webhooks.index", 50)
    add_nav(app, "Events", "webhooks.events", 55)
    add_home_card(app, "webhooks/_home_card.html", summary, 50)
