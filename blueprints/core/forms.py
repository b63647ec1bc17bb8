"""The base of every page form: Flask-WTF's form, with text fields checked like the API's.

Feature forms subclass `Form` instead of `FlaskForm`; its `validate()` attaches
`safe_text` to every text field (StringField and its kin: TextArea, Password, Email, URL,
Search), so a NUL character or an unpaired surrogate is an error on that field, shown beside
it, as the API's schemas answer 400 for the same value. A test fails on a form that bypasses
this base.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import ValidationError

from .text import text_problem


def safe_text(form: Any, field: Field) -> None:
    """WTForms validator: the field's text holds no NUL and no unpaired surrogate."""
    if isinstance(field.data, str):
        problem = text_problem(field.data)
        if problem:
            raise ValidationError(f"The value {problem}.")


class Form(FlaskForm):
    """A page form whose text fields refuse what no table, log or process can hold."""

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            if isinstance(field, StringField):
                extra.setdefault(name, []).insert(0, safe_text)
        return super().validate(extra_validators=extra)


def email_address(form: Any, field: Field) -> None:
    """WTForms validator: the API's e-mail rule (marshmallow's `Email`), for pages.

    One rule for both doors. WTForms' `Email()` (the email-validator package) refuses
    special-use domains such as `.local`, `.test` and `.localhost`, which self-hosted
    installs use: an admin the API logs in could not use the login page.
    """
    from marshmallow import ValidationError as SchemaError
    from marshmallow import validate

    if not field.data:
        return
    try:
        validate.Email()(field.data)
    except SchemaError as exc:
        raise ValidationError("Not a valid email address.") from exc
