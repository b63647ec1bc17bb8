"""Users, organizations, API keys and authentication."""

from __future__ import annotations

from blueprints.core.auth import PrincipalLoader, register_principal_loader
from blueprints.core.cli import add_up_hook
from blueprints.core.events import register_event_types
from blueprints.core.htmx import add_nav


def register(app, api) -> None:
    """Attach this feature's blueprints, nav links, events, commands and the principal loader."""
    from . import api as users_api
    from .cli import admin_from_config_on_up, create_admin_command
    from .domain import load_api_key, load_api_key_by_id, load_user
    from .views import bp

    register_principal_loader(
        app,
        PrincipalLoader(user=load_user, api_key=load_api_key, api_key_by_id=load_api_key_by_id),
    )
    register_event_types(app, "user.created")
    app.register_blueprint(bp)
    for child in users_api.BLUEPRINTS:
        api.register_blueprint(child)
    add_nav(app, "Users", "users.index", 80)
    add_nav(app, "API keys", "users.api_keys", 85)
    add_nav(app, "Organization", "users.organization", 90)
    add_nav(app, "Account", "users.account", 95)
    app.cli.add_command(create_admin_command)
    add_up_hook(app, admin_from_config_on_up)
