"""WTForms for the webhooks pages (the API validates with schemas instead)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, StringField, URLField
from wtforms.validators import DataRequired, Length

from blueprints.users.forms import MultiCheckboxField

from .domain import GROUPS, SUBSCRIBABLE

EVENT_CHOICES = {
    "*": "All events (*)",
    **{f"{g}.*": f"All {g}.* events" for g in GROUPS},
    **{t: t for t in SUBSCRIBABLE},
}


class WebhookForm(FlaskForm):
    url = URLField("Endpoint URL", validators=[DataRequired(), Length(max=2000)])
    description = StringField("Description", validators=[Length(max=200)])
    events = MultiCheckboxField(
        "Events",
        choices=EVENT_CHOICES,
        validators=[DataRequired(message="Pick at least one event")],
    )
    active = BooleanField("Active", default=True)


class WebhookEditForm(FlaskForm):
    url = URLField("Endpoint URL", validators=[DataRequired(), Length(max=2000)])
    description = StringField("Description", validators=[Length(max=200)])
    events = MultiCheckboxField(
        "Events",
        choices=EVENT_CHOICES,
        validators=[DataRequired(message="Pick at least one event")],
    )


class RecoverForm(FlaskForm):
    since = DateTimeLocalField(
        "Failed since (UTC)",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message="Pick a date and time")],
    )
