"""JSON routes: cluster, nodes, metrics and their history, thresholds and alerts."""

from __future__ import annotations

from apiflask import APIBlueprint

from blueprints.core.api import api_actor, auth_required, paginate
from blueprints.core.schemas import page_of

from . import domain
from .schemas import (
    AlertOut,
    AlertQuery,
    ClusterOut,
    HistoryOut,
    HistoryQuery,
    MetricsOut,
    NodeListOut,
    ThresholdsOut,
    ThresholdsUpdate,
)

bp = APIBlueprint("infrastructure_api", __name__, tag="Infrastructure")


@bp.get("/infrastructure/cluster")
@auth_required()
@bp.output(ClusterOut)
@bp.doc(summary="Cluster status: nodes, compute, storage, networking, security facts")
def cluster():
    org, actor = api_actor()
    return domain.cluster_status(org, actor)


@bp.get("/infrastructure/nodes")
@auth_required()
@bp.output(NodeListOut)
@bp.doc(summary="Every node with readiness, OS, kernel, capacity and replica count")
def nodes():
    org, actor = api_actor()
    return {"data": domain.list_nodes(org, actor)}


@bp.get("/infrastructure/metrics")
@auth_required()
@bp.output(MetricsOut)
@bp.doc(summary="Latest CPU, memory, disk and network readings (cluster and per node)")
def metrics():
    org, actor = api_actor()
    return domain.current_metrics(org, actor)


@bp.get("/infrastructure/metrics/history")
@auth_required()
@bp.input(HistoryQuery, location="query", arg_name="query")
@bp.output(HistoryOut)
@bp.doc(summary="Cluster figures over a window (every sample up to 1h, 1-minute points to 24h)")
def history(query):
    org, actor = api_actor()
    return domain.metrics_history(org, actor, query["window"])


@bp.get("/infrastructure/thresholds")
@auth_required()
@bp.output(ThresholdsOut)
@bp.doc(summary="This organization's alert thresholds (percent of allocatable)")
def get_thresholds():
    org, actor = api_actor()
    return domain.get_thresholds(org, actor)


@bp.patch("/infrastructure/thresholds")
@auth_required()
@bp.input(ThresholdsUpdate, arg_name="body")
@bp.output(ThresholdsOut)
@bp.doc(summary="Change alert thresholds (admin)")
def update_thresholds(body):
    org, actor = api_actor()
    return domain.update_thresholds(org, actor, **body)


@bp.get("/infrastructure/alerts")
@auth_required()
@bp.input(AlertQuery, location="query", arg_name="query")
@bp.output(page_of(AlertOut))
@bp.doc(summary="This organization's node alerts, newest first")
def alerts(query):
    org, actor = api_actor()
    return paginate(domain.list_alerts(org, actor, status=query.get("status")), query).envelope()


BLUEPRINTS = (bp,)
