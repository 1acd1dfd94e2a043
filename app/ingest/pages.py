"""The ingest page (admins and supervisors): the services' counters and state, per input,
the outcomes of the last day by source, the radios heard that no unit holds (each with
a form giving it to a unit: a radio assignment, audited), the messages refused lately
with why, and the orders that became dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.access import allow
from app.db import get_session
from app.dispatch import repository as dispatch_repository
from app.dispatch.units import in_chinese
from app.errors import Failure, InvalidValue
from app.ingest import radios
from app.ingest.api import STALE_AFTER
from app.ingest.repository import messages
from app.orders import repository as orders_repository
from app.orders.delivery import order_json
from dispatch.terminals import valid_radio_id

bp = Blueprint("ingest_pages", __name__, url_prefix="/admin")

ROWS = 50
# the counters shown first, in this order (the others follow, by name)
MAIN_COUNTERS = ("received", "journaled", "journal_duplicates", "parsed", "applied",
                 "positions", "duplicates", "unmapped", "illegal", "ignored", "nmea_ignored",
                 "rejected", "database_retries", "paused")


def _service(row: Any, now: datetime) -> dict[str, Any]:
    counters = dict(row.counters)
    by_reason = counters.pop("rejected_by_reason", {}) or {}
    details = dict(row.details)
    main = [(k, counters.get(k, 0)) for k in MAIN_COUNTERS]
    inputs = details.pop("inputs", None) or {
        name: {"connected": up, "counters": {}} for name, up in
        (details.get("sources") or {}).items()}
    return {"name": row.name, "started_at": row.started_at, "updated_at": row.updated_at,
            "stale": now - row.updated_at > STALE_AFTER, "main": main,
            "rejected_by_reason": sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])),
            "inputs": sorted(inputs.items()), "details": details}


@bp.get("/ingest")
@allow("supervisor")
def page() -> str:
    """Ingest at a glance, unknown radios to map, refused messages, dead letters."""
    session = get_session()
    now = datetime.now(UTC)
    by_source: dict[str, dict[str, int]] = {}
    for source, outcome, count in messages.outcomes_by_source(
            session, since=now - timedelta(days=1)):
        by_source.setdefault(source, {})[outcome] = int(count)
    outcomes = sorted({o for counts in by_source.values() for o in counts})
    zh = in_chinese()
    return render_template(
        "admin/ingest.html", now=now,
        services=[_service(s, now) for s in messages.statuses(session)],
        by_source=sorted(by_source.items()), outcomes=outcomes,
        unknown=messages.unknown_radios(session, now=now, limit=ROWS),
        units=dispatch_repository.units(session, active_only=True),
        refused=messages.recent_refused(session, limit=ROWS),
        dead=[order_json(e, zh=zh) for e in orders_repository.outbound(
            session, delivery="failed", unit_id=None, alert_id=None, limit=ROWS)])


@bp.post("/ingest/radios")
@allow("supervisor")
def map_radio() -> Response:
    """Give an unknown radio to a unit from now on (a radio assignment, audited)."""
    form = request.form
    session = get_session()
    radio_id = form.get("radio_id", "").strip()
    try:
        if not valid_radio_id(radio_id):
            raise InvalidValue(_("Not a radio ID."), field="radio_id")
        unit_id = form.get("unit_id", "")
        if not unit_id.isdigit():
            raise InvalidValue(_("Choose a unit."), field="unit_id")
        reason = form.get("reason", "").strip()
        if not reason:
            raise InvalidValue(_("Give a reason."), field="reason")
        row = radios.assign(session, radio_id=radio_id, unit_id=int(unit_id),
                            valid_from=None, valid_until=None,
                            alias=form.get("alias", "").strip()[:64], note=None,
                            actor=current_user.username, reason=reason[:2000])
        unit = dispatch_repository.unit_by_id(session, row.unit_id)
        session.commit()
    except Failure as exc:
        session.rollback()
        flash(f"{radio_id}: {exc.message}", "error")
        return redirect(url_for("ingest_pages.page") + "#unknown-radios")
    flash(_("Radio %(radio)s now belongs to %(unit)s.", radio=radio_id,
            unit=unit.callsign if unit else row.unit_id), "info")
    return redirect(url_for("ingest_pages.page") + "#unknown-radios")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
