"""The faults list's content: cameras by state with their faults and measured values
worded in the reader's language, their uptime over the last week, sorted and paged;
a maintainer's own open tickets with their SLA clocks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask_babel import get_locale, lazy_gettext
from sqlalchemy.orm import Session

from app.cameras.health import repository as health_rows
from app.maintenance import repository as ticket_rows
from app.maintenance.tickets import responded_at
from dispatch.cameras.health import Fault, sla_clocks, uptime_shares
from dispatch.cameras.kinds import CameraStatus

FAULTS = {f.value: f for f in Fault}
STATUSES = {s.value: s for s in CameraStatus}
SLA_STATES = {"running": lazy_gettext("running"), "met": lazy_gettext("met"),
              "breached": lazy_gettext("breached")}
# What each finding measured (dispatch.cameras.health.diagnose), in the reader's words.
MEASURES = {
    "frames": lazy_gettext("frames decoded"), "motion": lazy_gettext("motion between frames"),
    "luma_std": lazy_gettext("brightness spread"),
    "uniform_share": lazy_gettext("share of one colour"),
    "luma_mean": lazy_gettext("mean brightness"), "dynamic_range": lazy_gettext("dynamic range"),
    "noise_sigma": lazy_gettext("noise (σ)"), "sharpness": lazy_gettext("edge sharpness"),
    "cast_d": lazy_gettext("colour cast"),
    "decode_errors_per_s": lazy_gettext("decoder errors per second"),
    "shift_share": lazy_gettext("view shifted (share of the width)"),
    "rotation_deg": lazy_gettext("view turned (degrees)"), "scale": lazy_gettext("zoom"),
    "match_share": lazy_gettext("share of the reference view matched"),
    "covered_share": lazy_gettext("share of the view covered"),
}
UPTIME_DAYS = 7
PAGE_SIZE = 250
# Sort keys of the list: what each column sorts by (None last whichever the direction).
SORTS = {
    "camera": lambda r: ((r["name"] or "").casefold(), r["id"]),
    "state": lambda r: (STATE_ORDER.get(r["status"], 9), -len(r["faults"])),
    "faults": lambda r: (-len(r["faults"]), STATE_ORDER.get(r["status"], 9)),
    "checked": lambda r: r["checked_at"],
    "uptime": lambda r: r["uptime_pct"],
    "area": lambda r: (r["area"] or "").casefold() or None,
    "maintainer": lambda r: (r["maintainer_name"] or "").casefold() or None,
    "ticket": lambda r: r["ticket_id"],
}
STATE_ORDER = {"offline": 0, "degraded": 1, "maintenance": 2, "unknown": 3, "online": 4}


def chinese() -> bool:
    return get_locale().language == "zh"  # type: ignore[union-attr]


def fault_label(code: str) -> str:
    fault = FAULTS.get(code)
    if fault is None:
        return code
    return fault.label_zh if chinese() else fault.label_en


def status_label(code: str) -> str:
    status = STATUSES.get(code)
    if status is None:
        return code
    return status.label_zh if chinese() else status.label_en


def fault_choices() -> list[tuple[str, str]]:
    return [(f.value, fault_label(f.value)) for f in Fault]


def status_choices() -> list[tuple[str, str]]:
    return [(s.value, status_label(s.value)) for s in CameraStatus]


def reason_text(reason: str | None) -> str:
    """A state change's reason in the reader's words: the faults the health check found
    (stored as their codes), or what someone wrote."""
    if not reason:
        return ""
    parts = [part.strip() for part in reason.split(",")]
    if all(part in FAULTS for part in parts):
        return ", ".join(fault_label(part) for part in parts)
    return reason


def measure_label(name: str) -> str:
    return str(MEASURES.get(name, name))


def finding_view(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A finding worded for the page: the fault, what was measured, its value, the limit
    it crossed and the camera's usual value."""
    code = str(finding.get("fault"))
    return {"code": code, "label": fault_label(code),
            "measure": measure_label(str(finding.get("measure"))),
            "value": finding.get("value"), "limit": finding.get("limit"),
            "baseline": finding.get("baseline")}


def _pct(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def camera_rows(session: Session, *, area: str | None, fault: str | None,
                maintainer_id: int | None, status: str | None, now: datetime
                ) -> list[dict[str, Any]]:
    """Every camera matching the filters, with its faults worded and its uptime over the
    last :data:`UPTIME_DAYS` days (one statement for all of them)."""
    rows = health_rows.health_list(session, area=area, fault=fault,
                                   maintainer_id=maintainer_id, status=status, limit=100_000)
    uptime = health_rows.uptime_by_camera(session, start=now - timedelta(days=UPTIME_DAYS),
                                          end=now, area=area, maintainer_id=maintainer_id)
    for row in rows:
        row["status_label"] = status_label(row["status"])
        row["faults"] = [finding_view(f) for f in row["findings"] or []]
        spent = {k[:-2]: v for k, v in uptime.get(row["id"], {}).items()}
        row["uptime_pct"] = _pct(uptime_shares(spent)["online_share"])
    return rows


def sorted_rows(rows: list[dict[str, Any]], sort: str, descending: bool
                ) -> list[dict[str, Any]]:
    """``rows`` by the column ``sort`` (see :data:`SORTS`); rows without a value last."""
    key = SORTS[sort]
    known = [r for r in rows if key(r) is not None]
    unknown = [r for r in rows if key(r) is None]
    return sorted(known, key=key, reverse=descending) + unknown


def open_tickets(session: Session, maintainer_id: int, now: datetime) -> list[dict[str, Any]]:
    rows = ticket_rows.ticket_rows(session, status="open", maintainer_id=maintainer_id)
    return [ticket_view(row, now) for row in rows]


def ticket_view(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A ticket row with its faults worded and its SLA clocks' states (words)."""
    row["fault_labels"] = [fault_label(code) for code in row["faults"]]
    row["response"] = row["repair"] = None
    row["response_state"] = row["repair_state"] = None
    if row["respond_by"] is not None and row["repair_by"] is not None:
        opened = row["opened_at"]
        response, repair = sla_clocks(
            opened, response_h=(row["respond_by"] - opened).total_seconds() / 3600,
            repair_h=(row["repair_by"] - opened).total_seconds() / 3600,
            responded_at=responded_at(row["acknowledged_at"], row["closed_at"]),
            repaired_at=row["closed_at"])
        row["response_state"], row["repair_state"] = response.state(now), repair.state(now)
        row["response"] = str(SLA_STATES[row["response_state"]])
        row["repair"] = str(SLA_STATES[row["repair_state"]])
    return row
