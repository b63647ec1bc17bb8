"""The home page gathers each feature's summary; `/docs` renders the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

bp = Blueprint("dashboard", __name__, template_folder="templates")

# Features append (template, context_function) pairs to show a card on the home page.
HOME_CARDS: list[tuple[str, object]] = []


@bp.get("/")
@login_required
def index():
    org = current_user.organization
    cards = []
    for template, context in HOME_CARDS:
        cards.append((template, context(org, current_user)))  # type: ignore[operator]
    return render_template("dashboard/index.html", org=org, cards=cards)


@bp.get("/docs")
def docs():
    return render_template(
        "dashboard/docs.html", spec_url=current_app.config.get("SPEC_URL", "/api/v1/openapi.json")
    )
