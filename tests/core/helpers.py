"""Assertions shared by the core and users tests."""

from __future__ import annotations

import itertools
from typing import Any

ENVELOPE_KEYS = {"error", "message", "details", "requestId"}


def assert_error(response: Any, status: int, code: str, *, field: str | None = None) -> dict:
    """The response is the API's error envelope with this status and code (and field)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)
    assert set(body) >= ENVELOPE_KEYS, body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["details"], dict), body
    assert isinstance(body["requestId"], str) and body["requestId"], body
    assert response.headers["X-Request-Id"] == body["requestId"]
    if field is not None:
        assert body["details"].get("field") == field, body
    return body


_HASH: dict[str, str] = {}
_SEQ = itertools.count(1)


def bulk_users(app: Any, org_id: str, count: int, roles: list[str] | None = None) -> list[str]:
    """Insert `count` users at once, sharing one argon2 hash of the test password.

    Hashing is deliberately slow (memory-hard), so list tests that need many rows skip
    re-hashing the same password for each of them.
    """
    from blueprints.core.auth import hash_password
    from blueprints.core.extensions import db
    from blueprints.users.models import User
    from tests.conftest import PASSWORD

    if "pw" not in _HASH:
        _HASH["pw"] = hash_password(PASSWORD)
    with app.app_context():
        users = []
        for _ in range(count):
            n = next(_SEQ)
            users.append(
                User(
                    org_id=org_id,
                    email=f"bulk{n}@example.com",
                    name=f"Bulk {n}",
                    password_hash=_HASH["pw"],
                    roles=list(roles or ["viewer"]),
                    active=True,
                )
            )
        for user in users:
            db.session.add(user)
            db.session.flush()  # one at a time: distinct created_at, like real sign-ups
        db.session.commit()
        return [u.id for u in users]


def org_of(app: Any, user_id: str) -> str:
    from blueprints.core.extensions import db
    from blueprints.users.models import User

    with app.app_context():
        return db.session.get(User, user_id).org_id
