"""``gridpatrol demo``: the demo users and data."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from app.auth import users
from app.db import get_session
from app.models import ROLE_NAMES

group = click.Group("demo", help="Load the demo data and users.")

DEMO_USERS = {role: f"demo-{role}" for role in ROLE_NAMES}


def ensure_demo_users(session: Session, logins_file: Path) -> dict[str, str]:
    """Create the demo users that are missing; passwords are random, kept in ``logins_file``.

    Returns ``{username: password}`` for every demo user whose password is known.
    """
    logins: dict[str, str] = {}
    if logins_file.is_file():
        logins = json.loads(logins_file.read_text())
    for role, username in DEMO_USERS.items():
        if users.find_user(session, username) is None:
            password = secrets.token_urlsafe(12)
            users.create_user(session, username, password, role,
                              reason="demo data (gridpatrol demo load)")
            logins[username] = password
    session.commit()
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.touch(mode=0o600, exist_ok=True)
    logins_file.write_text(json.dumps(logins, indent=2))
    os.chmod(logins_file, 0o600)
    return logins


@group.command("load")
@with_appcontext
def load() -> None:
    """Create the demo users (random passwords) and print the logins."""
    logins_file = Path(current_app.instance_path) / "demo-logins.json"
    logins = ensure_demo_users(get_session(), logins_file)
    click.echo("demo logins (also in instance/demo-logins.json):")
    for role, username in DEMO_USERS.items():
        click.echo(f"  {role:<11} {username:<18} {logins.get(username, '(password changed)')}")
