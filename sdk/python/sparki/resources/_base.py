"""What every resource shares: the transport, body building and typed parsing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Type, TypeVar

from .._model import SparkiObject, camel
from ..pagination import Page

if TYPE_CHECKING:
    from .._client import Client

M = TypeVar("M", bound=SparkiObject)

# Raised by every call; each method's docstring names the ones it is most likely to meet.
ERRORS = (
    "AuthenticationError (401), PermissionError (403), NotFoundError (404), "
    "ValidationError (400), RateLimitError (429), ServerError (5xx), APIConnectionError"
)


def body(**fields: Any) -> Dict[str, Any]:
    """A JSON body from keyword arguments: snake_case names to camelCase, None left out.

    Only the top-level names are converted: nested dicts (`env`, `input`, `repository`,
    `limits`) are sent as given.
    """
    return {camel(name): value for name, value in fields.items() if value is not None}


def query(**params: Any) -> Dict[str, Any]:
    """Query parameters from keyword arguments (camelCase names, None left out)."""
    return {camel(name): value for name, value in params.items() if value is not None}


class Resource:
    """A group of API calls, reached as an attribute of the `Client` (`client.projects`)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def _transport(self) -> Any:
        return self._client._transport

    def _call(
        self,
        method: str,
        path: str,
        model: Optional[Type[M]] = None,
        *,
        params: Optional[Dict[str, Any]] = None,
        json: Any = None,
        idempotency_key: Optional[str] = None,
    ) -> Any:
        data = self._transport.request(
            method, path, params=params, json=json, idempotency_key=idempotency_key
        )
        if model is not None and isinstance(data, dict):
            return model.from_dict(data)
        return data

    def _list(self, path: str, model: Type[M], params: Dict[str, Any]) -> Page[M]:
        parse: Callable[[Dict[str, Any]], M] = model.from_dict

        def fetch(cursor: str) -> Page[M]:
            following = {k: v for k, v in params.items() if k != "page"}
            return self._list(path, model, {**following, "cursor": cursor})

        data = self._transport.request("GET", path, params=params)
        return Page(data, parse, fetch)
