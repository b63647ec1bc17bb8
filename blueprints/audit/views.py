"""HTML routes: the Audit page (filters as in the API) and one entry with its chain."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import login_required

from blueprints.core.api import page_params, paginate
from blueprints.core.htmx import page_actor, render

from . import domain
from .models import OUTCOMES
from .schemas import AuditQuery

bp = Blueprint("audit", __name__, template_folder="templates")

FILTERS = ("actor", "action", "target", "since", "until", "outcome")


@bp.get("/audit")
@login_required
def index():
    org, actor = page_actor()
    query = page_params(request.args, AuditQuery)
    stmt = domain.list_entries(
        org,
        actor,
        actor_filter=query.get("actor"),
        action=query.get("action"),
        target=query.get("target"),
        since=query.get("since"),
        until=query.get("until"),
        outcome=query.get("outcome"),
    )
    filters = {name: request.args.get(name, "") for name in FILTERS if request.args.get(name)}
    return render(
        "audit/index.html",
        "audit/_table.html",
        page=paginate(stmt, query),
        filters=filters,
        outcomes=OUTCOMES,
    )


@bp.get("/audit/<entry_id>")
@login_required
def detail(entry_id):
    org, actor = page_actor()
    entry = domain.get_entry(org, actor, entry_id)
    return render("audit/detail.html", entry=entry, chain=domain.chain(org, entry))
