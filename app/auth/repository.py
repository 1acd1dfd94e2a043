"""Every SQL statement of sign-in: users by name, live API tokens, recent failures."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import ApiToken, AuditEntry, User


def user_named(session: Session, username: str) -> User | None:
    """The user called ``username`` (exact match), if any."""
    return session.execute(  # type: ignore[no-any-return]
        sa.select(User).where(User.username == username)).scalar_one_or_none()


def live_token(session: Session, token_hash: str) -> ApiToken | None:
    """The unrevoked API token with this hash, if any."""
    return session.execute(  # type: ignore[no-any-return]
        sa.select(ApiToken).where(ApiToken.token_hash == token_hash,
                                  ApiToken.revoked_at.is_(None))).scalar_one_or_none()


def login_failures_since(session: Session, since: datetime, *, username: str,
                         client_addr: str | None) -> int:
    """Failed sign-ins (from the audit log) for this name or from this address since then."""
    who = AuditEntry.object_id == username
    if client_addr:
        who = sa.or_(who, AuditEntry.client_addr == client_addr)
    return int(session.execute(
        sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "auth.login_failed", AuditEntry.at >= since, who)
    ).scalar_one())


def all_users(session: Session) -> list[User]:
    """Every user, active or not, by name."""
    return list(session.execute(sa.select(User).order_by(User.username)).scalars())
