"""Cluster health: nodes, live figures and their history, thresholds and alerts."""

from __future__ import annotations

from blueprints.core.htmx import add_nav


def register(app, api) -> None:
    """Attach this feature's blueprints, nav link, home card and periodic job to the app."""
    from blueprints.dashboard.views import HOME_CARDS

    from . import api as infra_api
    from . import jobs  # noqa: F401  (declares the periodic threshold evaluation)
    from .chart import human_bytes
    from .views import bp, home_card

    app.register_blueprint(bp)
    for child in infra_api.BLUEPRINTS:
        api.register_blueprint(child)
    add_nav(app, "Cluster", "infrastructure.index", 30)
    app.add_template_filter(human_bytes, "infra_bytes")
    card = ("infrastructure/_home_card.html", home_card)
    if card not in HOME_CARDS:
        HOME_CARDS.append(card)
