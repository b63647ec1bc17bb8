"""The home page gathers each feature's summary; `/docs` renders the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory, url_for
from flask_login import current_user, login_required

from blueprints.core.htmx import home_cards
from blueprints.users.domain import can_change_organization

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.get("/")
@login_required
def index():
    org = current_user.organization
    actor = current_user._get_current_object()
    cards = [(card.template, card.context(org, actor)) for card in home_cards(current_app)]
    return render_template(
        "dashboard/index.html", org=org, cards=cards, can_change_org=can_change_organization(actor)
    )


@bp.get("/docs")
def docs():
    # The app's own OpenAPI document (APIFlask serves it at `spec_path`).
    return render_template("dashboard/docs.html", spec_url=url_for("openapi.spec"))


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for it on every page that names no icon (the API docs, raw JSON views).
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)
