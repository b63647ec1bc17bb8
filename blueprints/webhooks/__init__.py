"""Webhooks and events: endpoints that receive the organization's events, signed, with
retries, a delivery log and an events list."""

from __future__ import annotations

from blueprints.core.events import register_dispatcher
from blueprints.core.htmx import add_nav


def register(app, api) -> None:
    """Attach this feature's blueprints, nav links and event dispatcher to the app."""
    from blueprints.dashboard.views import HOME_CARDS

    from . import api as webhooks_api
    from .domain import summary
    from .jobs import dispatch_events
    from .views import bp

    register_dispatcher(dispatch_events)
    app.register_blueprint(bp)
    for child in webhooks_api.BLUEPRINTS:
        api.register_blueprint(child)
    add_nav(app, "Webhooks", "webhooks.index", 50)
    add_nav(app, "Events", "webhooks.events", 55)
    card = ("webhooks/_home_card.html", summary)
    if card not in HOME_CARDS:
        HOME_CARDS.append(card)
