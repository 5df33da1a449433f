"""The console's forms (Flask-WTF: each carries and checks its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ledger.models import Role
from ledger.users import MIN_PASSWORD_LENGTH

ROLE_CHOICES = [(r.value, r.value) for r in (Role.AUDITOR, Role.ORGANISER, Role.ADMIN)]


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class CodeForm(FlaskForm):
    code = StringField(
        "Six-digit code from your authenticator app",
        validators=[DataRequired(), Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message="Six digits.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current (or one-time) password", validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField("New password again",
                           validators=[DataRequired(), EqualTo("new", message="Does not match.")],
                           render_kw={"autocomplete": "new-password"})


class UserAddForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(min=2, max=64)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.ORGANISER.value)


class UserRoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token and an explicit confirmation."""

    confirm = BooleanField("I am sure", validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button with nothing to fill in (the CSRF token is the whole form)."""
