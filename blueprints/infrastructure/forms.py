"""WTForms for the Cluster page (the API validates with schemas instead)."""

from __future__ import annotations

from wtforms import FloatField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from blueprints.core.forms import Form


class ThresholdsForm(Form):
    cpu_percent = FloatField("CPU %", validators=[InputRequired(), NumberRange(1, 100)])
    memory_percent = FloatField("Memory %", validators=[InputRequired(), NumberRange(1, 100)])
    disk_percent = FloatField("Disk %", validators=[InputRequired(), NumberRange(1, 100)])
    hysteresis_percent = FloatField(
        "Hysteresis (points)", validators=[InputRequired(), NumberRange(0, 50)]
    )
    for_seconds = IntegerField(
        "Fire after (seconds over)",
        validators=[InputRequired(), NumberRange(0, 86400)],
        description="An alert is pending until its figure has stayed over this long.",
    )
