"""The faults list's content: cameras by state with their faults worded in the reader's
language, and a maintainer's own open tickets with their SLA clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import get_locale, lazy_gettext
from sqlalchemy.orm import Session

from app.cameras.health import repository as health_rows
from app.maintenance import repository as ticket_rows
from dispatch.cameras.health import Fault, sla_clocks
from dispatch.cameras.kinds import CameraStatus

FAULTS = {f.value: f for f in Fault}
STATUSES = {s.value: s for s in CameraStatus}
SLA_STATES = {"running": lazy_gettext("running"), "met": lazy_gettext("met"),
              "breached": lazy_gettext("breached")}


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


def camera_rows(session: Session, *, area: str | None, fault: str | None,
                maintainer_id: int | None, status: str | None) -> list[dict[str, Any]]:
    rows = health_rows.health_list(session, area=area, fault=fault,
                                   maintainer_id=maintainer_id, status=status, limit=2000)
    for row in rows:
        row["status_label"] = status_label(row["status"])
        row["faults"] = [{"code": f.get("fault"), "label": fault_label(str(f.get("fault"))),
                          "value": f.get("value"), "limit": f.get("limit"),
                          "measure": f.get("measure")} for f in row["findings"] or []]
    return rows


def open_tickets(session: Session, maintainer_id: int, now: datetime) -> list[dict[str, Any]]:
    rows = ticket_rows.ticket_rows(session, status="open", maintainer_id=maintainer_id)
    for row in rows:
        row["fault_labels"] = [fault_label(code) for code in row["faults"]]
        row["response"] = row["repair"] = None
        if row["respond_by"] is not None and row["repair_by"] is not None:
            opened = row["opened_at"]
            response, repair = sla_clocks(
                opened, response_h=(row["respond_by"] - opened).total_seconds() / 3600,
                repair_h=(row["repair_by"] - opened).total_seconds() / 3600,
                responded_at=row["acknowledged_at"])
            row["response"] = str(SLA_STATES[response.state(now)])
            row["repair"] = str(SLA_STATES[repair.state(now)])
    return rows
