"""What an analyst asks for: the data (period, category, area) and the method with its
parameters, parsed from query strings or forms with the field named on every error."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

METHODS = ("gi_star", "lisa", "kde", "emerging")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
#: ``from``/``to`` as the API describes them (the day must also exist in its month; an
#: empty string is no bound).
PERIOD_PATTERN = r"^(?:\s*\d{4}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?\s*)?$"


def period_start(value: str, *, end: bool = False) -> datetime:
    """``YYYY-MM`` or ``YYYY-MM-DD`` as a UTC instant: the first moment of that month or
    day, or (``end``) the first moment after it, so ``to=2024-12`` includes December."""
    match = _PERIOD.match(value.strip())
    if not match:
        raise ValueError("use YYYY-MM or YYYY-MM-DD")
    year, month, day = int(match[1]), int(match[2]), match[3]
    if not 1 <= month <= 12:
        raise ValueError("month must be 01–12")
    if day is None:
        if end:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return datetime(year, month, 1, tzinfo=UTC)
    if not 1 <= int(day) <= calendar.monthrange(year, month)[1]:
        raise ValueError(f"{value} is not a date")
    start = date(year, month, int(day))
    if end:
        return datetime.fromordinal(start.toordinal() + 1).replace(tzinfo=UTC)
    return datetime(start.year, start.month, start.day, tzinfo=UTC)


def _category_schema(schema: dict[str, Any]) -> None:
    """Categories come as a list of codes, comma-separated text, or null (all)."""
    schema.pop("type", None)
    schema.pop("items", None)
    schema["anyOf"] = [{"type": "array", "items": {"type": "string"}}, {"type": "string"},
                       {"type": "null"}]


class DataFilter(BaseModel):
    """Which incidents: ``from``/``to`` (inclusive months or days), categories, area."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    start: str | None = Field(default=None, alias="from",
                              json_schema_extra={"pattern": PERIOD_PATTERN})
    end: str | None = Field(default=None, alias="to",
                            json_schema_extra={"pattern": PERIOD_PATTERN})
    category: tuple[str, ...] = Field(default=(), json_schema_extra=_category_schema)
    area: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value:
            period_start(value)
        return value or None

    @field_validator("category", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> tuple[str, ...]:
        if value in (None, ""):
            return ()
        if not isinstance(value, str | list | tuple):
            raise ValueError("give categories as comma-separated text or a list of codes")
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(sorted({str(v).strip() for v in items if str(v).strip()}))

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: str | None, info: ValidationInfo) -> str | None:
        start = info.data.get("start")
        if start and value and period_start(start) >= period_start(value, end=True):
            raise ValueError("'to' must not come before 'from'")
        return value

    @property
    def since(self) -> datetime | None:
        return period_start(self.start) if self.start else None

    @property
    def until(self) -> datetime | None:
        return period_start(self.end, end=True) if self.end else None


# Defaults per method, as the reference tools have them (README "Crime analysis"): Gi* and
# emerging hot spots take the p-value from the z-score (Esri's Hot Spot Analysis and
# Emerging Hot Spot Analysis); LISA from permutations (esda's Moran_Local, Esri's Cluster
# and Outlier Analysis). FDR: on for Gi* (Esri's Optimized Hot Spot Analysis, the tool for
# incidents counted into a fishnet, always applies it) and for emerging hot spots (Esri
# corrects each bin); off for LISA (Esri's Cluster and Outlier Analysis default).
DEFAULT_P_METHOD: dict[str, str] = {"gi_star": "analytical", "emerging": "analytical",
                                    "lisa": "permutation", "kde": "analytical"}
DEFAULT_FDR: dict[str, bool] = {"gi_star": True, "emerging": True, "lisa": False,
                                "kde": False}
DEFAULT_ALPHA: dict[str, float] = {"gi_star": 0.05, "emerging": 0.10, "lisa": 0.05,
                                   "kde": 0.05}
MIN_PERMUTATIONS = 99


