"""WTForms for the webhooks pages (the API validates with schemas instead)."""

from __future__ import annotations

from wtforms import BooleanField, DateTimeLocalField, StringField, URLField
from wtforms.validators import DataRequired, Length

from blueprints.core.forms import Form
from blueprints.users.forms import MultiCheckboxField

from .domain import groups, subscribable


def event_choices() -> dict[str, str]:
    """`*`, each `group.*`, then each type: read when a form is built, since feature
    packages declare their event types on the app."""
    return {
        "*": "All events (*)",
        **{f"{g}.*": f"All {g}.* events" for g in groups()},
        **{t: t for t in subscribable()},
    }


class WebhookForm(Form):
    url = URLField("Endpoint URL", validators=[DataRequired(), Length(max=2000)])
    description = StringField("Description", validators=[Length(max=200)])
    events = MultiCheckboxField(
        "Events",
        choices=event_choices,
        validators=[DataRequired(message="Pick at least one event")],
    )
    active = BooleanField("Active", default=True)


class WebhookEditForm(Form):
    url = URLField("Endpoint URL", validators=[DataRequired(), Length(max=2000)])
    description = StringField("Description", validators=[Length(max=200)])
    events = MultiCheckboxField(
        "Events",
        choices=event_choices,
        validators=[DataRequired(message="Pick at least one event")],
    )


class RecoverForm(Form):
    since = DateTimeLocalField(
        "Failed since (UTC)",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message="Pick a date and time")],
    )
