"""An operator playing a tour (a run) and the log of what its wall showed.

The page tells the server what happens — a step shown (which camera on which tile), a
heartbeat with each tile's state (loading, playing, unreachable …) every
:data:`HEARTBEAT_S`, a pause, the end — and the server keeps, **by its own clock**, when
each camera came on a tile and when it left. The page's clock is never trusted.

Robustness:

- each event carries a sequence number; one not above the last applied is answered
  ``ignored`` (a retried request, an answer lost on the way) and changes nothing;
- a run with no sign of life for :data:`STALE_S` is over as far as any reader can tell:
  its tiles end at its last sign of life (a closed tab, a crashed browser, a cut
  network never leave a camera "on screen" for hours);
- if the page comes back after such a gap (a laptop woken up), its next event first
  ends the old tiles at the last sign of life, and its heartbeat puts the tiles it still
  shows back on screen from now: the gap is never counted as watched;
- the tiles of a step may only show the run's planned cameras, on the wall's tiles.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from flask_login import current_user
from pydantic import Field
from sqlalchemy.orm import Session

from app import audit
from app.api.docs import StrictBody
from app.errors import InvalidValue, RecordNotFound, StateConflict
from app.models import Tour, TourRun
from app.tours import tours
from app.tours.repository import runs as rows
from app.tours.repository import tours as tour_rows
from dispatch.tours import wall_steps

HEARTBEAT_S = 10.0
STALE_S = 30.0
REVIEWERS = ("admin", "supervisor")  # see every operator's runs; others their own
TILE_STATES = ("loading", "playing", "unreachable", "busy", "stalled")


class TileBody(StrictBody):
    tile: int = Field(ge=0, le=15)
    camera_id: int = Field(ge=1, le=2**31 - 1)
    state: Literal["loading", "playing", "unreachable", "busy", "stalled"] = "loading"
    problem: str | None = Field(default=None, max_length=500)


class EventBody(StrictBody):
    """What the wall page reports."""

    seq: int = Field(ge=1, le=2**53)
    event: Literal["show", "heartbeat", "pause", "resume", "end"]
    step: int | None = Field(default=None, ge=0, le=1_000_000)
    tiles: list[TileBody] | None = Field(default=None, max_length=16)


def plan_of(session: Session, tour: Tour) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tour's wall steps (playable cameras only) and the cameras it skips, with why."""
    stops = [tours.stop_json(s) for s in tour_rows.stops_of(session, tour.id)]
    playable = [s for s in stops if s["skipped"] is None]
    skipped = [{"position": s["position"], "camera_id": s["camera_id"], "name": s["name"],
                **s["skipped"]} for s in stops if s["skipped"]]
    by_position = {s["position"]: s for s in playable}
    steps = [{"index": step.index, "dwell_s": step.dwell_s,
              "cameras": [{"tile": tile, **by_position[position]}
                          for tile, position in enumerate(step.cameras)]}
             for step in wall_steps([(s["position"], s["dwell_s"]) for s in playable],
                                    layout=tour.layout)]
    return steps, skipped


def start_run(session: Session, tour: Tour, *, client: str | None) -> dict[str, Any]:
    """Start playing ``tour``: the run and its plan (audited; the caller commits)."""
    steps, skipped = plan_of(session, tour)
    if not steps:
        raise InvalidValue("Every camera of this tour is skipped (deleted, or without a "
                           "stream): nothing to show.", field="tour_id", code="nothing_to_show")
    now = datetime.now(UTC)
    planned = [c["camera_id"] for step in steps for c in step["cameras"]]
    run = rows.add_run(session, tour_id=tour.id, user_id=current_user.id,
                       username=current_user.username, started_at=now, last_seen_at=now,
                       layout=tour.layout, area=tour.area, planned=planned,
                       skipped=skipped, client=(client or "")[:64] or None)
    audit.record(session, "tour.run_start", object_type="tour_run", object_id=run.id,
                 details={"tour_id": tour.id, "planned": planned,
                          "skipped": [s["camera_id"] for s in skipped]})
    return {"run_id": run.id, "tour_id": tour.id, "name": tour.name, "layout": tour.layout,
            "steps": steps, "skipped": skipped, "heartbeat_s": HEARTBEAT_S,
            "stale_s": STALE_S}


def own_run(session: Session, run_id: int) -> TourRun:
    """The signed-in operator's run, locked; 404 for anyone else's."""
    run = rows.run_for_update(session, run_id)
    if run is None or run.user_id != current_user.id:
        raise RecordNotFound(f"No tour run {run_id} of yours.", field="run_id")
    return run


