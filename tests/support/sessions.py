"""A test client with a dashboard session, registered on the server as a login makes it."""

from __future__ import annotations

from blueprints.core import sessions
from blueprints.core.extensions import db


def session_client(app, user_id: str):
    """A test client of `app` logged in as `user_id` through a registered session (the
    server refuses a cookie that merely names a user)."""
    from blueprints.users.models import User

    with app.test_request_context(headers={"User-Agent": "pytest"}):
        epoch = db.session.get(User, user_id).credentials_epoch
        secret = sessions.register(user_id, user_agent="pytest", client="127.0.0.1")
        db.session.remove()
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = user_id
        sess["_fresh"] = True
        sess[sessions.SESSION_SECRET] = secret
        sess[sessions.SESSION_EPOCH] = epoch
    return c
