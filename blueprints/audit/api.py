"""JSON routes for the audit log (admins only)."""

from __future__ import annotations

from apiflask import APIBlueprint

from blueprints.core.api import api_actor, auth_required, paginate
from blueprints.core.schemas import page_of

from . import domain
from .schemas import AuditEntryDetailOut, AuditEntryOut, AuditQuery

bp = APIBlueprint("audit_api", __name__, tag="Audit")


@bp.get("/audit-log")
@auth_required()
@bp.input(AuditQuery, location="query", arg_name="query")
@bp.output(page_of(AuditEntryOut))
@bp.doc(
    summary="Who did what, when, from where (admins; newest first)",
    description="Every write through the API or a page, with its outcome. Filter by actor,"
    " action, target and time; page with `cursor` for a stable walk through a long log.",
)
def list_audit_log(query):
    org, actor = api_actor()
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
    return paginate(stmt, query).envelope()


@bp.get("/audit-log/<entry_id>")
@auth_required()
@bp.output(AuditEntryDetailOut)
@bp.doc(summary="One entry, with the deployments, events and deliveries it led to (admins)")
def get_audit_entry(entry_id):
    org, actor = api_actor()
    entry = domain.get_entry(org, actor, entry_id)
    return {"entry": entry, "chain": domain.chain(org, entry)}
