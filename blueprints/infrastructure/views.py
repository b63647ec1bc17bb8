"""HTML routes: the Cluster page, its self-refreshing partials and the thresholds form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from flask_login import login_required

from blueprints.core.errors import DomainError
from blueprints.core.htmx import apply_domain_error, page_actor, render, triggered, wants_partial
from blueprints.core.types import Actor, Org

from . import chart, domain
from .forms import ThresholdsForm

bp = Blueprint(
    "infrastructure",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/infrastructure",
)


def _live_context(org: Org, actor: Actor) -> dict[str, Any]:
    return {
        "cluster": domain.cluster_status(org, actor),
        "cards": domain.node_cards(org, actor),
        "alerts": domain.recent_alerts(org, actor, 10),
        "pending": domain.pending_alerts(org, actor),
        "thresholds": domain.get_thresholds(org, actor),
    }


def _plot_context(org: Org, actor: Actor, window: str) -> dict[str, Any]:
    history = domain.metrics_history(org, actor, window)
    return {
        "window": history["window"],
        "history": history,
        "charts": chart.build(history, domain.get_thresholds(org, actor)),
        "windows": domain.WINDOW_CHOICES,
    }


def _thresholds_form(row) -> ThresholdsForm:
    return ThresholdsForm(
        formdata=None,
        data={
            "cpu_percent": row.cpu_percent,
            "memory_percent": row.memory_percent,
            "disk_percent": row.disk_percent,
            "hysteresis_percent": row.hysteresis_percent,
            "for_seconds": row.for_seconds,
        },
    )


@bp.get("/cluster")
@login_required
def index():
    """The full page; htmx polling gets the live partial (summary, nodes, alerts) alone."""
    org, actor = page_actor()
    ctx = _live_context(org, actor)
    window = request.args.get("window", "1h")
    if wants_partial():
        return render("infrastructure/page.html", "infrastructure/_live.html", **ctx)
    return render(
        "infrastructure/page.html",
        **ctx,
        **_plot_context(org, actor, window),
        form=_thresholds_form(ctx["thresholds"]),
        can_change_thresholds=domain.can_change_thresholds(actor),
    )


@bp.get("/cluster/plot")
@login_required
def plot():
    org, actor = page_actor()
    ctx = _plot_context(org, actor, request.args.get("window", "1h"))
    body = render("infrastructure/_plot.html", "infrastructure/_plot.html", **ctx)
    if request.headers.get("HX-Trigger") != "window-select":
        return body  # the plot's own refresh
    # A window the user chose goes into the page's own URL (not this partial's), so a
    # reload or Back keeps it.
    return body, 200, {"HX-Replace-Url": url_for("infrastructure.index", window=ctx["window"])}


@bp.post("/cluster/thresholds")
@login_required
def update_thresholds():
    org, actor = page_actor()
    form = ThresholdsForm()
    status, saved = 400, False
    if form.validate_on_submit():
        try:
            domain.update_thresholds(
                org,
                actor,
                **{
                    f: getattr(form, f).data
                    for f in (
                        "cpu_percent",
                        "memory_percent",
                        "disk_percent",
                        "hysteresis_percent",
                        "for_seconds",
                    )
                },
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
        else:
            status, saved = 200, True
    body = render(
        "infrastructure/_thresholds.html",
        "infrastructure/_thresholds.html",
        form=form,
        saved=saved,
    )
    return triggered(body, "thresholds-changed") if saved else (body, status)


def home_card(org: Org, actor: Actor) -> dict[str, Any]:
    """The dashboard home's compact cluster summary and recent alerts."""
    return domain.home_summary(org, actor)
