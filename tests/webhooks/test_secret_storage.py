"""Signing secrets are encrypted at rest: the database never holds them in the clear."""

from __future__ import annotations

from sqlalchemy import text

from blueprints.core.extensions import db


def test_secret_is_encrypted_in_the_database(app, api_as, factory):
    api = api_as(factory.user(factory.org(), roles=["admin"]))
    created = api.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    ).get_json()
    secret = created["secret"]
    assert secret.startswith("whsec_")
    rotated = api.post(f"/api/v1/webhooks/{created['id']}/rotate-secret").get_json()
    with app.app_context():
        raw = db.session.execute(text("SELECT secret, previous_secret FROM webhooks")).one()
        assert secret not in raw and rotated["secret"] not in raw
        assert not any(value.startswith("whsec_") for value in raw)
        from blueprints.webhooks.models import Webhook

        hook = db.session.get(Webhook, created["id"])
        assert hook.previous_secret == secret and hook.secret == rotated["secret"]
