"""Configuration: one typed object read from the environment.

Tests pass overrides to `create_app(config)`; nothing here mutates `os.environ`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = Path(os.environ.get("SPARKI_INSTANCE_PATH", ROOT / "instance"))


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _bool(value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"expected one of {sorted(_TRUE | _FALSE)}")


def _list(value: str, item: type) -> list:
    return [item(part.strip()) for part in value.split(",") if part.strip()]


_COERCE: dict[str, Callable[[str], Any]] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": _bool,
    "list[int]": lambda value: _list(value, int),
    "list[str]": lambda value: _list(value, str),
}


def _coerce(name: str, kind: str, value: str) -> Any:
    """`value` (an environment string) as `kind`; a bad value names the variable."""
    try:
        return _COERCE[kind](value)
    except ValueError as exc:
        raise ValueError(
            f"environment variable {name}={value!r} is not a valid {kind}: {exc}"
        ) from exc


def _database_url(env: Mapping[str, str]) -> str:
    """DATABASE_URL (Heroku-style `postgres://` too) as a SQLAlchemy URL using psycopg 3."""
    database = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'sparki.db'}"
    if database.startswith("postgres://"):
        database = "postgresql://" + database[len("postgres://") :]
    if database.startswith("postgresql://"):
        database = "postgresql+psycopg://" + database[len("postgresql://") :]
    return database


def _secret_key(env: Mapping[str, str]) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/."""
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    path = INSTANCE / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


# Fields not read from a variable of their own name (see Config.from_env).
_DERIVED = {"SQLALCHEMY_DATABASE_URI", "SECRET_KEY"}


