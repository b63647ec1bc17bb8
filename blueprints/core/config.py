"""Configuration: one typed object read from the environment.

Tests pass overrides to `create_app(config)`; nothing here mutates `os.environ`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = Path(os.environ.get("SPARKI_INSTANCE_PATH", ROOT / "instance"))


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


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
    IDEMPOTENCY_TTL_SECONDS: int = 24 * 3600
    SPARKI_ADMIN_EMAIL: str = ""
    SPARKI_ADMIN_PASSWORD: str = ""
    SPARKI_ADMIN_ORG: str = "Default"
    SPARKI_RUNTIME: str = "local"
    SPARKI_CLUSTER_NAME: str = "sparki-local"
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
    # Queues a `sparki worker` listens on when none is named (Procfile splits them).
    RQ_QUEUES: list[str] = field(default_factory=lambda: ["default", "deploys"])
    LOG_LEVEL: str = "INFO"
    # Services on the local runtime (the agent, deploys, logs).
    DEPLOY_READY_TIMEOUT: float = 60.0
    AGENT_RECONCILE_INTERVAL: float = 0.5
    AGENT_PROBE_INTERVAL: float = 5.0
    AGENT_DATA_DIR: str = ""
    SERVICE_PORT_RANGE: str = "42000-42999"
    LOG_STREAM_MAXLEN: int = 10000
    LOG_STREAM_KEEPALIVE: float = 15.0
    # Node figures (the agent's reporter): seconds between samples; a node whose last
    # reading is older than NODE_STALE_SECONDS is NotReady.
    NODE_SAMPLE_SECONDS: float = 5.0
    NODE_STALE_SECONDS: float = 30.0
    TESTING: bool = False
    WTF_CSRF_ENABLED: bool = True
    # Each service's own browser origin: `<name>-<short id>.<SPARKI_PROXY_DOMAIN>` answered on
    # SPARKI_PROXY_PORT (the port appears in links only for the default `localhost` domain;
    # a real domain is expected behind a reverse proxy on 80/443).
    SPARKI_PROXY_PORT: int = 8884
    SPARKI_PROXY_DOMAIN: str = "localhost"

    @classmethod
    def from_env(cls, secret_key: str | None = None) -> Config:
        """Read the environment; `secret_key` (tests) avoids touching instance/."""
        env = os.environ
        database = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'sparki.db'}"
        if database.startswith("postgres://"):
            database = "postgresql://" + database[len("postgres://") :]
        if database.startswith("postgresql://"):
            database = "postgresql+psycopg://" + database[len("postgresql://") :]
        return cls(
            SECRET_KEY=secret_key or _secret_key(),
            API_PORT=int(env.get("API_PORT", "8883")),
            SQLALCHEMY_DATABASE_URI=database,
            REDIS_URL=env.get("REDIS_URL", cls.REDIS_URL),
            CORS_ORIGINS=env.get("CORS_ORIGINS", "*"),
            RATE_LIMIT_PER_KEY=env.get("RATE_LIMIT_PER_KEY", cls.RATE_LIMIT_PER_KEY),
            RATE_LIMIT_PER_USER=env.get("RATE_LIMIT_PER_USER", cls.RATE_LIMIT_PER_USER),
            LOGIN_RATE_LIMIT=env.get("LOGIN_RATE_LIMIT", cls.LOGIN_RATE_LIMIT),
            SPARKI_ADMIN_EMAIL=env.get("SPARKI_ADMIN_EMAIL", ""),
            SPARKI_ADMIN_PASSWORD=env.get("SPARKI_ADMIN_PASSWORD", ""),
            SPARKI_ADMIN_ORG=env.get("SPARKI_ADMIN_ORG", "Default"),
            SPARKI_RUNTIME=env.get("SPARKI_RUNTIME", "local"),
            SPARKI_CLUSTER_NAME=env.get("SPARKI_CLUSTER_NAME", "sparki-local"),
            WEBHOOK_ALLOW_PRIVATE=_bool(env.get("WEBHOOK_ALLOW_PRIVATE")),
            WEBHOOK_RETRY_SCHEDULE=[
                int(x)
                for x in env.get(
                    "WEBHOOK_RETRY_SCHEDULE", "0,5,300,1800,7200,18000,36000,36000"
                ).split(",")
            ],
            WEBHOOK_TIMEOUT_SECONDS=float(env.get("WEBHOOK_TIMEOUT_SECONDS", "15")),
            WEBHOOK_DISABLE_AFTER_SECONDS=int(
                env.get("WEBHOOK_DISABLE_AFTER_SECONDS", str(5 * 86400))
            ),
            WEBHOOK_LEASE_SECONDS=int(env.get("WEBHOOK_LEASE_SECONDS", "60")),
            WEBHOOK_INLINE_SECONDS=float(env.get("WEBHOOK_INLINE_SECONDS", "2")),
            LOG_LEVEL=env.get("LOG_LEVEL", "INFO"),
            NODE_SAMPLE_SECONDS=float(env.get("NODE_SAMPLE_SECONDS", cls.NODE_SAMPLE_SECONDS)),
            NODE_STALE_SECONDS=float(env.get("NODE_STALE_SECONDS", cls.NODE_STALE_SECONDS)),
            DEPLOY_READY_TIMEOUT=float(env.get("DEPLOY_READY_TIMEOUT", cls.DEPLOY_READY_TIMEOUT)),
            AGENT_RECONCILE_INTERVAL=float(
                env.get("AGENT_RECONCILE_INTERVAL", cls.AGENT_RECONCILE_INTERVAL)
            ),
            AGENT_PROBE_INTERVAL=float(env.get("AGENT_PROBE_INTERVAL", cls.AGENT_PROBE_INTERVAL)),
            AGENT_DATA_DIR=env.get("AGENT_DATA_DIR", ""),
            SERVICE_PORT_RANGE=env.get("SERVICE_PORT_RANGE", cls.SERVICE_PORT_RANGE),
            LOG_STREAM_MAXLEN=int(env.get("LOG_STREAM_MAXLEN", cls.LOG_STREAM_MAXLEN)),
            LOG_STREAM_KEEPALIVE=float(env.get("LOG_STREAM_KEEPALIVE", cls.LOG_STREAM_KEEPALIVE)),
            SPARKI_PROXY_PORT=int(env.get("SPARKI_PROXY_PORT", cls.SPARKI_PROXY_PORT)),
            SPARKI_PROXY_DOMAIN=env.get("SPARKI_PROXY_DOMAIN", cls.SPARKI_PROXY_DOMAIN),
        )

    def as_flask(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k.isupper()}
