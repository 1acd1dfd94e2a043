"""Who may call what: one access rule per endpoint, enforced before every request.

Each view is decorated with :func:`allow` (named roles; admin is always included),
:func:`any_role` (any signed-in member of the bureau: every role but the contractors'),
:func:`any_user` (anyone signed in, contractors included: their own profile, the basemap,
the cameras) or :func:`public`. An endpoint without a rule is refused (fail closed), and
a test walks every role against every endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect, validate_csrf
from wtforms.validators import ValidationError

from app.auth.repository import live_token
from app.db import get_session
from app.errors import NotPermitted, NotSignedIn, wants_json
from app.models import ROLE_NAMES, User

from .security import hash_token

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ANY_ROLE = "any_role"
ANY_USER = "any_user"
ACCESS_ATTR = "_gridpatrol_access"
NO_CSRF_ATTR = "_gridpatrol_no_csrf"
AUDITED_READ_ATTR = "_gridpatrol_audited_read"
# Flask's own static view has no decorator to carry a rule.
PUBLIC_ENDPOINTS = frozenset({"static"})

# Who may use each function of the product, on its pages and through its API alike (admin
# always may). tests/app/auth/test_access_matrix.py holds every page to its API twin.
ANALYSIS_READERS = ("analyst", "supervisor", "dispatcher", "viewer")
ANALYSTS = ("analyst",)
PROMOTERS = ("analyst", "supervisor")  # saved hot cells → patrol hot spots, must-visit points
PLANNING_READERS = ("supervisor", "dispatcher", "analyst", "viewer")
PLANNERS = ("supervisor",)
# Video evidence (which cameras, which minutes) is case work: not for viewers or devices.
EVIDENCE_USERS = ("dispatcher", "supervisor", "analyst")
# The camera network's coverage and blind spots are read like planning; placing cameras
# is the supervisors' and analysts' proposal (nothing is installed by it).
NETWORK_READERS = PLANNING_READERS
NETWORK_PLANNERS = ("supervisor", "analyst")
# Checkpoint passages (卡口过车): plate searches, traces and "A then B" are case work of
# dispatchers (a fleeing vehicle), supervisors, analysts (series) and the video centre
# (product.md: "which checkpoints a vehicle passed"); never viewers, contractors or devices.
# Every search carries a reason and is audited. Passage files are imported by supervisors
# and analysts; the checkpoint system's live feed posts as a device; supervisors keep the
# checkpoints themselves.
PASSAGE_SEARCHERS = ("dispatcher", "supervisor", "analyst", "video_operator")
PASSAGE_IMPORTERS = ("supervisor", "analyst")
PASSAGE_FEEDERS = ("device",)
CHECKPOINT_KEEPERS = ("supervisor",)
# Contractors (maintainers: equipment, power, telecom) are outside the bureau: they see
# only what is opened to them by name or by any_user (cameras, their health, their own
# tickets), never incidents, alerts or units (docs/product.md).
CONTRACTOR_ROLES = ("maintainer",)
STAFF_ROLES = tuple(role for role in ROLE_NAMES if role not in CONTRACTOR_ROLES)
VIDEO_OPERATORS = ("video_operator", "dispatcher", "supervisor")  # live view, tours, findings
SERIES_TOUR_MAKERS = ("analyst", *VIDEO_OPERATORS)  # a crime series handed to the video centre
# Findings are incidents (with the frame): read by whoever reads incidents, and the
# operators who flag them; never by contractors.
FINDING_READERS = (*VIDEO_OPERATORS, "analyst", "viewer")
HEALTH_READERS = tuple(r for r in ROLE_NAMES if r not in ("admin", "device"))
TICKET_KEEPERS = ("supervisor",)  # maintainers, camera assignments, closing tickets by hand
# Tickets and the monthly uptime and SLA report (a maintainer: its own).
TICKET_READERS = ("maintainer", "supervisor", "video_operator", "dispatcher", "viewer")

login_manager = LoginManager()
csrf = CSRFProtect()


def allow(*roles: str) -> Callable[[F], F]:
    """Let the named roles (and admin) call the view."""
    unknown = set(roles) - set(ROLE_NAMES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorate(view: F) -> F:
        setattr(view, ACCESS_ATTR, frozenset({"admin", *roles}))
        return view
    return decorate


def any_role(view: F) -> F:
    """Let any member of the bureau in (every role but the contractors')."""
    setattr(view, ACCESS_ATTR, ANY_ROLE)
    return view


def any_user(view: F) -> F:
    """Let anyone signed in, contractors included."""
    setattr(view, ACCESS_ATTR, ANY_USER)
    return view


def public(view: F) -> F:
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def audited_read(view: F) -> F:
    """A GET that writes the audit log (a plate search): from a browser session it needs
    the CSRF token like any write, so another site cannot make a signed-in officer's
    browser search (and sign the audit log with a reason of its choosing)."""
    setattr(view, AUDITED_READ_ATTR, True)
    return view


def no_csrf(view: F) -> F:
    """A public endpoint that browsers post to by themselves (CSP reports): no CSRF token."""
    setattr(view, NO_CSRF_ATTR, True)
    return view


def access_rule(app: Flask, endpoint: str) -> frozenset[str] | str | None:
    """The rule of ``endpoint``: a set of roles, ANY_ROLE, PUBLIC, or None if missing."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTR, None)


def roles_allowed(rule: frozenset[str] | str | None) -> frozenset[str]:
    if rule in (PUBLIC, ANY_USER):
        return frozenset(ROLE_NAMES)
    if rule == ANY_ROLE:
        return frozenset(STAFF_ROLES)
    return rule if isinstance(rule, frozenset) else frozenset()


def may(endpoint: str) -> bool:
    """Whether the signed-in user may use ``endpoint`` (templates: menus, buttons)."""
    rule = access_rule(current_app, endpoint)
    if rule == PUBLIC:
        return True
    return bool(current_user.is_authenticated) and current_user.role_name in roles_allowed(rule)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = get_session().get(User, int(user_id))
    return user if user is not None and user.active else None


@login_manager.request_loader
def load_user_from_token(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    g.bearer_auth = True
    token = header[len("Bearer "):].strip()
    session = get_session()
    row = live_token(session, hash_token(token))
    if row is None or not row.user.active:
        return None
    now = datetime.now(UTC)
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now
        session.commit()
    return row.user


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    raise NotSignedIn("Sign in, or send Authorization: Bearer <token>.")


def enforce_access() -> Any:
    """before_request: authenticate, check the endpoint's rule, then CSRF."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404/405 follow
    rule = access_rule(current_app, endpoint)
    if rule is None:
        logger.error("endpoint %s has no access rule; refused", endpoint)
        raise NotPermitted("This endpoint has no access rule.")
    # A bearer header must be valid even on public endpoints.
    has_bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    authenticated = current_user.is_authenticated
    if has_bearer and not authenticated:
        raise NotSignedIn("The API token is unknown, revoked or its user is inactive.")
    if rule != PUBLIC:
        if not authenticated:
            if wants_json():
                raise NotSignedIn("Sign in, or send Authorization: Bearer <token>.")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.role_name not in roles_allowed(rule):
            raise NotPermitted(f"Role {current_user.role_name!r} may not do this.")
    view = current_app.view_functions[endpoint]
    if g.get("bearer_auth"):
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS") and not (
            rule == PUBLIC and getattr(view, NO_CSRF_ATTR, False)):
        csrf.protect()
    elif getattr(view, AUDITED_READ_ATTR, False):
        _check_csrf_header()
    return None


def _check_csrf_header() -> None:
    """The CSRF token of a read that writes the audit log (flask-wtf checks writes only)."""
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except ValidationError as exc:
        raise CSRFError(exc.args[0]) from None


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    app.before_request(enforce_access)
    app.jinja_env.globals["may"] = may