@dataclass
class Config:
    """Every setting Sparki reads. Upper-case names become Flask config keys."""

    SECRET_KEY: str = ""
    API_PORT: int = 8883
    SQLALCHEMY_DATABASE_URI: str = ""
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    CORS_ORIGINS: str = "*"
    RATE_LIMIT_PER_KEY: str = "1000/hour"
    RATE_LIMIT_PER_USER: str = "5000/hour"
    RATELIMIT_ENABLED: bool = True
    LOGIN_RATE_LIMIT: str = "20/minute"
    TOKEN_TTL_SECONDS: int = 3600
    # An API key's owner, roles and revocation are read from the database at most this often
    # per web process (core.auth); revocation, role changes and deactivation take effect
    # within it. 0 reads them on every request.
    AUTH_CACHE_SECONDS: float = 1
    # Hot list reads (core.readcache) answer from Redis until a table they read is written;
    # this bounds an answer's life in seconds. 0 turns the cache off.
    READ_CACHE_SECONDS: int = 60
    # A dashboard session not seen for this long ends on the server (core.sessions).
    SESSION_IDLE_SECONDS: int = 7 * 86400
    IDEMPOTENCY_TTL_SECONDS: int = 24 * 3600
    # The largest request body accepted, in bytes (Flask's own setting): larger → 413.
    MAX_CONTENT_LENGTH: int = 5 * 1024 * 1024
    SPARKI_ADMIN_EMAIL: str = ""
    SPARKI_ADMIN_PASSWORD: str = ""
    SPARKI_ADMIN_ORG: str = "Default"
    SPARKI_RUNTIME: str = "local"
    SPARKI_CLUSTER_NAME: str = "sparki-local"
    # The Kubernetes runtime: the kubeconfig file (empty: ~/.kube/config, else the in-cluster
    # service account), its context (empty: the current one), the namespace prefix of each
    # organization's namespace, and the timeout of one call to the API server (seconds).
    KUBECONFIG: str = ""
    SPARKI_K8S_CONTEXT: str = ""
    SPARKI_K8S_NAMESPACE_PREFIX: str = "sparki-"
    SPARKI_K8S_TIMEOUT: float = 10.0
    WEBHOOK_ALLOW_PRIVATE: bool = False
    # Seconds between delivery attempts (Svix's schedule: attempt 1 at once, then 5 s, 5 min,
    # 30 min, 2 h, 5 h, 10 h, 10 h), each stretched or shrunk by up to WEBHOOK_RETRY_JITTER.
    WEBHOOK_RETRY_SCHEDULE: list[int] = field(
        default_factory=lambda: [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    )
    WEBHOOK_RETRY_JITTER: float = 0.1
    WEBHOOK_TIMEOUT_SECONDS: float = 15.0
    WEBHOOK_DISABLE_AFTER_SECONDS: int = 5 * 86400
    WEBHOOK_LEASE_SECONDS: int = 60  # an attempt "sending" longer than this was lost
    WEBHOOK_OUTBOX_GRACE_SECONDS: int = 30  # undispatched events older than this are swept
    WEBHOOK_SECRET_OVERLAP_SECONDS: int = 86400  # a rotated-out secret keeps signing this long
    # The fan-out job itself makes the first attempt to healthy endpoints for up to this many
    # seconds (saving a job per delivery); the rest, and every retry, are jobs of their own.
    WEBHOOK_INLINE_SECONDS: float = 2.0
    # Schedules: workflow sources on loopback/private addresses (a LangFlow on localhost);
    # a slot later than the grace is "missed" (missedRunPolicy); automatic retries of a task
    # wait TASK_RETRY_BASE_SECONDS * 2**(try-1), at most TASK_RETRY_MAX_SECONDS.
    SOURCE_ALLOW_PRIVATE: bool = False
    SCHEDULE_MISFIRE_GRACE_SECONDS: int = 60
    TASK_RETRY_BASE_SECONDS: float = 5.0
    TASK_RETRY_MAX_SECONDS: float = 300.0
    # Queues a `sparki worker` listens on when none is named (Procfile splits them).
    RQ_QUEUES: list[str] = field(default_factory=lambda: ["default", "deploys"])
    LOG_LEVEL: str = "INFO"
    # `text` (one readable line) or `json` (one JSON object a line, for log shippers).
    LOG_FORMAT: str = "text"
    # Audit entries older than this many days are deleted by an hourly job.
    AUDIT_RETENTION_DAYS: int = 365
    # /metrics (Prometheus): `auto` serves it only when the web process binds to loopback
    # (SPARKI_BIND), `on` on any bind, `off` never. With METRICS_TOKEN set, a scrape must
    # send `Authorization: Bearer <token>`.
    METRICS: str = "auto"
    METRICS_TOKEN: str = ""
    # Services on the local runtime (the agent, deploys, logs).
    DEPLOY_READY_TIMEOUT: float = 60.0
    AGENT_RECONCILE_INTERVAL: float = 0.5
    AGENT_PROBE_INTERVAL: float = 5.0
    AGENT_DATA_DIR: str = ""
    SERVICE_PORT_RANGE: str = "42000-42999"
    LOG_STREAM_MAXLEN: int = 10000
    LOG_STREAM_KEEPALIVE: float = 15.0
    # Followed log streams (the API's `follow=true`, a service page's live logs) one user may
    # hold open at once; one more answers 429.
    LOG_STREAMS_PER_USER: int = 10
    # Node figures (the agent's reporter): seconds between samples; a node whose last
    # reading is older than NODE_STALE_SECONDS is NotReady.
    NODE_SAMPLE_SECONDS: float = 5.0
    NODE_STALE_SECONDS: float = 30.0
    # Password hashing (argon2id). The defaults are argon2-cffi's own (RFC 9106's low-memory
    # profile); tests set them cheap. Hashes record their parameters, so changing these never
    # invalidates a stored hash: old ones still verify.
    ARGON2_TIME_COST: int = 3
    ARGON2_MEMORY_COST: int = 65536  # KiB
    ARGON2_PARALLELISM: int = 4
    TESTING: bool = False
    WTF_CSRF_ENABLED: bool = True
    # Each service's own browser origin: `<name>-<short id>.<SPARKI_PROXY_DOMAIN>` answered on
    # SPARKI_PROXY_PORT (the port appears in links only for the default `localhost` domain;
    # a real domain is expected behind a reverse proxy on 80/443).
    SPARKI_PROXY_PORT: int = 8884
    SPARKI_PROXY_DOMAIN: str = "localhost"
    # The address the web process (gunicorn, Procfile) listens on, for both ports: loopback
    # unless opened on purpose.
    SPARKI_BIND: str = "127.0.0.1"

    @classmethod
    def from_env(
        cls, secret_key: str | None = None, environ: Mapping[str, str] | None = None
    ) -> Config:
        """Every field from the environment variable of the same name, coerced to its type.

        Unset or empty variables keep the default. Lists are comma-separated
        (`RQ_QUEUES=default,deploys`); booleans are 1/0, true/false, yes/no, on/off. The
        database comes from DATABASE_URL (normalised for psycopg 3); SECRET_KEY is
        `secret_key` (tests: instance/ is never touched), else the environment's, else one
        generated once into instance/. Raises ValueError naming the variable on a bad value.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in _DERIVED:
                continue
            raw = env.get(f.name, "")
            if raw.strip():
                values[f.name] = _coerce(f.name, str(f.type), raw)
        values["SQLALCHEMY_DATABASE_URI"] = _database_url(env)
        values["SECRET_KEY"] = secret_key or _secret_key(env)
        return cls(**values)

    def as_flask(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k.isupper()}
