"""Sparki's schema field types: apiflask's (marshmallow's), with every string type safe to store.

Feature schemas write `fields.String(...)` with `fields` imported from `blueprints.core.schemas`
(this module), so every string a schema loads, in a body or a query string, goes through
`String` below: a NUL character or an unpaired surrogate is a 400 naming the field instead of
a row the database refuses (a 500) or a command `exec` refuses (the runtime agent). A test walks
every schema and fails on a plain marshmallow string field.
"""

from __future__ import annotations

from typing import Any

from apiflask.fields import *  # noqa: F403 (the whole field vocabulary, String replaced below)
from apiflask.fields import URL as _URL
from apiflask.fields import Email as _Email
from apiflask.fields import String as _String

from .text import text_problem


class String(_String):
    """A string that rejects NUL (`\\u0000`) and unpaired UTF-16 surrogates."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text)
        if problem:
            raise self.make_error("unsafe", problem=problem)
        return text

    default_error_messages = {"unsafe": "{problem}"}


Str = String


class Email(_Email, String):
    """An e-mail address, with String's checks."""


class URL(_URL, String):
    """A URL, with String's checks."""


Url = URL
