"""WTForms for the projects pages."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.core.forms import Form

from .models import CI_PROVIDERS, PROJECT_ROLES, VISIBILITIES


class ProjectForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    visibility = SelectField(
        "Visibility", choices={v: v.title() for v in VISIBILITIES}, default="private"
    )
    repository_url = StringField("Repository URL", validators=[Optional(), Length(max=500)])
    repository_branch = StringField(
        "Branch", default="main", validators=[DataRequired(), Length(max=200)]
    )
    ci_enabled = BooleanField("CI enabled")
    ci_provider = SelectField(
        "CI provider", choices={"": "—", **{p: p for p in CI_PROVIDERS}}, default=""
    )


class MemberForm(Form):
    user_id = SelectField("User", validators=[DataRequired()])
    role = SelectField(
        "Project role", choices={r: r.title() for r in PROJECT_ROLES}, default="contributor"
    )
