"""What the services feature does: services, revisions, deployments, lifecycle, health, logs.

HTTP-free: every function takes `(org, actor, ...)`, raises DomainErrors and commits once.
Processes are never touched here; the runtime (see `runtime/`) is told what should run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, lazyload

from blueprints.core.errors import Conflict, InvalidRequest, NotFound, ServiceUnavailable
from blueprints.core.events import emit
from blueprints.core.extensions import db
from blueprints.core.fields import INT32_MAX
from blueprints.core.jobs import enqueue
from blueprints.core.models import get_in_org, scoped, utcnow
from blueprints.core.text import text_problem
from blueprints.core.types import Actor, Org
from blueprints.projects import domain as projects_domain
from blueprints.projects.domain import (
    get_project,
    require_active,
    require_deploy_rights,
    require_manage_rights,
)
from blueprints.projects.models import Project
from blueprints.users.models import DEFAULT_LIMITS

from .health import Observation, assess
from .models import (
    REQUIRED_SPEC_BY_RUNTIME,
    SERVICE_STATUSES,
    SERVICE_TYPES,
    STRATEGIES,
    URL_AUTH,
    Deployment,
    Revision,
    Service,
)
from .rollout import desired_state, set_spec
from .runtime import get_runtime
from .runtime.base import LogEntry, ProbeResult, ReplicaStatus

# Matched with fullmatch: `$` also matches before a final newline ("ABC\n" passed).
NAME_RE = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
ENV_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
RESERVED_ENV = {"PORT"}
MAX_REPLICAS = 20
ACTIVE = ("running", "deploying")
EDITABLE = {
    "name",
    "type",
    "image",
    "command",
    "env",
    "replicas",
    "health_check_path",
    "port",
    "url_auth",
}


# --- validation --------------------------------------------------------------------------------


def _require_runtime_spec(**given: str | None) -> None:
    """Raise InvalidRequest naming the first field the configured runtime needs and lacks."""
    runtime = current_app.config["SPARKI_RUNTIME"]
    for field in REQUIRED_SPEC_BY_RUNTIME.get(runtime, ("command",)):
        if not (given.get(field) or "").strip():
            raise InvalidRequest(
                f"A service on the {runtime} runtime needs a {field}",
                field=field,
                reason=f"required on the {runtime} runtime",
            )


def _validate(values: dict[str, Any]) -> dict[str, Any]:
    if "name" in values:
        values["name"] = (values["name"] or "").strip().lower()
        if not NAME_RE.fullmatch(values["name"]):
            raise InvalidRequest(
                "A service name is 1-63 lowercase letters, digits or dashes, starting and "
                "ending with a letter or digit",
                field="name",
                reason="not a DNS label",
            )
    if "type" in values and values["type"] not in SERVICE_TYPES:
        raise InvalidRequest(
            f"Type must be one of {', '.join(SERVICE_TYPES)}", field="type", reason="unknown type"
        )
    if "image" in values:
        values["image"] = (values["image"] or "").strip()
        if not values["image"] or len(values["image"]) > 255 or " " in values["image"]:
            raise InvalidRequest(
                "An image is a label like 'app:v2' (no spaces)",
                field="image",
                reason="invalid image",
            )
    if "command" in values:
        values["command"] = (values["command"] or "").strip()
        container = "image" in REQUIRED_SPEC_BY_RUNTIME.get(
            current_app.config["SPARKI_RUNTIME"], ()
        )
        if not values["command"] and not container:
            raise InvalidRequest(
                "A service needs a command to run", field="command", reason="empty"
            )
        if len(values["command"]) > 4000:
            raise InvalidRequest(
                "The command is longer than 4000 characters", field="command", reason="too long"
            )
        _require_text(values["command"], "command")
    if "env" in values:
        values["env"] = _validate_env(values["env"])
    if "replicas" in values:
        _validate_replicas(values["replicas"])
    if "health_check_path" in values:
        path = (values["health_check_path"] or "/").strip()
        if not path.startswith("/") or len(path) > 255 or any(c.isspace() for c in path):
            raise InvalidRequest(
                "The health check path must start with '/'",
                field="healthCheckPath",
                reason="not a path",
            )
        values["health_check_path"] = path
    if values.get("port") is not None and not 1 <= int(values["port"]) <= 65535:
        raise InvalidRequest(
            "The port must be between 1 and 65535", field="port", reason="out of range"
        )
    if "url_auth" in values and values["url_auth"] not in URL_AUTH:
        raise InvalidRequest(
            "urlSettings.auth must be 'private' or 'public'",
            field="urlSettings.auth",
            reason="unknown value",
        )
    return values


def _validate_env(env: Any) -> dict[str, str]:
    if env is None:
        return {}
    if not isinstance(env, dict):
        raise InvalidRequest(
            "env must be an object of names to strings", field="env", reason="not an object"
        )
    if len(env) > 100:
        raise InvalidRequest("At most 100 environment variables", field="env", reason="too many")
    clean: dict[str, str] = {}
    for key, value in env.items():
        if not isinstance(key, str) or not ENV_KEY_RE.fullmatch(key):
            raise InvalidRequest(
                f"'{key}' is not a valid environment variable name",
                field=f"env.{key}",
                reason="invalid name",
            )
        if key in RESERVED_ENV:
            raise InvalidRequest(
                f"{key} is assigned by the runtime", field=f"env.{key}", reason="reserved"
            )
        if not isinstance(value, str | int | float | bool) or len(str(value)) > 8192:
            raise InvalidRequest(
                f"The value of {key} must be a string", field=f"env.{key}", reason="not a string"
            )
        _require_text(str(value), f"env.{key}")
        clean[key] = str(value)
    return clean


def _require_text(value: str, field: str) -> None:
    """Refuse what no process can be given (`exec` refuses NUL) nor a table store; the API's
    schemas refuse it first, this covers every other caller (pages, the CLI, env values)."""
    problem = text_problem(value)
    if problem:
        raise InvalidRequest(f"'{field}' {problem}", field=field, reason=problem)


def _validate_replicas(replicas: Any) -> None:
    if (
        not isinstance(replicas, int)
        or isinstance(replicas, bool)
        or not (1 <= replicas <= MAX_REPLICAS)
    ):
        raise InvalidRequest(
            f"replicas must be between 1 and {MAX_REPLICAS}",
            field="replicas",
            reason="out of range",
        )


def parse_env_text(text: str) -> dict[str, str]:
    """`KEY=value` lines (the page's textarea) into a dict; blank lines and # comments skipped.

    Raises InvalidRequest (field `env`) for a malformed line or an invalid name or value.
    """
    env: dict[str, str] = {}
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise InvalidRequest(f"Line {n} is not KEY=value", field="env", reason="malformed")
        env[key.strip()] = value
    return _validate_env(env)


def env_text(env: dict[str, str] | None) -> str:
    """The page's textarea text for `env`: one `KEY=value` line each."""
    return "\n".join(f"{k}={v}" for k, v in (env or {}).items())


def visible_env(org: Org, actor: Actor, env: dict[str, str] | None) -> dict[str, str]:
    """Environment values are shown to those who may change the service; others see names."""
    if can_manage(org, actor):
        return dict(env or {})
    return {k: "********" for k in env or {}}


# --- who may do what (the pages ask these; the actions below enforce them) ---------------------


def can_manage(org: Org, actor: Actor) -> bool:
    """Whether `actor` may create, change and delete services (and read env values)."""
    return projects_domain.can_manage(org, actor)


def can_deploy(org: Org, actor: Actor, service: Service) -> bool:
    """Whether `actor` may deploy, roll back, restart, start and stop `service`."""
    return projects_domain.can_deploy(org, actor, service.project)


# --- reading -----------------------------------------------------------------------------------


def list_services(
    org: Org, actor: Actor, *, project_id: str | None = None, status: str | None = None
) -> Select:
    """The organization's services (of one project, in one status), as a query to paginate.

    Raises InvalidRequest for an unknown status.
    """
    # A list names each service's project; its owner and members (users with their
    # organization's JSON columns) are loaded only if something asks for them.
    stmt = scoped(Service, org).options(
        joinedload(Service.project).options(lazyload(Project.owner), lazyload(Project.members))
    )
    if project_id:
        stmt = stmt.where(Service.project_id == project_id)
    if status:
        if status not in SERVICE_STATUSES:
            raise InvalidRequest(
                f"Status must be one of {', '.join(SERVICE_STATUSES)}",
                field="status",
                reason="unknown status",
            )
        stmt = stmt.where(Service.status == status)
    return stmt


def get_service(org: Org, actor: Actor, service_id: str) -> Service:
    """One service of the organization; raises NotFound."""
    return get_in_org(Service, org, service_id)


def list_deployments(org: Org, actor: Actor, service_id: str) -> Select:
    """The service's deployments, as a query to paginate; raises NotFound (no service)."""
    service = get_service(org, actor, service_id)
    return scoped(Deployment, org).where(Deployment.service_id == service.id)


def get_deployment(org: Org, actor: Actor, deployment_id: str) -> Deployment:
    """One deployment of the organization; raises NotFound."""
    return get_in_org(Deployment, org, deployment_id)


def list_revisions(org: Org, actor: Actor, service_id: str) -> list[Revision]:
    """The service's revisions, newest first; raises NotFound (no service)."""
    service = get_service(org, actor, service_id)
    return list(
        db.session.execute(
            scoped(Revision, org)
            .where(Revision.service_id == service.id)
            .order_by(Revision.number.desc())
        ).scalars()
    )


def current_image(service: Service) -> str | None:
    """The image of the revision that runs (None before the first successful deploy)."""
    revision = _revision(service, service.current_revision)
    return revision.image if revision else None


# --- the view of a service (what pages and the API render) -------------------------------------


@dataclass(frozen=True)
class ReplicaSummary:
    """Replica counts from what the runtime observes now, and the replicas themselves."""

    desired: int  # what the desired state asks for
    ready: int  # ready replicas of any revision
    available: int  # ready replicas of the current revision (of any, during a first rollout)
    items: list[ReplicaStatus]


@dataclass(frozen=True)
class HealthView:
    status: str  # healthy | starting | hibernated | unhealthy | error | unknown
    reason: str
    last_check: datetime | None  # the latest probe of a replica, else when the status changed
    changed_at: datetime | None


@dataclass(frozen=True)
class ServiceView:
    """A service as pages and the API show it: the row plus what the runtime observes.

    `env` holds only what the actor may read (values masked for non-maintainers);
    `replicas` is None and `endpoints` empty in a list's short view (`full=False`).
    """

    id: str
    project_id: str
    project_name: str
    name: str
    type: str
    image: str
    command: str
    env: dict[str, str]
    replica_count: int  # the spec's replicas for the next deploy
    health_check_path: str
    port: int | None
    url_auth: str
    status: str
    current_revision: int | None
    current_image: str | None
    active_deployment_id: str | None
    health: HealthView
    replicas: ReplicaSummary | None
    endpoints: list[dict[str, Any]]
    created_by_id: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def url_settings(self) -> dict[str, Any]:
        return {"auth": self.url_auth}


def replica_summary(service: Service, items: list[ReplicaStatus] | None = None) -> ReplicaSummary:
    """Counts from what the runtime observes now (`items`: the replicas, if already read)."""
    runtime = get_runtime()
    items = runtime.replicas(service.id) if items is None else items
    desired_state = runtime.desired(service.id)
    ready = sum(1 for r in items if r.ready)
    current = [r for r in items if r.revision == service.current_revision]
    return ReplicaSummary(
        desired=desired_state.total if desired_state else 0,
        ready=ready,
        available=sum(1 for r in current if r.ready) if current else ready,
        items=items,
    )


def _health(service: Service, items: list[ReplicaStatus], desired: int) -> HealthView:
    """Health as `health.assess` reads this snapshot (the row, `desired`, `items`), not the
    value the agent last stored: a page read just after Stop or Start agrees with itself."""
    probes = [r.last_probe_at for r in items if r.last_probe_at]
    status, reason = assess(service, Observation(desired=desired, replicas=items))
    return HealthView(
        status=status,
        reason=reason,
        last_check=max(probes) if probes else service.health_changed_at,
        changed_at=service.health_changed_at,
    )


def _endpoints(
    service: Service, items: list[ReplicaStatus], proxy_url: str | None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if proxy_url:
        out.append({"kind": "proxy", "url": proxy_url, "auth": service.url_auth})
    out.extend(
        {"kind": "replica", "url": f"http://{r.address}", "pod": r.pod, "ready": r.ready}
        for r in items
        if r.address
    )
    return out


def view_services(
    org: Org,
    actor: Actor,
    services: list[Service],
    *,
    proxy_url: Callable[[str], str] | None = None,
) -> list[ServiceView]:
    """List views (`full=False`) of `services`, observed through the runtime in one read
    (`Runtime.observe`), not one per service; `proxy_url(service_id)` builds each proxy URL."""
    seen = get_runtime().observe([s.id for s in services])
    return [
        view_service(
            org,
            actor,
            service,
            proxy_url=proxy_url(service.id) if proxy_url else None,
            full=False,
            seen=seen[service.id],
        )
        for service in services
    ]


def view_service(
    org: Org,
    actor: Actor,
    service: Service,
    *,
    proxy_url: str | None = None,
    full: bool = True,
    seen: tuple[int, list[ReplicaStatus]] | None = None,
) -> ServiceView:
    """The view of `service` (a row of `org`) for `actor`: observed replicas and health,
    endpoints (the proxy's absolute URL `proxy_url` first, as the caller builds URLs) and
    the environment the actor may read. `full=False` skips replicas and endpoints (lists).
    `seen`: (desired replicas, replicas) already observed (`Runtime.observe`), else read here.

    Raises ServiceUnavailable when the configured runtime is not available in this build.
    """
    if seen is None:
        seen = get_runtime().observe([service.id])[service.id]
    desired, items = seen
    return ServiceView(
        id=service.id,
        project_id=service.project_id,
        project_name=service.project.name,
        name=service.name,
        type=service.type,
        image=service.image,
        command=service.command,
        env=visible_env(org, actor, service.env) if full else {},
        replica_count=service.replicas,
        health_check_path=service.health_check_path,
        port=service.port,
        url_auth=service.url_auth,
        status=service.status,
        current_revision=service.current_revision,
        current_image=current_image(service) if full else None,
        active_deployment_id=service.active_deployment_id,
        health=_health(service, items, desired),
        replicas=replica_summary(service, items) if full else None,
        endpoints=_endpoints(service, items, proxy_url) if full else [],
        created_by_id=service.created_by_id,
        created_at=service.created_at,
        updated_at=service.updated_at,
    )


# --- create, change, delete --------------------------------------------------------------------


def _limit(org: Org, name: str) -> int:
    return int((org.limits or {}).get(name, DEFAULT_LIMITS[name]))


def _name_taken(project_id: str, name: str, exclude: str | None = None) -> bool:
    stmt = select(Service.id).where(Service.project_id == project_id, Service.name == name)
    if exclude:
        stmt = stmt.where(Service.id != exclude)
    return db.session.execute(stmt).first() is not None


def create_service(
    org: Org,
    actor: Actor,
    *,
    project_id: str,
    name: str,
    image: str | None = None,
    command: str | None = None,
    type: str = "web",
    env: dict[str, str] | None = None,
    replicas: int = 1,
    health_check_path: str = "/",
    port: int | None = None,
    url_auth: str = "private",
) -> Service:
    """A new, stopped service in a project; nothing runs until it is deployed.

    `type` is a category (`SERVICE_TYPES`). What the spec must give depends on the runtime
    (`REQUIRED_SPEC_BY_RUNTIME`): on the local runtime a `command` (the `image` is a label,
    `<name>:local` when omitted); on Kubernetes an `image`.

    Raises PermissionDenied (not a maintainer), NotFound (no such project), Conflict (the
    project is archived, the name is taken, or maxServices is reached) and InvalidRequest
    (including a field the runtime requires that is missing).
    """
    require_manage_rights(actor, "create services")
    project = get_project(org, actor, project_id)
    require_active(project)
    _require_runtime_spec(image=image, command=command)
    values = _validate(
        {
            "name": name,
            "type": type,
            "image": image if image not in (None, "") else f"{(name or '').strip().lower()}:local",
            "command": command if command is not None else "",
            "env": env or {},
            "replicas": replicas,
            "health_check_path": health_check_path,
            "port": port,
            "url_auth": url_auth,
        }
    )
    if _name_taken(project.id, values["name"]):
        raise Conflict(
            f"A service named '{values['name']}' already exists in project '{project.name}'",
            field="name",
            reason="already exists",
        )
    count = db.session.execute(
        select(func.count()).select_from(Service).where(Service.org_id == org.id)
    ).scalar_one()
    limit = _limit(org, "maxServices")
    if count >= limit:
        raise Conflict(
            f"Your organization has reached its limit of {limit} services "
            "(maxServices); delete one or ask an admin to raise the limit",
            field="maxServices",
            reason="limit reached",
            details={"limit": limit, "count": count},
        )
    service = Service(
        org_id=org.id, project_id=project.id, created_by_id=actor.id, status="stopped", **values
    )
    db.session.add(service)
    db.session.commit()
    return service


def update_service(org: Org, actor: Actor, service_id: str, **changes: Any) -> Service:
    """Change the spec. Image, command, env and replicas take effect at the next deploy;
    the URL settings at once.

    Raises NotFound, PermissionDenied (not a maintainer), InvalidRequest and Conflict (the
    name is taken in the project).
    """
    service = get_service(org, actor, service_id)
    require_manage_rights(actor, "change services")
    values = _validate({k: v for k, v in changes.items() if k in EDITABLE})
    if "name" in values and _name_taken(service.project_id, values["name"], exclude=service.id):
        raise Conflict(
            f"A service named '{values['name']}' already exists in this project",
            field="name",
            reason="already exists",
        )
    for key, value in values.items():
        setattr(service, key, value)
    db.session.commit()
    return service


def delete_service(org: Org, actor: Actor, service_id: str) -> None:
    """Delete the service now and leave the cleanup to a job: answers at once.

    Its desired state is removed (the runtime stops every replica asynchronously), the row
    goes with its revisions and deployments, and `jobs.finish_service_deletion` waits for the
    replicas to be gone before deleting the logs.

    Raises NotFound (no such service in `org`), PermissionDenied (not a maintainer),
    Conflict (a deployment is in progress) and ServiceUnavailable (replicas run but the
    runtime cannot be told to stop them now).
    """
    service = get_service(org, actor, service_id)
    require_manage_rights(actor, "delete services")
    if service.active_deployment_id:
        raise Conflict(
            "A deployment of this service is in progress; wait for it to finish",
            field="id",
            reason="deployment in progress",
        )
    runtime = get_runtime()
    running = bool(runtime.replicas(service.id))
    up, why = runtime.availability() if running else (True, "")
    if not up:
        raise ServiceUnavailable(
            f"The replicas cannot be stopped now ({why}); retry when the runtime is back"
        )
    runtime.remove(service.id)
    db.session.delete(service)
    db.session.commit()
    if not running:
        runtime.delete_logs(service_id)
    enqueue(
        "blueprints.services.jobs.finish_service_deletion",
        service_id,
        job_id=f"delete-{service_id}",
    )


# --- deployments -------------------------------------------------------------------------------


def _revision(service: Service, number: int | None) -> Revision | None:
    if number is None:
        return None
    return db.session.execute(
        select(Revision).where(Revision.service_id == service.id, Revision.number == number)
    ).scalar_one_or_none()


def _lock(org: Org, service_id: str) -> Service:
    """The service row, locked for the rest of the transaction (PostgreSQL)."""
    service = db.session.execute(
        scoped(Service, org)
        .where(Service.id == service_id)
        .with_for_update(of=Service)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if service is None:
        raise NotFound(f"No service with id '{service_id}'", details={"id": service_id})
    return service


def _require_idle(service: Service) -> None:
    if service.active_deployment_id:
        raise Conflict(
            "A deployment of this service is already in progress",
            field="id",
            reason="deployment in progress",
            details={"deploymentId": service.active_deployment_id},
        )


def _require_active_slot(org: Org, service: Service) -> None:
    if service.status in ACTIVE:
        return
    limit = _limit(org, "activeServiceLimit")
    active = db.session.execute(
        select(func.count())
        .select_from(Service)
        .where(Service.org_id == org.id, Service.status.in_(ACTIVE))
    ).scalar_one()
    if active >= limit:
        raise Conflict(
            f"Your organization already runs {active} active "
            f"service{'' if active == 1 else 's'}, its limit (activeServiceLimit {limit}); "
            "stop one or ask an admin to raise it",
            field="activeServiceLimit",
            reason="limit reached",
            details={"limit": limit, "active": active},
        )


def _start_deployment(
    org: Org,
    actor: Actor,
    service: Service,
    revision: Revision,
    *,
    kind: str,
    strategy: str,
) -> Deployment:
    runtime = get_runtime()
    current = runtime.desired(service.id)
    previous = _revision(service, service.current_revision)
    deployment = Deployment(
        org_id=org.id,
        service_id=service.id,
        kind=kind,
        strategy=strategy,
        status="in-progress",
        revision=revision.number,
        previous_revision=previous.number if previous else None,
        image=revision.image,
        previous_image=previous.image if previous else None,
        replicas=revision.replicas,
        progress={"updated": 0, "ready": 0, "available": 0, "desired": revision.replicas},
        previous_sets=[s.__dict__ for s in (current.sets if current else [])],
        created_by_id=actor.id,
    )
    db.session.add(deployment)
    db.session.flush()
    service.status = "deploying"
    service.active_deployment_id = deployment.id
    emit(
        org,
        "deployment.created",
        {
            "deploymentId": deployment.id,
            "serviceId": service.id,
            "name": service.name,
            "revision": revision.number,
            "image": revision.image,
            "kind": kind,
            "strategy": strategy,
            "by": actor.id,
        },
    )
    db.session.commit()
    enqueue_deployment(deployment)
    return deployment


DEPLOY_QUEUE = "deploys"


def deployment_job_id(deployment_id: str) -> str:
    """The RQ job id of a deployment's rollout: enqueueing it twice runs it once."""
    return f"run-{deployment_id}"


def enqueue_deployment(deployment: Deployment) -> Any:
    """Queue the rollout job of `deployment` (by dotted path: the jobs import this module).

    Its timeout budget is DEPLOY_READY_TIMEOUT (seconds) per replica step plus slack.
    """
    timeout = float(current_app.config["DEPLOY_READY_TIMEOUT"])
    budget = int(timeout * (2 * deployment.replicas + 2) + 120)
    # Deploys wait on replicas for up to minutes: their own queue (and worker) keeps webhook
    # deliveries and other short jobs from queueing behind a rollout.
    return enqueue(
        "blueprints.services.jobs.run_deployment",
        deployment.id,
        queue=DEPLOY_QUEUE,
        job_id=deployment_job_id(deployment.id),
        timeout=budget,
    )


def _check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise InvalidRequest(
            f"strategy must be one of {', '.join(STRATEGIES)}",
            field="strategy",
            reason="unknown strategy",
        )


def deploy(
    org: Org,
    actor: Actor,
    service_id: str,
    *,
    image: str | None = None,
    command: str | None = None,
    env: dict[str, str] | None = None,
    replicas: int | None = None,
    strategy: str = "rolling-update",
) -> Deployment:
    """Make a new numbered revision from the service's spec (overridden by what is given)
    and roll it out on a worker. Answers at once with the in-progress deployment.

    Raises NotFound, PermissionDenied (see `can_deploy`), InvalidRequest (a bad spec or
    strategy) and Conflict (archived project, a deployment in progress, or the organization's
    activeServiceLimit reached).
    """
    service = get_service(org, actor, service_id)
    require_deploy_rights(service.project, actor, "deploy services")
    require_active(service.project)
    _check_strategy(strategy)
    changes = _validate(
        {
            k: v
            for k, v in {
                "image": image,
                "command": command,
                "env": env,
                "replicas": replicas,
            }.items()
            if v is not None
        }
    )
    service = _lock(org, service_id)
    _require_idle(service)
    _require_active_slot(org, service)
    for key, value in changes.items():
        setattr(service, key, value)
    revision = new_revision(
        service,
        image=service.image,
        command=service.command,
        env=service.env,
        replicas=service.replicas,
        actor=actor,
    )
    return _start_deployment(org, actor, service, revision, kind="deploy", strategy=strategy)


def next_revision_number(service: Service) -> int:
    """The number the service's next revision gets (1 for the first)."""
    top = db.session.execute(
        select(func.max(Revision.number)).where(Revision.service_id == service.id)
    ).scalar_one()
    return (top or 0) + 1


def new_revision(
    service: Service, *, image: str, command: str, env: dict[str, str], replicas: int, actor: Actor
) -> Revision:
    """A new numbered revision of `service` (flushed, not committed)."""
    revision = Revision(
        org_id=service.org_id,
        service_id=service.id,
        number=next_revision_number(service),
        image=image,
        command=command,
        env=dict(env or {}),
        replicas=replicas,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def find_revision(service: Service, ref: Any) -> Revision:
    """A revision by number (`3`, `"3"`) or by image tag (`"app:v1"` or just `"v1"`): the
    newest revision with that image.

    Raises InvalidRequest (empty, or a number out of range) and NotFound (field `revision`:
    no such revision).
    """
    text = str(ref).strip() if ref is not None else ""
    if not text:
        raise InvalidRequest(
            "Give a revision number or an image tag", field="revision", reason="empty"
        )
    if text.isascii() and text.isdigit():  # "²" is a digit to str.isdigit, not to int()
        number = int(text)
        if not 1 <= number <= INT32_MAX:
            raise InvalidRequest(
                f"A revision number is between 1 and {INT32_MAX}",
                field="revision",
                reason="out of range",
            )
        found = _revision(service, number)
    else:
        rows = (
            db.session.execute(
                select(Revision)
                .where(Revision.service_id == service.id)
                .order_by(Revision.number.desc())
            )
            .scalars()
            .all()
        )
        found = next((r for r in rows if r.image == text), None) or next(
            (r for r in rows if r.image.rsplit(":", 1)[-1] == text), None
        )
    if found is None:
        raise NotFound(
            f"Service '{service.name}' has no revision '{text}'",
            field="revision",
            reason="unknown revision",
        )
    return found


def rollback(
    org: Org,
    actor: Actor,
    service_id: str,
    *,
    revision: Any,
    strategy: str = "rolling-update",
) -> Deployment:
    """Redeploy an earlier revision's image, command, env and replicas as a new revision.

    `revision` is a number or an image tag (see `find_revision`). Raises as `deploy`, and
    NotFound (field `revision`) for an unknown revision.
    """
    service = get_service(org, actor, service_id)
    require_deploy_rights(service.project, actor, "roll back services")
    require_active(service.project)
    _check_strategy(strategy)
    target = find_revision(service, revision)
    service = _lock(org, service_id)
    _require_idle(service)
    _require_active_slot(org, service)
    service.image, service.command = target.image, target.command
    service.env, service.replicas = dict(target.env or {}), target.replicas
    copy = new_revision(
        service,
        image=target.image,
        command=target.command,
        env=target.env,
        replicas=target.replicas,
        actor=actor,
    )
    return _start_deployment(org, actor, service, copy, kind="rollback", strategy=strategy)


def restart(org: Org, actor: Actor, service_id: str) -> Deployment:
    """Replace every replica with a fresh one of the same revision, one at a time.

    Raises NotFound, PermissionDenied and Conflict (a deployment in progress, or the service
    is not running).
    """
    service = get_service(org, actor, service_id)
    require_deploy_rights(service.project, actor, "restart services")
    service = _lock(org, service_id)
    _require_idle(service)
    current = _revision(service, service.current_revision)
    if current is None or service.status == "stopped":
        raise Conflict(
            "Only a running service can be restarted; deploy or start it first",
            field="id",
            reason="not running",
        )
    return _start_deployment(
        org, actor, service, current, kind="restart", strategy="rolling-update"
    )


def _last_success(service: Service) -> Deployment | None:
    return db.session.execute(
        select(Deployment)
        .where(Deployment.service_id == service.id, Deployment.status == "success")
        .order_by(Deployment.finished_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def start(org: Org, actor: Actor, service_id: str) -> Service:
    """Run the current revision again (replicas start asynchronously); a running service is
    left as it is.

    Raises NotFound, PermissionDenied and Conflict (archived project, a deployment in
    progress, never deployed, or activeServiceLimit reached).
    """
    service = get_service(org, actor, service_id)
    require_deploy_rights(service.project, actor, "start services")
    require_active(service.project)
    service = _lock(org, service_id)
    _require_idle(service)
    current = _revision(service, service.current_revision)
    if current is None:
        raise Conflict(
            "This service has never been deployed; deploy it first",
            field="id",
            reason="never deployed",
        )
    if service.status == "running":
        return service
    _require_active_slot(org, service)
    last = _last_success(service)
    key = last.id if last else f"{service.id}-r{current.number}"
    get_runtime().apply(desired_state(service, [set_spec(key, current)]))
    service.status = "running"
    db.session.commit()
    return service


def stop(org: Org, actor: Actor, service_id: str) -> Service:
    """Ask the runtime to stop every replica (asynchronously); the service hibernates.

    Raises NotFound, PermissionDenied and Conflict (a deployment in progress).
    """
    service = get_service(org, actor, service_id)
    require_deploy_rights(service.project, actor, "stop services")
    service = _lock(org, service_id)
    _require_idle(service)
    get_runtime().apply(desired_state(service, []))
    service.status = "stopped"
    db.session.commit()
    return service


# --- health and logs ---------------------------------------------------------------------------


def check(org: Org, actor: Actor, service_id: str) -> ProbeResult:
    """Really probe the health path of a ready replica (hibernated when stopped); the
    result's `elapsed_ms` is milliseconds. Raises NotFound."""
    service = get_service(org, actor, service_id)
    if service.status == "stopped":
        return ProbeResult("hibernated", "the service is stopped", utcnow(), 0.0)
    if service.status == "failed" and not get_runtime().replicas(service.id):
        return ProbeResult(
            "unhealthy", "the last deployment failed and nothing runs", utcnow(), 0.0
        )
    if service.type == "worker":
        summary = replica_summary(service)
        status = "healthy" if summary.ready else "unhealthy"
        return ProbeResult(
            status,
            f"{summary.ready} of {summary.desired} worker replicas running",
            utcnow(),
            0.0,
        )
    return get_runtime().probe(service.id, service.health_check_path, timeout=5.0)


MAX_LOG_LINES = 5000


def read_logs(
    org: Org,
    actor: Actor,
    service_id: str,
    *,
    lines: int = 100,
    since: datetime | None = None,
) -> list[LogEntry]:
    """The last `lines` log lines (1..MAX_LOG_LINES; written after `since`), oldest first.

    Raises NotFound and InvalidRequest (lines out of range).
    """
    service = get_service(org, actor, service_id)
    if not 1 <= lines <= MAX_LOG_LINES:
        raise InvalidRequest(
            f"lines must be between 1 and {MAX_LOG_LINES}", field="lines", reason="out of range"
        )
    return get_runtime().read_logs(service.id, lines=lines, since=since)


def home_summary(org: Org, actor: Actor) -> dict[str, int]:
    """The home card's counts: {total, running, failed, unhealthy} services of `org`.

    One grouped query; every role may read it. Raises nothing.
    """
    rows = db.session.execute(
        select(Service.status, Service.health_status, func.count())
        .where(Service.org_id == org.id)
        .group_by(Service.status, Service.health_status)
    ).all()
    return {
        "total": sum(n for _, _, n in rows),
        "running": sum(n for s, _, n in rows if s == "running"),
        "failed": sum(n for s, _, n in rows if s == "failed"),
        "unhealthy": sum(n for _, h, n in rows if h == "unhealthy"),
    }
