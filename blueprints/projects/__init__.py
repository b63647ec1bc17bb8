"""Projects: ownership, membership, repository and CI settings; the home of services."""

from __future__ import annotations

from blueprints.core.htmx import add_nav


def register(app, api) -> None:
    from . import api as projects_api
    from .views import bp

    app.register_blueprint(bp)
    api.register_blueprint(projects_api.bp)
    add_nav(app, "Projects", "projects.index", 10)
