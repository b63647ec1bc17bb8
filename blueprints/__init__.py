"""Sparki's feature packages.

FEATURES is the one list of feature packages; `app.register_blueprints` registers them in
this order. Each package exposes `register(app, api)` that attaches its page and API
blueprints and fills the kernel's per-app registries (event types, navigation, home cards,
periodic jobs, CLI commands, the principal loader); adding a feature is a new package plus
one line here.
"""

FEATURES: list[str] = [
    "blueprints.users",
    "blueprints.projects",
    "blueprints.services",
    "blueprints.infrastructure",
    "blueprints.webhooks",
    "blueprints.orders",
    "blueprints.schedules",
    "blueprints.audit",
    "blueprints.dashboard",
]
