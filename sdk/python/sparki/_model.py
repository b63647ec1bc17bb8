"""The base of every typed result: a dataclass filled from the API's camelCase JSON.

Each generated model (see `models.py`) declares its fields with snake_case names and a
`_SPEC` mapping each field to its JSON key and how to convert the value (a nested model, a
list of models, a timestamp, an amount of money). The raw JSON stays available through
`to_dict()`, so a field the server adds before the SDK knows it is never lost: it is also
readable as an attribute, by its snake_case name.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, ClassVar, Dict, Tuple

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_REGISTRY: Dict[str, type] = {}


def snake(name: str) -> str:
    """`createdAt` → `created_at`."""
    return _CAMEL.sub("_", name).lower()


def camel(name: str) -> str:
    """`created_at` → `createdAt` (a trailing `_`, as in `from_`, is dropped)."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def parse_datetime(value: Any) -> Any:
    """An ISO-8601 timestamp (`…Z`) as an aware `datetime` in UTC; other values unchanged."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_decimal(value: Any) -> Any:
    """A JSON number of money as an exact `Decimal` (`19.99`, never 19.989999…)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _convert(kind: str | None, value: Any) -> Any:
    if value is None or kind is None:
        return value
    if kind == "datetime":
        return parse_datetime(value)
    if kind == "decimal":
        return parse_decimal(value)
    if kind.startswith("list:"):
        model = _REGISTRY[kind[5:]]
        return [model.from_dict(item) if isinstance(item, dict) else item for item in value]
    model = _REGISTRY[kind]
    return model.from_dict(value) if isinstance(value, dict) else value


class SparkiObject:
    """A result of the API: attributes in snake_case, `to_dict()` for the raw JSON.

    Subclasses are dataclasses whose fields all default to None (a field the server leaves
    out reads None).
    """

    _SPEC: ClassVar[Dict[str, Tuple[str, Any]]] = {}
    _raw: Dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Any:
        """Build the object from the API's JSON (a dict with camelCase keys)."""
        values = {attr: _convert(kind, data.get(key)) for attr, (key, kind) in cls._SPEC.items()}
        obj = cls(**values)
        object.__setattr__(obj, "_raw", dict(data))
        return obj

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object the server sent, camelCase keys and all (a copy)."""
        return dict(getattr(self, "_raw", {}))

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes the dataclass does not declare: fields newer than this
        # SDK, read from the raw JSON by their snake_case name.
        if name.startswith("_"):
            raise AttributeError(name)
        raw = self.__dict__.get("_raw", {})
        key = camel(name)
        if key in raw:
            value = raw[key]
            return SparkiObject.wrap(value)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @staticmethod
    def wrap(value: Any) -> Any:
        """A JSON object as a `GenericObject` (attribute access), lists item by item."""
        if isinstance(value, dict):
            return GenericObject.from_dict(value)
        if isinstance(value, list):
            return [SparkiObject.wrap(v) for v in value]
        return value

    def __getitem__(self, key: str) -> Any:
        """`obj["createdAt"]` reads the raw JSON by its camelCase key."""
        return getattr(self, "_raw", {})[key]


class GenericObject(SparkiObject):
    """A JSON object with no declared model: every key is an attribute in snake_case."""

    def __init__(self, **values: Any) -> None:
        pass

    def __repr__(self) -> str:
        return f"GenericObject({self.to_dict()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GenericObject) and other.to_dict() == self.to_dict()

    __hash__ = None  # type: ignore[assignment]
