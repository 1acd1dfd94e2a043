"""Tours: made by hand (cameras picked one by one, or every camera of an area or grid
cell) or saved from a proposal; validated field by field; changed, deleted (kept for the
log), listed with whether each is due now. A camera deleted since (or left without a
stream) is skipped when the tour plays, and the tour says so."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field
from sqlalchemy.orm import Session

from app import audit
from app.api.docs import StrictBody
from app.errors import InvalidValue, RecordNotFound
from app.models import Tour
from app.tours.repository import tours as rows
from dispatch.tours import TourSchedule, parse_schedule, wall_steps
from dispatch.tours.order import walk_order

DEFAULT_DWELL_S = 20
MAX_STOPS = 256
MAX_AREA_CAMERAS = 64


class ReasonBody(StrictBody):
    en: str = Field(max_length=2000)
    zh: str = Field(max_length=2000)


class StopBody(StrictBody):
    camera_id: int = Field(ge=1, le=2**31 - 1)
    dwell_s: int = Field(default=DEFAULT_DWELL_S, ge=5, le=3600)
    reason: ReasonBody | None = None


CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
DAY = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class WindowBody(StrictBody):
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(
        default=None, min_length=1, max_length=7)
    start: str = Field(pattern=CLOCK)
    end: str = Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")


class DatesBody(StrictBody):
    start: str = Field(alias="from", pattern=DAY)
    end: str = Field(alias="to", pattern=DAY)


class ScheduleBody(StrictBody):
    windows: list[WindowBody] | None = Field(default=None, max_length=20)
    dates: DatesBody | None = None


class TourBody(StrictBody):
    """A tour as the API takes it (POST and PUT)."""

    name: str = Field(min_length=1, max_length=200)
    layout: Literal[1, 4, 9, 16] = 4
    area: str | None = Field(default=None, max_length=200)
    cameras: list[StopBody] | None = Field(default=None, min_length=1, max_length=MAX_STOPS)
    all_cameras_in: str | None = Field(default=None, min_length=1, max_length=200)
    dwell_s: int = Field(default=DEFAULT_DWELL_S, ge=5, le=3600)
    schedule: ScheduleBody | None = None
    proposal: dict[str, Any] | None = None
    reason: str | None = Field(default=None, max_length=2000)


def local_now() -> datetime:
    """The jurisdiction's wall-clock time now (naive)."""
    zone = ZoneInfo(str(current_app.config.get("TIMEZONE") or "UTC"))
    return datetime.now(zone).replace(tzinfo=None)


def chinese() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def tour_of(session: Session, tour_id: int, *, lock: bool = False) -> Tour:
    tour = rows.live_tour(session, tour_id, lock=lock)
    if tour is None:
        raise RecordNotFound(f"No tour {tour_id}.", field="tour_id")
    return tour


def save_tour(session: Session, body: TourBody, *, tour: Tour | None = None) -> Tour:
    """Validate ``body`` and write it as a new tour or over ``tour`` (audited; the caller
    commits). Every problem names its field; nothing is written when one is found."""
    schedule = parse_schedule(body.schedule.model_dump(by_alias=True, exclude_none=True)
                              if body.schedule else None)
    area = body.area
    if area is not None and rows.region(session, area) is None:
        raise InvalidValue(f"No area or patrol grid called {area!r}.", field="area",
                           code="unknown_area")
    if (body.cameras is None) == (body.all_cameras_in is None):
        raise InvalidValue("Give either cameras (a list) or all_cameras_in (an area or "
                           "grid), not both.", field="cameras")
    if body.all_cameras_in is not None:
        stops = _area_stops(session, body.all_cameras_in, dwell_s=body.dwell_s)
        area = area or body.all_cameras_in
    else:
        stops = _picked_stops(session, body.cameras or [])
    wall_steps([(i, s["dwell_s"]) for i, s in enumerate(stops)], layout=body.layout)
    values = {"name": body.name, "layout": body.layout, "area": area,
              "schedule": schedule.as_json(), "proposal": body.proposal,
              "source": "proposed" if body.proposal else "manual"}
    if tour is None:
        tour = rows.add_tour(session, created_by=current_user.id, **values)
        action = "tour.create"
    else:
        for key, value in values.items():
            setattr(tour, key, value)
        tour.updated_at = datetime.now(UTC)
        action = "tour.update"
    rows.replace_stops(session, tour.id, stops)
    audit.record(session, action, object_type="tour", object_id=tour.id, reason=body.reason,
                 details={"name": body.name, "layout": body.layout, "area": area,
                          "cameras": [s["camera_id"] for s in stops],
                          "source": values["source"]})
    return tour


def _picked_stops(session: Session, cameras: list[StopBody]) -> list[dict[str, Any]]:
    known = rows.cameras_by_id(session, [c.camera_id for c in cameras])
    errors: list[dict[str, str]] = []
    first_at: dict[int, int] = {}
    for index, stop in enumerate(cameras):
        field = f"cameras.{index}.camera_id"
        camera = known.get(stop.camera_id)
        if camera is None:
            errors.append({"field": field, "message": f"no camera {stop.camera_id}"})
        elif not camera["has_stream"]:
            errors.append({"field": field, "message": f"camera {stop.camera_id} has no "
                                                      "stream to show"})
        elif stop.camera_id in first_at:
            errors.append({"field": field, "message": f"camera {stop.camera_id} is already "
                                                      f"at cameras.{first_at[stop.camera_id]}"})
        first_at.setdefault(stop.camera_id, index)
    if errors:
        raise InvalidValue(f"{errors[0]['field']}: {errors[0]['message']}",
                           field=errors[0]["field"], code="cameras_refused",
                           extra={"errors": errors})
    return [{"camera_id": s.camera_id, "camera_name": known[s.camera_id]["name"],
             "dwell_s": s.dwell_s, "reason": s.reason.model_dump() if s.reason else None}
            for s in cameras]