class HotspotParams(DataFilter):
    """A hot-spot run. Defaults: 250 m squares, queen contiguity, and per method the
    p-values, FDR correction and level of the reference tools (``DEFAULT_*`` above); 999
    permutations with a fixed seed when p-values come from permutations (the same request
    gives the same answer)."""

    method: Literal["gi_star", "lisa", "kde", "emerging"] = "gi_star"
    cell_m: float = Field(default=250.0, ge=50.0, le=5000.0)
    shape: Literal["square", "hex"] = "square"
    weights: Literal["queen", "distance"] = "queen"
    distance_m: float | None = Field(default=None, gt=0, le=20000.0)
    # null or left out: the method's default, filled in by _method_defaults below
    p_method: Literal["analytical", "permutation"] | None = None
    permutations: int = Field(default=999, ge=0, le=9999)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    fdr: bool | None = None
    alpha: float | None = Field(default=None, gt=0, lt=0.5)
    bandwidth_m: float | None = Field(default=None, ge=1.0, le=20000.0)
    kde_cell_m: float | None = Field(default=None, ge=5.0, le=2000.0)
    time_bin: Literal["month", "quarter", "week", "day"] = "month"
    # emerging: earlier time bins in a bin's neighbourhood (Esri's Neighborhood Time Step)
    time_steps: int = Field(default=1, ge=0, le=12)

    @model_validator(mode="before")
    @classmethod
    def _method_defaults(cls, data: Any) -> Any:
        """Fill ``p_method``, ``fdr`` and ``alpha`` left out (or null) from the method."""
        if not isinstance(data, dict):
            return data
        method = data.get("method") or "gi_star"
        if not isinstance(method, str) or method not in DEFAULT_P_METHOD:
            return data  # the method field names the error
        filled = dict(data)
        for name, defaults in (("p_method", DEFAULT_P_METHOD), ("fdr", DEFAULT_FDR),
                               ("alpha", DEFAULT_ALPHA)):
            if filled.get(name) is None:
                filled[name] = defaults[method]
        return filled

    @field_validator("p_method")
    @classmethod
    def _p_method(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("method") == "lisa" and value != "permutation":
            raise ValueError("local Moran's I takes its p-values from permutations "
                             "(esda, Esri); use p_method=permutation")
        return value

    @field_validator("permutations")
    @classmethod
    def _permutations(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("p_method") == "permutation" and value < MIN_PERMUTATIONS:
            raise ValueError(f"permutation p-values need at least {MIN_PERMUTATIONS} "
                             "permutations")
        return value

    @model_validator(mode="after")
    def _distance(self) -> HotspotParams:
        if self.weights == "distance" and self.distance_m is not None \
                and self.distance_m < self.cell_m:
            raise ValueError(f"distance_m must be at least the cell size ({self.cell_m:g} m) "
                             "or every cell is its own only neighbour")
        return self


#: What a hot-spot job keeps beside the run's own parameters: how to answer, what to save
#: the result as.
JOB_ONLY_KEYS = ("format", "save_as")


def run_params(params: dict[str, Any]) -> dict[str, Any]:
    """A hot-spot job's parameters without its job-only keys: the run's own."""
    return {k: v for k, v in params.items() if k not in JOB_ONLY_KEYS}


class NearRepeatParams(DataFilter):
    """A Knox near-repeat test: equal bands of ``distance_band_m`` × ``time_band_days``."""

    distance_bands: int = Field(default=10, ge=1, le=30)
    distance_band_m: float = Field(default=100.0, gt=0, le=5000.0)
    time_bands: int = Field(default=10, ge=1, le=30)
    time_band_days: float = Field(default=1.0, gt=0, le=365.0)
    permutations: int = Field(default=999, ge=19, le=9999)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    metric: Literal["euclidean", "manhattan"] = "euclidean"


def from_query(model: type[DataFilter], args: Any) -> Any:
    """Build ``model`` from request args (a MultiDict): repeated ``category`` joined, empty
    values dropped, unknown names refused by the model."""
    values: dict[str, Any] = {}
    for key in args:
        items = [v for v in args.getlist(key) if v != ""]
        if not items:
            continue
        values[key] = ",".join(items) if key == "category" else items[-1]
    return model.model_validate(values)
