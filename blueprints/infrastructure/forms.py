"""WTForms for the Cluster page (the API validates with schemas instead)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FloatField
from wtforms.validators import InputRequired, NumberRange


class ThresholdsForm(FlaskForm):
    cpu_percent = FloatField("CPU %", validators=[InputRequired(), NumberRange(1, 100)])
    memory_percent = FloatField("Memory %", validators=[InputRequired(), NumberRange(1, 100)])
    disk_percent = FloatField("Disk %", validators=[InputRequired(), NumberRange(1, 100)])
    hysteresis_percent = FloatField(
        "Hysteresis (points)", validators=[InputRequired(), NumberRange(0, 50)]
    )
