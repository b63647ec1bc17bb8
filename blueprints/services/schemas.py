"""JSON in and out for services, deployments, logs and health checks.

A service is rendered from the domain's `ServiceView` (the same value the pages render).
"""

from __future__ import annotations

from marshmallow import ValidationError

from blueprints.core.schemas import PageQuery, QuerySchema, Schema, Timestamp, fields, validators

from .models import SERVICE_STATUSES, SERVICE_TYPES, STRATEGIES, URL_AUTH

_name = fields.String(
    validate=validators.Length(min=1, max=63),
    metadata={"description": "DNS label, unique within the project"},
)
_env = fields.Dict(
    keys=fields.String(),
    values=fields.Raw(),
    metadata={"description": "Environment variables (PORT is assigned)"},
)
_replicas = fields.Integer(validate=validators.Range(min=1, max=20))
_image = fields.String(
    validate=validators.Length(min=1, max=255),
    metadata={"description": "Label of what runs, e.g. 'app:v2'"},
)
_command = fields.String(
    validate=validators.Length(min=1, max=4000),
    metadata={"description": "Run by /bin/sh with $PORT set"},
)


_path_doc = {"description": "An HTTP path starting with `/`", "pattern": r"^\s*/\S*\s*$"}


class ServiceUrlSettings(Schema):
    auth = fields.String(required=True, validate=validators.OneOf(URL_AUTH))


class ServiceCreate(Schema):
    project_id = fields.String(required=True, validate=validators.Length(min=1, max=64))
    name = fields.String(required=True, validate=validators.Length(min=1, max=63))
    type = fields.String(
        load_default="web",
        validate=validators.OneOf(SERVICE_TYPES),
        metadata={"description": "A category; every type but `worker` serves HTTP on $PORT"},
    )
    image = fields.String(
        load_default=None,
        validate=validators.Length(min=1, max=255),
        metadata={
            "description": "What runs. Required on the Kubernetes runtime; on the local runtime "
            "a label (default `<name>:local`)"
        },
    )
    command = fields.String(
        load_default=None,
        validate=validators.Length(min=1, max=4000),
        metadata={"description": "Run by /bin/sh with $PORT set. Required on the local runtime"},
    )
    env = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    replicas = fields.Integer(load_default=1, validate=validators.Range(min=1, max=20))
    health_check_path = fields.String(
        load_default="/", validate=validators.Length(min=1, max=255), metadata=_path_doc
    )
    port = fields.Integer(
        load_default=None, allow_none=True, validate=validators.Range(min=1, max=65535)
    )
    url_settings = fields.Nested(ServiceUrlSettings, load_default=None)


class ServiceUpdate(Schema):
    name = _name
    type = fields.String(
        validate=validators.OneOf(SERVICE_TYPES),
        metadata={"description": "A category; every type but `worker` serves HTTP on $PORT"},
    )
    image = _image
    command = _command
    env = _env
    replicas = _replicas
    health_check_path = fields.String(
        validate=validators.Length(min=1, max=255), metadata=_path_doc
    )
    port = fields.Integer(allow_none=True, validate=validators.Range(min=1, max=65535))
    url_settings = fields.Nested(ServiceUrlSettings)


class ServiceQuery(PageQuery):
    project = fields.String(load_default=None, validate=validators.Length(max=64))
    status = fields.String(load_default=None, validate=validators.OneOf(SERVICE_STATUSES))


class ServiceReplicaOut(Schema):
    pod = fields.String()
    revision = fields.Integer()
    state = fields.String()
    ready = fields.Boolean()
    node = fields.String()
    address = fields.String(allow_none=True)
    pid = fields.Integer(allow_none=True)
    restarts = fields.Integer()
    started_at = Timestamp(allow_none=True)
    last_probe_at = Timestamp(allow_none=True)
    last_exit_code = fields.Integer(allow_none=True)
    message = fields.String()
    reason = fields.String(
        metadata={
            "description": "Why the replica's last run ended or why it waits, as the runtime "
            "names it (Kubernetes: CrashLoopBackOff, OOMKilled, ImagePullBackOff)"
        }
    )


class ServiceReplicasOut(Schema):
    desired = fields.Integer()
    ready = fields.Integer()
    available = fields.Integer()
    items = fields.List(fields.Nested(ServiceReplicaOut))


class ServiceHealthOut(Schema):
    status = fields.String()
    reason = fields.String()
    last_check = Timestamp(allow_none=True)
    changed_at = Timestamp(allow_none=True)


