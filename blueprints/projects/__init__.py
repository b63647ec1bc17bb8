"""Projects: ownership, membership, repository and CI settings; the home of services."""

from __future__ import annotations

from blueprints.core.htmx import add_nav


def register(app, api) -> None:
    from . import models  # noqa: F401 (tables for migrations)

    _ = add_nav