def apply_event(session: Session, run: TourRun, body: EventBody) -> dict[str, Any]:
    """Apply one event of the wall page (see the module docstring; the caller commits)."""
    if run.ended_at is not None:
        raise StateConflict(f"Tour run {run.id} has ended; start the tour again.",
                            field="run_id", code="run_ended")
    if body.seq <= run.last_seq:
        return {"run_id": run.id, "ignored": True, "ended": False}
    now = datetime.now(UTC)
    if (now - run.last_seen_at).total_seconds() > STALE_S:
        rows.close_tiles(session, run.id, run.last_seen_at)  # the gap is not watched
        if run.paused_at is not None:
            run.paused_s += max(0.0, (run.last_seen_at - run.paused_at).total_seconds())
            run.paused_at = now
    tiles = _checked_tiles(run, body)
    if body.event == "show":
        if body.step is None or tiles is None:
            raise InvalidValue("A show event names its step and tiles.", field="step")
        rows.close_tiles(session, run.id, now)
        rows.show_tiles(session, run.id, step=body.step, at=now, tiles=[_tile_row(t)
                                                                        for t in tiles])
    elif body.event == "heartbeat":
        _update_tiles(session, run, tiles or [], step=body.step, at=now)
    elif body.event == "pause" and run.paused_at is None:
        run.paused_at = now
    elif body.event == "resume" and run.paused_at is not None:
        run.paused_s += (now - run.paused_at).total_seconds()
        run.paused_at = None
    elif body.event == "end":
        _end(session, run, now, how="ended")
    run.last_seen_at = now
    run.last_seq = body.seq
    return {"run_id": run.id, "ignored": False, "ended": run.ended_at is not None}


def _checked_tiles(run: TourRun, body: EventBody) -> list[TileBody] | None:
    if body.tiles is None:
        return None
    planned = set(run.planned)
    seen: set[int] = set()
    for index, tile in enumerate(body.tiles):
        if tile.tile >= run.layout:
            raise InvalidValue(f"The wall has {run.layout} tiles (0–{run.layout - 1}).",
                               field=f"tiles.{index}.tile", code="not_on_the_wall")
        if tile.tile in seen:
            raise InvalidValue(f"Tile {tile.tile} is named twice.", field=f"tiles.{index}.tile")
        if tile.camera_id not in planned:
            raise InvalidValue(f"Camera {tile.camera_id} is not one this run shows.",
                               field=f"tiles.{index}.camera_id", code="not_in_run")
        seen.add(tile.tile)
    return body.tiles


def _tile_row(tile: TileBody) -> dict[str, Any]:
    return {"tile": tile.tile, "camera_id": tile.camera_id, "state": tile.state,
            "played": tile.state == "playing", "problem": tile.problem}


def _update_tiles(session: Session, run: TourRun, tiles: list[TileBody], *,
                  step: int | None, at: datetime) -> None:
    """Tile states from a heartbeat; tiles not on screen (after a gap) come back now."""
    open_rows = {(row.tile, row.camera_id): row for row in rows.open_tiles(session, run.id)}
    back = []
    for tile in tiles:
        row = open_rows.get((tile.tile, tile.camera_id))
        if row is None:
            back.append(_tile_row(tile))
            continue
        row.state = tile.state
        row.played = row.played or tile.state == "playing"
        row.problem = tile.problem if tile.state != "playing" else row.problem
    if back:
        rows.show_tiles(session, run.id, step=step or 0, at=at, tiles=back)


def _end(session: Session, run: TourRun, at: datetime, *, how: str) -> None:
    rows.close_tiles(session, run.id, at)
    if run.paused_at is not None:
        run.paused_s += (at - run.paused_at).total_seconds()
        run.paused_at = None
    run.ended_at = at
    run.end_how = how
    audit.record(session, "tour.run_end", object_type="tour_run", object_id=run.id,
                 details={"tour_id": run.tour_id,
                          "seconds": round((at - run.started_at).total_seconds(), 1)})


def may_see_all_runs() -> bool:
    return current_user.role_name in REVIEWERS


def run_json(row: dict[str, Any]) -> dict[str, Any]:
    state = "running" if row["running"] else ("ended" if row["ended_at"] else "lost")
    return {"id": row["id"], "tour_id": row["tour_id"], "tour_name": row["tour_name"],
            "username": row["username"], "started_at": row["started_at"].isoformat(),
            "ends_at": row["ends_at"].isoformat(), "state": state,
            "paused": row["paused"], "seconds": round(float(row["seconds"]), 1),
            "paused_s": round(float(row["paused_s"]), 1), "layout": row["layout"],
            "area": row["area"], "planned": len(row["planned"]), "shown": row["shown"],
            "played": row["played"], "skipped": row["skipped"],
            "findings": row["findings"]}


def run_list(session: Session, *, tour_id: int | None, username: str | None,
             since: datetime | None, limit: int) -> list[dict[str, Any]]:
    if not may_see_all_runs():
        username = current_user.username
    return [run_json(r) for r in rows.run_rows(session, stale_s=STALE_S, now=datetime.now(UTC),
                                                tour_id=tour_id, username=username,
                                                since=since, limit=limit)]


def run_log(session: Session, run_id: int) -> dict[str, Any]:
    """One run with every tile it showed (from, to, seconds, state, played, problem)."""
    now = datetime.now(UTC)
    found = rows.run_rows(session, stale_s=STALE_S, now=now, run_id=run_id,
                          username=None if may_see_all_runs() else current_user.username)
    if not found:
        raise RecordNotFound(f"No tour run {run_id}.", field="run_id")
    answer = run_json(found[0])
    answer["shown_tiles"] = [
        {"step": r["step"], "tile": r["tile"], "camera_id": r["camera_id"],
         "camera_name": r["camera_name"], "from": r["started_at"].isoformat(),
         "to": r["ended_at"].isoformat(), "on_screen": r["on_screen"],
         "seconds": round(float(r["seconds"]), 1), "state": r["state"],
         "played": r["played"], "problem": r["problem"]}
        for r in rows.shown_rows(session, run_id, stale_s=STALE_S, now=now)]
    return answer
