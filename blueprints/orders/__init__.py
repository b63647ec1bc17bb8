"""CRM (module `crm`): customers and orders with exact money, state machines as data,
payments, refunds, history and `order.*` events."""

from __future__ import annotations

from blueprints.core.events import register_event_types
from blueprints.core.htmx import add_home_card, add_nav


def register(app, api) -> None:
    """Attach the CRM's page and API blueprints, its nav links (shown only while `crm` is
    on), its home card and the event types it emits."""
    from . import api as crm_api
    from .domain import home_summary
    from .views import bp

    register_event_types(app, "order.created", "order.updated", "order.paid")
    app.register_blueprint(bp)
    for child in crm_api.BLUEPRINTS:
        api.register_blueprint(child)
    add_nav(app, "Customers", "orders.customers", 70, module="crm")
    add_nav(app, "Orders", "orders.orders", 71, module="crm")
    add_home_card(app, "orders/_home_card.html", home_summary, 60)
