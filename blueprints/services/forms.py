"""WTForms for the services pages (the API validates with schemas instead)."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.core.forms import Form

from .models import SERVICE_TYPES

TYPE_CHOICES = {t: t.title() for t in SERVICE_TYPES}
STRATEGY_CHOICES = {"rolling-update": "Rolling update", "recreate": "Recreate"}
AUTH_CHOICES = {"private": "Private (credentials needed)", "public": "Public (anyone)"}


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
        validators=[DataRequired(), Length(max=255)],
        default="app:v1",
        description="A label for what runs, e.g. app:v1",
    )
    command = TextAreaField(
        "Command",
        validators=[DataRequired(), Length(max=4000)],
        default="python3 -m http.server $PORT",
        description="Run by /bin/sh; listen on $PORT",
    )
    env = TextAreaField(
        "Environment",
        validators=[Optional(), Length(max=20000)],
        description="KEY=value, one per line",
    )
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
    env = TextAreaField(
        "Environment (next deploy)",
        validators=[Optional(), Length(max=20000)],
        description="KEY=value, one per line",
    )
