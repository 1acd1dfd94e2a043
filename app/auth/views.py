"""Sign-in and sign-out pages; the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from app import audit
from app.auth import users
from app.auth.access import any_user, may, public
from app.auth.security import verify_password
from app.config import SUPPORTED_LOCALES
from app.db import get_session
from app.errors import MalformedRequest, TooManyAttempts

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    # the console, or for those it is closed to (maintainers) the camera health list
    return url_for("console.home") if may("console.home") else url_for("video.faults_page")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str:
    """Sign in with user name and password."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("auth/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    db = get_session()
    failures = users.recent_login_failures(
        db, username=username, client_addr=request.remote_addr,
        window_s=current_app.config["LOGIN_WINDOW_S"])
    if failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        audit.record(db, "auth.login_blocked", object_type="user", object_id=username)
        db.commit()
        raise TooManyAttempts(_("Too many failed sign-ins; wait %(minutes)d minutes and try "
                                "again.", minutes=current_app.config["LOGIN_WINDOW_S"] // 60))
    user = users.find_user(db, username) if username else None
    # One argon2 verification whatever the name: an unknown name is checked against a
    # dummy hash and an inactive user's password is checked too, so the answer takes as
    # long for a name that exists as for one that does not.
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        audit.record(db, "auth.login_failed", object_type="user", object_id=username,
                     actor_name="anonymous")
        db.commit()
        flash(_("Unknown user name or wrong password."), "error")
        return render_template("auth/login.html", next=request.form.get("next", ""),
                               username=username), 401  # type: ignore[return-value]
    login_user(user)
    session.pop("locale", None)
    audit.record(db, "auth.login", object_type="user", object_id=username, actor=user)
    db.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
@any_user
def logout() -> Response:
    """Sign out."""
    db = get_session()
    audit.record(db, "auth.logout", object_type="user", object_id=current_user.username)
    db.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/settings/language")
@public
def set_language() -> Response:
    """Choose the interface language (saved on the user when signed in)."""
    locale = request.form.get("locale", "")
    if locale not in SUPPORTED_LOCALES:
        raise MalformedRequest(_("Unknown language."), field="locale")
    if current_user.is_authenticated:
        db = get_session()
        users.update_user(db, current_user, locale=locale)
        db.commit()
    else:
        session["locale"] = locale
    return redirect(_safe_next(request.form.get("next")))
