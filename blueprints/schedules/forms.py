"""WTForms for the schedules pages (the API validates with schemas instead)."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.core.forms import Form

from .models import CONCURRENCY_POLICIES, MISSED_RUN_POLICIES, SCHEDULE_TYPES, SOURCE_TYPES


class SourceForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    source_type = SelectField("Type", choices={t: t.title() for t in SOURCE_TYPES})
    url = StringField("URL", validators=[DataRequired(), Length(max=2000)])
    api_key = PasswordField("API key", validators=[DataRequired(), Length(max=500)])


class RunForm(Form):
    input = TextAreaField("Input", validators=[Length(max=100_000)])


class ScheduleForm(Form):
    # `workflow:<id>` or `service:<id>:<action>` (domain.target_choices)
    target = SelectField("Runs", validators=[DataRequired()])
    replicas = IntegerField(
        "Replicas (to scale to)", validators=[Optional(), NumberRange(min=0, max=1000)]
    )
    schedule_type = SelectField("Type", choices={t: t for t in SCHEDULE_TYPES})
    expression = StringField(
        "Expression",
        validators=[DataRequired(), Length(max=200)],
        description="cron: 5 fields · interval: 30s, 5m, 1h, 1d · once: 2026-12-24T18:00",
    )
    timezone = StringField("Time zone (IANA)", default="UTC", validators=[Length(max=64)])
    input = TextAreaField("Input", validators=[Length(max=100_000)])
    missed_run_policy = SelectField("Missed runs", choices={p: p for p in MISSED_RUN_POLICIES})
    concurrency_policy = SelectField("Concurrency", choices={p: p for p in CONCURRENCY_POLICIES})
    active = BooleanField("Active", default=True)
