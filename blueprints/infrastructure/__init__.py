"""The infrastructure feature (being built)."""

from __future__ import annotations


def register(app, api) -> None:
    """Attach this feature's blueprints, nav links and commands to the app."""
