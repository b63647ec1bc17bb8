"""WTForms for the services pages (the API validates with schemas instead)."""

from __future__ import annotations

import re
from typing import Any

from wtforms import Field, IntegerField, SelectField, StringField, TextAreaField
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from blueprints.core.forms import Form

from .models import SERVICE_TYPES

TYPE_CHOICES = {t: "API" if t == "api" else t.title() for t in SERVICE_TYPES}
STRATEGY_CHOICES = {"rolling-update": "Rolling update", "recreate": "Recreate"}
AUTH_CHOICES = {"private": "Private (credentials needed)", "public": "Public (anyone)"}


# Names whose values the editor masks until "Show" is pressed.
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSW|KEY|CERT|PRIVATE|CREDENTIAL|AUTH|DSN", re.I)


def _newlines(value: str) -> str:
    # A textarea holds no lone CR and browsers submit its line breaks as CRLF.
    return value.replace("\r\n", "\n").replace("\r", "\n")


class EnvField(Field):
    """Environment variables edited as rows of name and value (`templates/services/_env.html`).

    The browser posts `<name>-key` and `<name>-value` once per row, plus `<name>-rows` so an
    editor with every row removed still means "no variables". `data` is the dict of names to
    values, byte for byte as typed (no stripping, no splitting on `=` or newlines); `rows` is
    what to render again, including rows with errors. Validation of names and values is the
    domain's (`_validate_env`), the same as the API's.
    """

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = dict(data or {})
        self.rows: list[tuple[str, str]] = list(self.data.items())
        self.row_problem: str | None = None
        if formdata is not None and f"{self.name}-rows" in formdata:
            keys = formdata.getlist(f"{self.name}-key")
            values = formdata.getlist(f"{self.name}-value")
            self.rows = [(k, _newlines(v)) for k, v in zip(keys, values, strict=False)]
            self.data = {}
            for n, (key, value) in enumerate(self.rows, start=1):
                if not key and not value:
                    continue  # an empty row added and left blank
                if not key:
                    self.row_problem = f"Row {n} has a value but no name"
                elif key in self.data:
                    self.row_problem = f"{key} is set twice"
                self.data[key] = value

    def pre_validate(self, form: Any) -> None:
        if self.row_problem:
            raise ValidationError(self.row_problem)

    def keep_unchanged(self, stored: dict[str, str] | None) -> dict[str, str]:
        """`data`, with each value the user left as it was kept byte-exact from `stored`
        (a value set through the API may hold CRs that no textarea can carry)."""
        stored = stored or {}
        return {
            key: stored[key] if key in stored and _newlines(stored[key]) == value else value
            for key, value in self.data.items()
        }

    @staticmethod
    def is_secret(name: str) -> bool:
        return bool(SECRET_NAME.search(name or ""))


class ServiceForm(Form):
    project_id = SelectField("Project", validators=[DataRequired()], choices={})
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=63)],
        description="Lowercase letters, digits and dashes",
    )
    type = SelectField("Type", choices=TYPE_CHOICES, default="web")
    image = StringField(
        "Image",
        validators=[Optional(), Length(max=255)],
        default="app:v1",
        description="A label for what runs, e.g. app:v1 (optional on the local runtime)",
    )
    command = TextAreaField(
        "Command",
        validators=[DataRequired(), Length(max=4000)],
        default="python3 -m http.server $PORT",
        description="Run by /bin/sh; listen on $PORT",
    )
    env = EnvField("Environment")
    replicas = IntegerField("Replicas", default=1, validators=[DataRequired(), NumberRange(1, 20)])
    health_check_path = StringField(
        "Health check path", default="/", validators=[DataRequired(), Length(max=255)]
    )
    port = IntegerField("Port (informational)", validators=[Optional(), NumberRange(1, 65535)])
    url_auth = SelectField("Proxy access", choices=AUTH_CHOICES, default="private")


class DeployForm(Form):
    image = StringField("Image", validators=[Optional(), Length(max=255)])
    command = TextAreaField("Command", validators=[Optional(), Length(max=4000)])
    replicas = IntegerField("Replicas", validators=[Optional(), NumberRange(1, 20)])
    strategy = SelectField("Strategy", choices=STRATEGY_CHOICES, default="rolling-update")


class SettingsForm(Form):
    url_auth = SelectField("Proxy access", choices=AUTH_CHOICES)
    health_check_path = StringField(
        "Health check path", validators=[DataRequired(), Length(max=255)]
    )
    env = EnvField("Environment (next deploy)")
