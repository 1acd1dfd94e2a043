"""Administration pages: the audit log and users."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.audit.repository import AuditFilter, list_audit
from app.auth import users
from app.auth.access import allow
from app.auth.repository import all_users
from app.db import get_session
from app.models import ROLE_NAMES

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/audit")
@allow("admin")
def audit_page() -> str:
    """The audit log, filtered and paged."""
    filters = AuditFilter.from_args(request.args)
    entries, total = list_audit(get_session(), filters)
    return render_template("admin/audit.html", entries=entries, total=total, filters=filters)


@bp.get("/users")
@allow("admin")
def users_page() -> str:
    """Users and their roles."""
    rows = all_users(get_session())
    return render_template("admin/users.html", users=rows, roles=ROLE_NAMES)


@bp.post("/users")
@allow("admin")
def create_user() -> Response:
    """Create a user from the form."""
    db = get_session()
    users.create_user(db, request.form.get("username", "").strip(),
                      request.form.get("password", ""), request.form.get("role", ""),
                      reason=request.form.get("reason") or None)
    db.commit()
    return redirect(url_for("admin.users_page"))


@bp.post("/users/<username>/role")
@allow("admin")
def set_role(username: str) -> Response:
    """Change a user's role from the form."""
    db = get_session()
    users.update_user(db, users.get_user(db, username), role=request.form.get("role", ""),
                      reason=request.form.get("reason") or None)
    db.commit()
    return redirect(url_for("admin.users_page"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
