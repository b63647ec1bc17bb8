"""The dashboard shell: the home page and the API docs page."""

from __future__ import annotations

from blueprints.core.htmx import add_nav


def register(app, api) -> None:
    from .views import bp

    app.register_blueprint(bp)
    add_nav(app, "Home", "dashboard.index", 0)
    add_nav(app, "API docs", "dashboard.docs", 100)
