"""Users, organizations, API keys and authentication."""

from __future__ import annotations

from blueprints.core.extensions import db, login_manager
from blueprints.core.htmx import add_nav


def register(app, api) -> None:
    from . import api as users_api
    from .models import User
    from .views import bp

    @login_manager.user_loader
    def load_user(user_id: str):
        user = db.session.get(User, user_id)
        return user if user is not None and user.active else None

    app.register_blueprint(bp)
    for child in users_api.BLUEPRINTS:
        api.register_blueprint(child)
    add_nav(app, "Users", "users.index", 80)
    add_nav(app, "API keys", "users.api_keys", 85)
    add_nav(app, "Organization", "users.organization", 90)
