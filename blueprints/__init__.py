"""Sparki's feature packages.

FEATURES is the one list of feature packages; `app.register_blueprints` registers them in
this order. Each package exposes `register(app)` that attaches its page and API blueprints.
"""

FEATURES: list[str] = [
    "blueprints.users",
    "blueprints.projects",
    "blueprints.services",
    "blueprints.infrastructure",
    "blueprints.webhooks",
    "blueprints.dashboard",
]
