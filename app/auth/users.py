"""Repository of users and tokens; every change writes its audit row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.auth.repository import login_failures_since, user_named
from app.config import SUPPORTED_LOCALES
from app.errors import InvalidValue, RecordNotFound, StateConflict
from app.models import ROLE_NAMES, ApiToken, User

from .security import MIN_PASSWORD_LENGTH, hash_password, new_token


def find_user(session: Session, username: str) -> User | None:
    return user_named(session, username)


def get_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise RecordNotFound(f"No user named {username!r}.", field="username")
    return user


def check_role(role: str) -> str:
    if role not in ROLE_NAMES:
        raise InvalidValue(f"Unknown role {role!r}; roles are {', '.join(ROLE_NAMES)}.",
                            field="role")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.",
                            field="password")
    return password


def check_locale(locale: str | None) -> str | None:
    if locale is not None and locale not in SUPPORTED_LOCALES:
        raise InvalidValue(f"Unknown language {locale!r}; choose {', '.join(SUPPORTED_LOCALES)}.",
                            field="locale")
    return locale


def create_user(session: Session, username: str, password: str, role: str, *,
                locale: str | None = None, reason: str | None = None) -> User:
    check_role(role)
    check_password(password)
    check_locale(locale)
    if find_user(session, username) is not None:
        raise StateConflict(f"A user named {username!r} exists already.", field="username")
    user = User(username=username, password_hash=hash_password(password), role_name=role,
                locale=locale)
    session.add(user)
    session.flush()
    audit.record(session, "user.create", object_type="user", object_id=username,
                 reason=reason, details={"role": role})
    return user


def update_user(session: Session, user: User, *, reason: str | None = None,
                **changes: Any) -> User:
    """Change role, active flag, locale or password; audits what changed (no secrets)."""
    changed: dict[str, Any] = {}
    if changes.get("role") is not None and changes["role"] != user.role_name:
        changed["role"] = [user.role_name, check_role(changes["role"])]
        user.role_name = changes["role"]
    if changes.get("active") is not None and changes["active"] != user.active:
        changed["active"] = [user.active, changes["active"]]
        user.active = changes["active"]
    if "locale" in changes and changes["locale"] != user.locale:
        changed["locale"] = [user.locale, check_locale(changes["locale"])]
        user.locale = changes["locale"]
    if changes.get("password") is not None:
        user.password_hash = hash_password(check_password(changes["password"]))
        changed["password"] = "changed"  # noqa: S105 (no secret is logged)
    if changed:
        audit.record(session, "user.update", object_type="user", object_id=user.username,
                     reason=reason, details=changed)
    return user


def issue_token(session: Session, user: User, *, label: str = "",
                reason: str | None = None) -> str:
    token, digest = new_token()
    row = ApiToken(user_id=user.id, token_hash=digest, label=label[:120])
    session.add(row)
    session.flush()
    audit.record(session, "token.create", object_type="api_token", object_id=row.id,
                 reason=reason, details={"user": user.username, "label": label})
    return token


def recent_login_failures(session: Session, *, username: str, client_addr: str | None,
                          window_s: int) -> int:
    """Failed sign-ins for this name or from this address within the window."""
    since = datetime.now(UTC) - timedelta(seconds=window_s)
    return login_failures_since(session, since, username=username, client_addr=client_addr)
