"""Cluster health: nodes, live figures and their history, thresholds and alerts."""

from __future__ import annotations

from blueprints.core.events import register_event_types
from blueprints.core.htmx import add_home_card, add_nav
from blueprints.core.jobs import add_periodic_jobs


def register(app, api) -> None:
    """Attach this feature's blueprints, nav link, home card, events and periodic job."""
    from . import api as infra_api
    from . import jobs
    from .chart import human_bytes
    from .views import bp, home_card

    register_event_types(app, "alert.triggered", "alert.resolved")
    add_periodic_jobs(app, jobs.evaluate_thresholds)
    app.register_blueprint(bp)
    for child in infra_api.BLUEPRINTS:
        api.register_blueprint(child)
    add_nav(app, "Cluster", "infrastructure.index", 30)
    app.add_template_filter(human_bytes, "infra_bytes")
    add_home_card(app, "infrastructure/_home_card.html", home_card, 30)