class ServiceOut(Schema):
    id = fields.String()
    project_id = fields.String()
    name = fields.String()
    type = fields.String()
    image = fields.String()
    command = fields.String()
    env = fields.Dict(keys=fields.String(), values=fields.String())
    health_check_path = fields.String()
    port = fields.Integer(allow_none=True)
    url_settings = fields.Dict()
    status = fields.String()
    current_revision = fields.Integer(allow_none=True)
    current_image = fields.String(
        allow_none=True,
        metadata={
            "description": "The image of the revision that runs; `image` is the next deploy's"
        },
    )
    active_deployment_id = fields.String(allow_none=True)
    replicas = fields.Nested(ServiceReplicasOut)
    health = fields.Nested(ServiceHealthOut)
    endpoints = fields.List(fields.Dict())
    created_by_id = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


class ServiceListItem(Schema):
    id = fields.String()
    project_id = fields.String()
    name = fields.String()
    type = fields.String()
    image = fields.String()
    status = fields.String()
    current_revision = fields.Integer(allow_none=True)
    url_settings = fields.Dict()
    health = fields.Nested(ServiceHealthOut)
    created_at = Timestamp()
    updated_at = Timestamp()


class RevisionField(fields.Field):
    """A revision number (1 to 2**31 - 1, the column's range) or an image tag."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError("Give a revision number or an image tag")
        if isinstance(value, int) and not 1 <= value <= fields.INT32_MAX:
            raise ValidationError(f"A revision number is between 1 and {fields.INT32_MAX}")
        if isinstance(value, str) and not (1 <= len(value.strip()) <= 255):
            raise ValidationError("Give a revision number or an image tag")
        return value


class ServiceDeployIn(Schema):
    image = _image
    command = _command
    env = _env
    replicas = _replicas
    strategy = fields.String(load_default="rolling-update", validate=validators.OneOf(STRATEGIES))


class ServiceRollbackIn(Schema):
    revision = RevisionField(
        required=True,
        metadata={
            "description": "A revision number or an image tag",
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": fields.INT32_MAX},
                {"type": "string", "minLength": 1, "maxLength": 255},
            ],
        },
    )
    strategy = fields.String(load_default="rolling-update", validate=validators.OneOf(STRATEGIES))


class DeploymentProgressOut(Schema):
    updated = fields.Integer()
    ready = fields.Integer()
    available = fields.Integer()
    desired = fields.Integer()


class DeploymentUserOut(Schema):
    id = fields.String()
    name = fields.String()
    email = fields.String()


class DeploymentOut(Schema):
    id = fields.String()
    deployment_id = fields.Function(lambda d: d.id, metadata={"type": "string"})
    service_id = fields.String()
    kind = fields.String()
    strategy = fields.String()
    status = fields.String()
    revision = fields.Integer()
    previous_revision = fields.Integer(allow_none=True)
    image = fields.String()
    previous_image = fields.String(allow_none=True)
    replicas = fields.Integer()
    progress = fields.Nested(DeploymentProgressOut)
    message = fields.String()
    created_by = fields.Nested(DeploymentUserOut, allow_none=True)
    created_at = Timestamp()
    started_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)
    duration_ms = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Milliseconds from start to finish (so far, while in progress); "
            "null before the rollout starts"
        },
    )
    duration_seconds = fields.Float(
        allow_none=True,
        metadata={"description": "Deprecated: use durationMs. The same duration in seconds"},
    )


class ServiceRollbackOut(DeploymentOut):
    target_image = fields.Function(lambda d: d.image, metadata={"type": "string"})


class ServiceLogsQuery(QuerySchema):
    lines = fields.Integer(load_default=100, validate=validators.Range(min=1, max=5000))
    follow = fields.Boolean(load_default=False)
    since = fields.DateTime(load_default=None, metadata={"description": "ISO-8601"})
    format = fields.String(
        load_default="json",
        validate=validators.OneOf(["json", "html"]),
        metadata={"description": "SSE data as JSON or as HTML lines"},
    )


class ServiceLogLineOut(Schema):
    id = fields.String()
    timestamp = Timestamp()
    level = fields.String()
    message = fields.String()
    pod = fields.String()


class ServiceLogsOut(Schema):
    logs = fields.List(fields.Nested(ServiceLogLineOut))


class ServiceCheckOut(Schema):
    status = fields.String(metadata={"description": "healthy | hibernated | unhealthy | error"})
    reason = fields.String()
    checked_at = Timestamp()
    elapsed_ms = fields.Float(metadata={"description": "Milliseconds the probe took"})
    elapsed = fields.Function(
        lambda result: result.elapsed_ms,
        metadata={"type": "number", "description": "Deprecated: use elapsedMs (same value)"},
    )
    pod = fields.String(allow_none=True)
    http_status = fields.Integer(allow_none=True)
