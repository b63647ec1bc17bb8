"""WTForms for the users pages (the API validates with schemas instead)."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.core.auth import ROLES
from blueprints.core.forms import Form, email_address


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = {r: r.title() for r in ROLES}  # shorthand dict: value -> label


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired(), email_address, Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class UserCreateForm(Form):
    email = EmailField("Email", validators=[DataRequired(), email_address, Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=8, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    roles = MultiCheckboxField(
        "Roles",
        choices=ROLE_CHOICES,
        default=["viewer"],
        validators=[DataRequired(message="Pick at least one role")],
    )


class UserRolesForm(Form):
    roles = MultiCheckboxField(
        "Roles", choices=ROLE_CHOICES, validators=[DataRequired(message="Pick at least one role")]
    )


class ApiKeyForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])


class OrganizationForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    schedules = BooleanField("Schedules (sources, workflows, schedules, tasks)")
    crm = BooleanField("CRM (customers and orders)")
    max_services = IntegerField("Max services", validators=[Optional(), NumberRange(0, 100_000)])
    active_service_limit = IntegerField(
        "Active service limit", validators=[Optional(), NumberRange(0, 100_000)]
    )


class PasswordChangeForm(Form):
    """The account page's own-password change: the current password proves who asks."""

    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=8, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ")],
        render_kw={"autocomplete": "new-password"},
    )
