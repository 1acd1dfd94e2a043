"""Vehicle checkpoints (卡口) and their passage records: plates, records, files, traces; pure.

Modules
-------
- :mod:`~dispatch.checkpoints.plates`: number plates normalised and read, plate queries
  with wildcards (:func:`plate_query`).
- :mod:`~dispatch.checkpoints.records`: one passage record checked field by field
  (:func:`read_passage`).
- :mod:`~dispatch.checkpoints.passage_file`: CSV and JSON exports read record by record,
  with English, Chinese, pinyin and GA/T 1400 names (:func:`csv_passages`,
  :func:`json_passages`, :func:`checked`).
- :mod:`~dispatch.checkpoints.legs`: a plate's trace leg by leg against the road between
  the checkpoints; impossible legs flag a cloned plate (:func:`trace_legs`).

Every public name is re-exported here.
"""

from __future__ import annotations

from dispatch.checkpoints.legs import (
    CLOCK_TOLERANCE_S,
    MAX_SPEED_MPS,
    SPEEDING_FACTOR,
    Judgement,
    Leg,
    Road,
    Sighting,
    Verdict,
    judge_leg,
    straight_distance_m,
    trace_legs,
)
from dispatch.checkpoints.passage_file import (
    COLUMN_ALIASES,
    CheckedRow,
    PassageSource,
    checked,
    csv_passages,
    json_passages,
)
from dispatch.checkpoints.plates import (
    MIN_LITERALS,
    UNREAD_MARKERS,
    InvalidPlate,
    PlateQuery,
    matches,
    normalise_plate,
    plate_query,
    read_plate,
)
from dispatch.checkpoints.records import (
    FIELDS,
    FUTURE_TOLERANCE,
    BadRecord,
    FieldProblem,
    PassageRecord,
    UnreadPlate,
    read_passage,
    read_time,
)

__all__ = [
    "CLOCK_TOLERANCE_S", "COLUMN_ALIASES", "FIELDS", "FUTURE_TOLERANCE", "MAX_SPEED_MPS",
    "MIN_LITERALS", "SPEEDING_FACTOR", "UNREAD_MARKERS", "BadRecord", "CheckedRow",
    "FieldProblem", "InvalidPlate", "Judgement", "Leg", "PassageRecord", "PassageSource",
    "PlateQuery", "Road", "Sighting", "UnreadPlate", "Verdict", "checked", "csv_passages",
    "judge_leg", "json_passages", "matches", "normalise_plate", "plate_query", "read_passage",
    "read_plate", "read_time", "straight_distance_m", "trace_legs",
]
