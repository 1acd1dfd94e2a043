"""Saved hot-spot results, and promoting their hot cells for patrol planning.

Promotion turns cells of a saved result into

* **patrol hot spots** — the cell polygon, to be dosed 10–16 minutes at least every two
  hours (the Koper curve) by the route planner; or
* **must-visit points** — one per cell, at the mean position of the cell's incidents
  (where the crime is, not the cell's centre), any time of day, 10 minutes' dwell.

Which cells: the listed codes, or every cell at or above ``min_bin`` (Gi*; default +2,
95 % confidence), or with LISA quadrant HH, or any emerging hot-spot pattern.
Re-promoting a cell updates it (one row per cell code). Audited.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app import audit
from app.analysis import repository
from app.analysis.hotspots import HotspotAnswer
from app.analysis.params import run_params
from app.errors import InvalidValue, RecordNotFound, StateConflict
from app.models import HotspotResult, Job
from gis.hotspots import EmergingPattern

HOT_PATTERNS = frozenset(p.value for p in EmergingPattern if p.value.endswith("Hot Spot"))


class Promotion(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    target: Literal["patrol_hotspots", "must_visit_points"] = "patrol_hotspots"
    codes: list[str] | None = Field(default=None, max_length=5000)
    min_bin: int = Field(default=2, ge=1, le=3)
    dosage_min: float = Field(default=10.0, ge=1, le=120)
    dosage_max: float = Field(default=16.0, ge=1, le=240)
    revisit_min: float = Field(default=120.0, ge=10, le=1440)
    dwell_min: float = Field(default=10.0, ge=1, le=240)
    reason: str | None = Field(default=None, max_length=500)


def save_result(session: Session, answer: HotspotAnswer, *, name: str,
                actor: Any = None) -> HotspotResult:
    return _keep(session, name=name, collection=answer.geojson(), actor=actor,
                 params=answer.params.model_dump(by_alias=True, mode="json"))


def save_job_result(session: Session, job: Job, *, name: str,
                    actor: Any = None) -> HotspotResult:
    """Keep the result of a finished hot-spot job (its parameters and GeoJSON as the job
    stored them): saving a result shown on the page does not compute it again."""
    if job.kind != "hotspots":
        raise InvalidValue(f"Job {job.id} is a {job.kind} job, not a hot-spot run.",
                           field="job", code="not_hotspots")
    if job.state != "done" or not isinstance(job.result, dict):
        raise StateConflict(f"Job {job.id} is {job.state}: there is no result to save.",
                            field="job", code="not_done")
    return _keep(session, name=name, params=run_params(job.params),
                 collection=job.result["geojson"], actor=actor, job_id=job.id)


def _keep(session: Session, *, name: str, params: dict[str, Any],
          collection: dict[str, Any], actor: Any, job_id: int | None = None) -> HotspotResult:
    """Store a result with its parameters; audited as ``hotspots.save`` (with the job it
    came from, if any)."""
    row = HotspotResult(name=name, method=params.get("method", "gi_star"), params=params,
                        summary=collection["properties"], result=collection,
                        created_by=getattr(actor, "id", None))
    session.add(row)
    session.flush()
    audit.record(session, "hotspots.save", object_type="hotspot_result", object_id=row.id,
                 details={"name": name, "method": row.method, "params": row.params}
                 | ({"job": job_id} if job_id is not None else {}))
    return row


def saved_result(session: Session, result_id: int) -> HotspotResult:
    row = session.get(HotspotResult, result_id)
    if row is None:
        raise RecordNotFound(f"No saved hot-spot result {result_id}.", field="result_id")
    return row


def result_list(session: Session) -> list[dict[str, Any]]:
    rows = repository.result_rows(session)
    return [{"id": r.id, "name": r.name, "method": r.method, "params": r.params,
             "created_at": r.created_at.isoformat()} for r in rows]


def chosen_features(result: HotspotResult, promotion: Promotion) -> list[dict[str, Any]]:
    features = result.result.get("features", [])
    if promotion.codes is not None:
        wanted = set(promotion.codes)
        chosen = [f for f in features if f["properties"].get("code") in wanted]
        missing = wanted - {f["properties"]["code"] for f in chosen}
        if missing:
            raise InvalidValue(f"Not cells of this result: {', '.join(sorted(missing)[:10])}.",
                                field="codes", code="not_cells_of_result")
        return chosen
    if result.method == "gi_star":
        return [f for f in features if (f["properties"].get("bin") or 0) >= promotion.min_bin]
    if result.method == "lisa":
        return [f for f in features if f["properties"].get("quadrant") == "HH"]
    if result.method == "emerging":
        return [f for f in features if f["properties"].get("pattern") in HOT_PATTERNS]
    raise InvalidValue("A density surface has no classes: list the cells to promote in "
                        "'codes'.", field="codes", code="nothing_to_promote")


def promote(session: Session, result: HotspotResult, promotion: Promotion, *,
            actor: Any = None) -> dict[str, Any]:
    if promotion.dosage_max < promotion.dosage_min:
        raise InvalidValue("dosage_max must be at least dosage_min.", field="dosage_max")
    features = chosen_features(result, promotion)
    if not features:
        raise InvalidValue("No cell of this result qualifies; lower min_bin or list codes.",
                            field="min_bin", code="nothing_to_promote")
    written = (_as_patrol_hotspots if promotion.target == "patrol_hotspots"
               else _as_must_visit_points)(session, result, features, promotion, actor)
    audit.record(session, f"hotspots.promote.{promotion.target}",
                 object_type="hotspot_result", object_id=result.id, reason=promotion.reason,
                 details={"codes": [f["properties"]["code"] for f in features],
                          "written": written})
    return {"target": promotion.target, "cells": len(features), "written": written,
            "codes": [f["properties"]["code"] for f in features]}


def _as_patrol_hotspots(session: Session, result: HotspotResult,
                        features: list[dict[str, Any]], promotion: Promotion,
                        actor: Any) -> int:
    for feature in features:
        props = feature["properties"]
        repository.upsert_patrol_hotspot(
            session, code=props["code"], name=props.get("name"), result_id=result.id,
            incidents=props.get("count"), z=props.get("z"), gi_bin=props.get("bin"),
            dosage_min=promotion.dosage_min, dosage_max=promotion.dosage_max,
            revisit_min=promotion.revisit_min, geometry=feature["geometry"],
            created_by=getattr(actor, "id", None))
    return len(features)


def _as_must_visit_points(session: Session, result: HotspotResult,
                          features: list[dict[str, Any]], promotion: Promotion,
                          actor: Any) -> int:
    """One point per cell at the mean of its incidents in the result's period and
    categories (the cell's inner point when it has none)."""
    params = result.params
    for feature in features:
        props = feature["properties"]
        repository.upsert_hotspot_point(
            session, code=props["code"], name=f"Hot spot {props.get('name') or props['code']}",
            geometry=feature["geometry"], categories=params.get("category") or None,
            dwell_min=promotion.dwell_min, priority=_priority(props),
            created_by=getattr(actor, "id", None))
    return len(features)


def _priority(props: dict[str, Any]) -> int:
    """1 (highest) for 99 % hot spots, 2 for 95 %, 3 otherwise."""
    bin_ = props.get("bin") or 0
    return 1 if bin_ >= 3 else 2 if bin_ >= 2 else 3

