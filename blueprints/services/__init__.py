"""Services: deploy, observe, roll back and reach workloads on a runtime (local processes)."""

from __future__ import annotations

import click
from flask import current_app

from blueprints.core.api import add_health_report
from blueprints.core.cli import add_stop_services_hook
from blueprints.core.events import register_event_types
from blueprints.core.htmx import add_home_card, add_nav
from blueprints.core.jobs import add_periodic_jobs


@click.command("agent")
@click.option(
    "--stop-replicas",
    is_flag=True,
    help="Stop every replica a stopped agent left running, then exit.",
)
def agent_command(stop_replicas: bool) -> None:
    """Run the runtime agent: supervises the replicas of every service on this machine.

    Replicas outlive the agent (like containers outlive their engine's CLI); a restarted
    agent adopts them. `--stop-replicas` stops them all instead (the next start restores them).
    """
    from blueprints.core.cli import use_installation_redis

    from .runtime.agent import run_agent, stop_all_replicas

    # This installation's replicas are recorded in its own Redis, never in whichever
    # answers on the default address.
    use_installation_redis(current_app._get_current_object())
    if stop_replicas:
        try:
            click.echo(f"stopped {stop_all_replicas(current_app._get_current_object())} replicas")
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc
        return
    run_agent(current_app._get_current_object())


def _stop_replicas_on_exit(env: dict[str, str]) -> str | None:
    """`sparki up --stop-services`: stop every replica, through the agent command run with the
    environment the processes had (its REDIS_URL names the installation's Redis)."""
    import subprocess
    import sys
    from pathlib import Path

    sparki = str(Path(sys.executable).parent / "sparki")
    code = subprocess.call([sparki, "agent", "--stop-replicas"], env=env)
    return None if code == 0 else f"stopping the replicas failed (exit {code})"


def _runtime_report() -> dict:
    """`/api/v1/health`'s `runtime`: whether the configured runtime answers, and why not."""
    from blueprints.core.errors import ServiceUnavailable

    from .runtime import get_runtime

    name = current_app.config["SPARKI_RUNTIME"]
    try:
        up, why = get_runtime().availability()
    except ServiceUnavailable as exc:
        up, why = False, exc.message
    return {"name": name, "status": "up" if up else "down", "reason": why}


def register(app, api) -> None:
    """Attach this feature's blueprints, nav link, home card, events, commands and jobs."""
    from . import api as services_api
    from . import (
        domain,
        jobs,
        models,  # noqa: F401 (tables for migrations)
        proxy_site,
    )
    from .views import bp

    register_event_types(
        app,
        "deployment.created",
        "deployment.completed",
        "deployment.failed",
        "service.health_changed",
        # services.health raises and clears a service's own alerts, whichever driver observes.
        "alert.triggered",
        "alert.resolved",
    )
    add_periodic_jobs(app, jobs.resume_stalled_deployments, jobs.observe_runtime)
    app.register_blueprint(bp)
    proxy_site.install(app)  # each service's own origin, in front of the dashboard
    for child in services_api.BLUEPRINTS:
        api.register_blueprint(child)
    add_nav(app, "Services", "services.index", 20)
    app.cli.add_command(agent_command)
    add_stop_services_hook(app, _stop_replicas_on_exit)
    add_home_card(app, "services/_home_card.html", domain.home_summary, 20)
    add_health_report(app, "runtime", _runtime_report)