def _area_stops(session: Session, name: str, *, dwell_s: int) -> list[dict[str, Any]]:
    where = rows.region(session, name)
    if where is None:
        raise InvalidValue(f"No area or patrol grid called {name!r}.", field="all_cameras_in",
                           code="unknown_area")
    cameras = rows.cameras_in_region(session, kind=where["kind"], name=name,
                                     limit=MAX_AREA_CAMERAS)
    if not cameras:
        raise InvalidValue(f"No camera with a stream stands in {name!r}.",
                           field="all_cameras_in", code="no_cameras")
    order = walk_order([(c["lon"], c["lat"]) for c in cameras])
    return [{"camera_id": cameras[i]["id"], "camera_name": cameras[i]["name"],
             "dwell_s": dwell_s, "reason": None} for i in order]


def delete_tour(session: Session, tour: Tour, *, reason: str | None) -> None:
    rows.mark_deleted(session, tour, datetime.now(UTC))
    audit.record(session, "tour.delete", object_type="tour", object_id=tour.id, reason=reason,
                 details={"name": tour.name})


def skipped_because(stop: dict[str, Any]) -> dict[str, str] | None:
    """Why a stop cannot be shown (deleted camera, no stream), or None."""
    name = stop["camera_name"] or f"#{stop['camera_id']}"
    if stop["id"] is None:
        return {"code": "camera_deleted",
                "message": _("Camera %(name)s was deleted; the tour skips it.", name=name)}
    if not stop["has_stream"]:
        return {"code": "no_stream",
                "message": _("Camera %(name)s has no stream; the tour skips it.", name=name)}
    return None


def stop_json(stop: dict[str, Any]) -> dict[str, Any]:
    reason = stop["reason"]
    return {"position": stop["position"], "camera_id": stop["id"],
            "name": stop["name"] if stop["id"] is not None else stop["camera_name"],
            "dwell_s": stop["dwell_s"], "status": stop["status"],
            "has_stream": bool(stop["has_stream"]), "lon": stop["lon"], "lat": stop["lat"],
            "reason": None if not reason else {
                "en": reason.get("en"), "zh": reason.get("zh"),
                "text": reason.get("zh") if chinese() else reason.get("en")},
            "skipped": skipped_because(stop)}


def schedule_of(tour: Tour | dict[str, Any]) -> TourSchedule:
    raw = tour["schedule"] if isinstance(tour, dict) else tour.schedule
    return parse_schedule(raw or None)


def tour_json(session: Session, tour: Tour, *, with_coverage: bool = False
              ) -> dict[str, Any]:
    """A tour with its cameras (as they are now), what will be skipped and why, its
    schedule in words and whether it is due now."""
    stops = rows.stops_of(session, tour.id)
    cameras = []
    for stop in stops:
        shown = stop_json(stop)
        if with_coverage:
            shown["coverage"] = stop["coverage"]
        cameras.append(shown)
    schedule = schedule_of(tour)
    playable = [c for c in cameras if c["skipped"] is None]
    return {"id": tour.id, "name": tour.name, "layout": tour.layout, "area": tour.area,
            "schedule": schedule.as_json(),
            "schedule_text": schedule.describe(lang="zh" if chinese() else "en"),
            "due_now": schedule.runs_at(local_now()), "source": tour.source,
            "proposal": tour.proposal, "created_by": rows.creator_name(session,
                                                                        tour.created_by),
            "created_at": tour.created_at.isoformat(), "updated_at": tour.updated_at.isoformat(),
            "cameras": cameras,
            "skipped": [{"position": c["position"], "camera_id": c["camera_id"],
                         "name": c["name"], **c["skipped"]} for c in cameras if c["skipped"]],
            "steps": len(wall_steps([(c["position"], c["dwell_s"]) for c in playable],
                                    layout=tour.layout))}


def tour_list(session: Session, *, area: str | None, due: bool | None) -> list[dict[str, Any]]:
    """Tours not deleted, due ones first, then the newest."""
    now = local_now()
    lang: Literal["en", "zh"] = "zh" if chinese() else "en"
    listed = []
    for row in rows.tour_rows(session, area=area):
        schedule = schedule_of(row)
        is_due = schedule.runs_at(now)
        if due is not None and is_due != due:
            continue
        listed.append({"id": row["id"], "name": row["name"], "layout": row["layout"],
                       "area": row["area"], "schedule": schedule.as_json(),
                       "schedule_text": schedule.describe(lang=lang), "due_now": is_due,
                       "source": row["source"], "cameras": row["cameras"],
                       "skipped": row["skipped"], "created_by": row["created_by"],
                       "updated_at": row["updated_at"].isoformat()})
    listed.sort(key=lambda t: not t["due_now"])
    return listed
