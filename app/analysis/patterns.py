"""When crime happens: hour × weekday and monthly counts, and near repeats (Knox test).

Each record counts only where its time is good enough: a police.uk record (month only)
adds to its month but never to an hour of a weekday, nor to a near-repeat pair.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from app.analysis.data import load_incidents, require_incidents, time_counts
from app.analysis.params import DataFilter, NearRepeatParams
from app.errors import InvalidValue
from gis.hotspots.temporal import WEEKDAYS
from gis.near_repeat import equal_bands, knox_test, near_repeat_events
from runtime.notes import Note

MAX_NEAR_REPEAT_EVENTS = 60_000
Progress = Callable[[float, str], None]


def _silent(_fraction: float, _message: str) -> None:
    return None


def time_tables(session: Session, data: DataFilter) -> dict[str, Any]:
    """Incidents per local weekday × hour (minute-exact times only) and per month.

    Counted by PostgreSQL (``GROUP BY GROUPING SETS``): only 168 + months rows leave the
    database, however many incidents match (benchmarks/incident_stats.py)."""
    hours = np.zeros((7, 24), dtype=np.int64)
    months: dict[str, int] = {}
    too_coarse = 0
    for by_month, weekday, hour, month, count in time_counts(session, data):
        if by_month:
            months[f"{month:%Y-%m}"] = int(count)
        elif weekday is None:
            too_coarse += int(count)
        else:
            hours[weekday, hour] += int(count)
    total = sum(months.values())
    require_incidents(total)
    span = pd.period_range(min(months), max(months), freq="M")
    return {
        "incidents": total,
        "hour_weekday": {"weekdays": list(WEEKDAYS), "hours": list(range(24)),
                         "counts": hours.tolist(), "counted": int(hours.sum()),
                         "too_coarse": too_coarse},
        "monthly": {"months": [str(m) for m in span],
                    "counts": [months.get(str(m), 0) for m in span],
                    "counted": total},
    }


def near_repeat(session: Session, params: NearRepeatParams, *,
                progress: Progress | None = None) -> dict[str, Any]:
    """The Knox table; ``progress(fraction, message)`` is told how far it got (a job's
    progress bar; it may raise to cancel)."""
    report = progress or _silent
    started = time.perf_counter()
    report(0.0, Note("loading incidents"))
    incidents = load_incidents(session, params)
    require_incidents(incidents)
    try:
        events = near_repeat_events(incidents, time_column="local_time")
    except ValueError as exc:  # gis.errors: nothing with a day-exact time is left
        raise InvalidValue(f"Near-repeat analysis needs times to the day at least: {exc}",
                            field="from", code="no_dated_incidents") from None
    if len(events.x_m) > MAX_NEAR_REPEAT_EVENTS:
        raise InvalidValue(f"{len(events.x_m):,} incidents: narrow the period, category or "
                            f"area to at most {MAX_NEAR_REPEAT_EVENTS:,}.", field="from",
                            code="too_many_incidents")
    report(0.05, Note("%(incidents)s incidents: counting pairs", incidents=len(events.x_m)))
    result = knox_test(events.x_m, events.y_m, events.t_days,
                       distance_bands_m=equal_bands(n=params.distance_bands,
                                                    width=params.distance_band_m),
                       time_bands_days=equal_bands(n=params.time_bands,
                                                   width=params.time_band_days),
                       permutations=params.permutations, seed=params.seed,
                       metric=params.metric,
                       progress=lambda f, m: report(0.05 + 0.95 * f, m))
    bands = result.band_table()
    for band in bands:
        for key in ("expected", "ratio"):
            band[key] = None if math.isnan(band[key]) else round(band[key], 4)
        band["p_value"] = round(band["p_value"], 4)
    return {"params": params.model_dump(by_alias=True, mode="json"),
            "events": len(events.x_m), "excluded_coarse_time": events.too_coarse,
            "excluded_no_time": events.missing,
            "pairs": result.total_pairs, "near_pairs": result.near_pairs,
            "distance_bands": result.distance_labels(), "time_bands": result.time_labels(),
            "bands": bands,
            "timings_ms": {"total": round(1000 * (time.perf_counter() - started), 1)}}
