"""Sparki's Python SDK.

from sparki import Client

client = Client(api_key="sk_…")  # or SPARKI_API_KEY; base URL from SPARKI_BASE_URL
for project in client.projects.list(status="active", limit=50):
    print(project.id, project.name)
"""

__version__ = "0.1.0"

from . import webhooks  # noqa: E402
from ._client import DEFAULT_BASE_URL, Client  # noqa: E402
from ._model import SparkiObject  # noqa: E402
from .errors import (  # noqa: E402
    APIConnectionError,
    AuthenticationError,
    ConflictError,
    DeploymentFailedError,
    InvalidRequestError,
    ModuleDisabledError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    SparkiError,
    ValidationError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from .pagination import Page  # noqa: E402

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "DeploymentFailedError",
    "InvalidRequestError",
    "ModuleDisabledError",
    "NotFoundError",
    "Page",
    "PayloadTooLargeError",
    "PermissionError",
    "RateLimitError",
    "ServerError",
    "ServiceUnavailableError",
    "SparkiError",
    "SparkiObject",
    "ValidationError",
    "WaitTimeoutError",
    "WebhookVerificationError",
    "__version__",
    "webhooks",
]
