"""``gridpatrol users``: accounts, roles and API tokens."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.auth import users
from app.auth.repository import all_users
from app.db import get_session
from app.errors import reported_on_the_command_line
from app.models import ROLE_NAMES

group = click.Group("users", help="Manage users, roles and API tokens.")
reason_option = click.option("--reason", default=None, help="Why (kept in the audit log).")


@group.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLE_NAMES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--locale", type=click.Choice(["en", "zh_CN"]), default=None)
@reason_option
@with_appcontext
def create(name: str, role: str, password_stdin: bool, locale: str | None,
           reason: str | None) -> None:
    """Create user NAME with ROLE; the password is asked for (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = get_session()
    with reported_on_the_command_line():
        users.create_user(session, name, password, role, locale=locale, reason=reason)
    session.commit()
    click.echo(f"created {name} ({role})")


@group.command("list")
@with_appcontext
def list_users() -> None:
    """List users with their roles."""
    for user in all_users(get_session()):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.username:<24} {user.role_name:<11} {state:<8} {user.locale or '-'}")


@group.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLE_NAMES))
@reason_option
@with_appcontext
def set_role(name: str, role: str, reason: str | None) -> None:
    """Give user NAME the role ROLE."""
    session = get_session()
    with reported_on_the_command_line():
        users.update_user(session, users.get_user(session, name), role=role, reason=reason)
    session.commit()
    click.echo(f"{name} is now {role}")


@group.command("deactivate")
@click.argument("name")
@reason_option
@with_appcontext
def deactivate(name: str, reason: str | None) -> None:
    """Stop user NAME from signing in (users are never deleted)."""
    session = get_session()
    with reported_on_the_command_line():
        users.update_user(session, users.get_user(session, name), active=False, reason=reason)
    session.commit()
    click.echo(f"{name} deactivated")


@group.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@reason_option
@with_appcontext
def token(name: str, label: str, reason: str | None) -> None:
    """Print a new API token for user NAME (shown once; stored hashed)."""
    session = get_session()
    with reported_on_the_command_line():
        secret = users.issue_token(session, users.get_user(session, name), label=label,
                                   reason=reason)
    session.commit()
    click.echo(secret)
