"""patrol.compliance: statuses of planned stops, dosage periods, summaries and
overdue alerts, on hand-made visits and stays (and once on visits from gis.tracks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis.tracks import point_visits, stays_in_cells
from patrol.compliance import (
    DoseStatus,
    InvalidComplianceInput,
    OverdueReason,
    PlannedStop,
    StopStatus,
    dosage_compliance,
    overdue_points,
    stop_compliance,
    summarise,
)
from patrol.windows import InvalidDoseSpec

BERLIN = ZoneInfo("Europe/Berlin")
DAY = datetime(2024, 5, 6, 8, 0, tzinfo=BERLIN)


def t(minutes: float) -> datetime:
    """DAY + minutes."""
    return DAY + timedelta(minutes=minutes)


def visits_table(*rows: tuple[str, float, float], unit: list[str] | None = None
                 ) -> pd.DataFrame:
    """Visits (point_id, arrive min, depart min), as gis.tracks.point_visits returns them."""
    table = pd.DataFrame({
        "point_id": pd.Series([r[0] for r in rows], dtype=object),
        "arrive": pd.Series([t(r[1]) for r in rows], dtype="datetime64[ns, UTC]"),
        "depart": pd.Series([t(r[2]) for r in rows], dtype="datetime64[ns, UTC]"),
        "dwell_s": [(r[2] - r[1]) * 60.0 for r in rows],
        "fixes": [10] * len(rows),
    })
    if unit is not None:
        table["unit"] = unit
    return table


def stop(point_id: str, start_min: float, end_min: float, *, dwell_min: float = 5,
         unit: str = "A1", planned_min: float | None = None, grid: str | None = None,
         shift: str | None = "day") -> PlannedStop:
    return PlannedStop(point_id=point_id, unit=unit, window_start=t(start_min),
                       window_end=t(end_min), dwell_s=dwell_min * 60,
                       planned_arrive=None if planned_min is None else t(planned_min),
                       grid=grid, shift=shift)


def only(planned: PlannedStop, visits: pd.DataFrame, **options: object):  # type: ignore[no-untyped-def]
    [check] = stop_compliance([planned], visits, **options)  # type: ignore[arg-type]
    return check


# -- planned stops -------------------------------------------------------------------------

def test_a_visit_with_the_dwell_in_the_window_is_done() -> None:
    check = only(stop("P", 0, 60, planned_min=20), visits_table(("P", 30, 37)))
    assert check.status is StopStatus.DONE
    assert check.on_time and check.visited
    assert check.arrived == t(30)
    assert check.dwell_s == pytest.approx(420.0)
    assert check.late_min == pytest.approx(10.0)  # 10 minutes after the planned arrival
    assert check.compliant is True


def test_arriving_before_the_window_and_staying_into_it_counts_and_is_not_late() -> None:
    check = only(stop("P", 0, 60), visits_table(("P", -10, -3), ("P", -4, 2)))
    # The first visit ends before the window; the second overlaps it with 6 minutes.
    assert check.status is StopStatus.DONE
    assert check.arrived == t(-4)
    assert check.late_min == 0.0


def test_a_visit_too_short_is_short_and_the_longest_is_reported() -> None:
    check = only(stop("P", 0, 60), visits_table(("P", 10, 11), ("P", 40, 44), ("Q", 20, 40)))
    assert check.status is StopStatus.SHORT
    assert check.visited and not check.on_time
    assert check.arrived == t(40) and check.dwell_s == pytest.approx(240.0)
    assert check.compliant is False


def test_a_full_visit_after_the_window_is_late_within_the_limit_else_missed() -> None:
    visits = visits_table(("P", 75, 82))
    late = only(stop("P", 0, 60, planned_min=30), visits)
    assert late.status is StopStatus.LATE
    assert not late.on_time
    assert late.arrived == t(75)
    assert late.late_min == pytest.approx(45.0)
    missed = only(stop("P", 0, 60), visits, late_within_min=10)
    assert missed.status is StopStatus.MISSED
    assert not missed.visited and missed.arrived is None and missed.late_min is None


def test_a_late_full_visit_wins_over_a_short_one_in_the_window() -> None:
    check = only(stop("P", 0, 60), visits_table(("P", 50, 52), ("P", 65, 75)))
    assert check.status is StopStatus.LATE
    assert check.arrived == t(65)


def test_no_visit_at_all_is_missed() -> None:
    check = only(stop("P", 0, 60), visits_table())
    assert check.status is StopStatus.MISSED
    assert check.compliant is False


def test_a_window_still_open_is_pending_until_it_is_done_or_over() -> None:
    planned = stop("P", 0, 60)
    nothing_yet = only(planned, visits_table(), now=t(30))
    assert nothing_yet.status is StopStatus.PENDING and nothing_yet.compliant is None
    there_now = only(planned, visits_table(("P", 28, 30)), now=t(30))
    assert there_now.status is StopStatus.PENDING and there_now.arrived == t(28)
    done_early = only(planned, visits_table(("P", 10, 20)), now=t(30))
    assert done_early.status is StopStatus.DONE
    over = only(planned, visits_table(), now=t(60))
    assert over.status is StopStatus.MISSED


def test_with_a_unit_column_only_the_stops_own_unit_counts() -> None:
    visits = visits_table(("P", 10, 20), unit=["B2"])
    assert only(stop("P", 0, 60, unit="A1"), visits).status is StopStatus.MISSED
    assert only(stop("P", 0, 60, unit="B2"), visits).status is StopStatus.DONE
    # Without the column every unit's visit counts.
    assert only(stop("P", 0, 60, unit="A1"),
                visits.drop(columns="unit")).status is StopStatus.DONE


def test_times_in_different_zones_are_compared_as_instants() -> None:
    # Window 08:00-09:00 Berlin (06:00-07:00 UTC); a visit 06:30-06:40 UTC is inside it.
    visits = pd.DataFrame({"point_id": ["P"], "unit": ["A1"],
                           "arrive": [pd.Timestamp("2024-05-06 06:30", tz="UTC")],
                           "depart": [pd.Timestamp("2024-05-06 06:40", tz="UTC")],
                           "dwell_s": [600.0]})
    assert only(stop("P", 0, 60), visits).status is StopStatus.DONE
    assert only(stop("P", 120, 180), visits).status is StopStatus.MISSED


def test_bad_stops_and_tables_raise() -> None:
    with pytest.raises(InvalidComplianceInput):
        stop("P", 60, 0)
    with pytest.raises(InvalidComplianceInput):
        PlannedStop("P", "A1", datetime(2024, 5, 6, 8), datetime(2024, 5, 6, 9), 60.0)
    with pytest.raises(InvalidComplianceInput):
        stop("P", 0, 60, dwell_min=-1)
    with pytest.raises(InvalidComplianceInput):
        stop_compliance([stop("P", 0, 60)], visits_table().drop(columns="dwell_s"))
    naive = visits_table(("P", 0, 5))
    naive["arrive"] = naive["arrive"].dt.tz_localize(None)
    with pytest.raises(InvalidComplianceInput):
        stop_compliance([stop("P", 0, 60)], naive)
    with pytest.raises(InvalidComplianceInput):
        stop_compliance([stop("P", 0, 60)], visits_table(), now=datetime(2024, 5, 6, 8))


def test_visits_from_a_track_feed_the_checks() -> None:
    # A unit parks 5 minutes at P (x=0) from 08:10, then drives on past Q without stopping.
    crs = "EPSG:32632"
    seconds = np.arange(0.0, 1200.0, 5.0)
    x = np.where(seconds < 600, 0.0, (seconds - 600) * 10.0) + np.where(seconds < 300, 500.0, 0)
    track = gpd.GeoDataFrame({"at": [t(10 - 5) + timedelta(seconds=s) for s in seconds]},
                             geometry=shapely.points(477_000 + x, np.full(x.size, 5_474_000.0)),
                             crs=crs)
    points = gpd.GeoDataFrame({"id": ["P", "Q"]},
                              geometry=shapely.points([477_000.0, 479_000.0], [5_474_000.0] * 2),
                              crs=crs)
    visits = point_visits(track, points, radius_m=50)
    checks = stop_compliance([stop("P", 0, 30), stop("Q", 0, 30)], visits)
    assert [c.status for c in checks] == [StopStatus.DONE, StopStatus.SHORT]
    assert checks[0].arrived is not None
    assert abs((checks[0].arrived - t(10)).total_seconds()) <= 5
    assert checks[1].dwell_s == pytest.approx(10.0)  # 100 m of circle at 10 m/s


# -- dosage ------------------------------------------------------------------------------

def stays_table(*rows: tuple[str, float, float]) -> pd.DataFrame:
    """Stays (code, enter min, exit min), as gis.tracks.stays_in_cells returns them."""
    return pd.DataFrame({
        "code": [r[0] for r in rows],
        "enter": pd.Series([t(r[1]) for r in rows], dtype="datetime64[ns, Europe/Berlin]"),
        "exit": pd.Series([t(r[2]) for r in rows], dtype="datetime64[ns, Europe/Berlin]"),
        "seconds": [(r[2] - r[1]) * 60.0 for r in rows],
    })


def test_each_period_of_each_cell_is_dosed_by_one_long_enough_stay() -> None:
    stays = stays_table(
        ("A", 20, 32),     # period 0: 12 min, a dose
        ("A", 130, 150),   # period 1: 20 min, a dose but longer than 16 min
        ("A", 250, 256),   # period 2: two 6-minute passes are not a dose
        ("A", 300, 306),
        ("Z", 0, 60),      # a cell not asked about
    )
    checks = dosage_compliance(stays, shift_start=t(0), shift_end=t(480), codes=["A", "B"],
                               unit="A1", shift="day")
    assert [(c.code, c.period_start, c.period_end) for c in checks] == [
        (code, t(start), t(start + 120)) for code in "AB" for start in (0, 120, 240, 360)]
    a = checks[:4]
    assert [c.dosed for c in a] == [True, True, False, False]
    assert [c.over for c in a] == [False, True, False, False]
    assert [c.minutes for c in a] == pytest.approx([12.0, 20.0, 12.0, 0.0])
    assert [c.longest_min for c in a] == pytest.approx([12.0, 20.0, 6.0, 0.0])
    assert [c.stays for c in a] == [1, 1, 2, 0]
    assert [c.status for c in a] == [DoseStatus.DOSED, DoseStatus.DOSED, DoseStatus.UNDOSED,
                                     DoseStatus.UNDOSED]
    assert all(c.status is DoseStatus.UNDOSED and c.stays == 0 for c in checks[4:])
    assert {(c.unit, c.shift) for c in checks} == {("A1", "day")}


def test_a_stay_belongs_to_the_period_it_begins_in_and_is_cut_to_the_shift() -> None:
    stays = stays_table(("A", 110, 124), ("A", -30, 11), ("A", 475, 500))
    checks = dosage_compliance(stays, shift_start=t(0), shift_end=t(480))
    # 14 minutes from 09:50 dose the first period; 11 minutes of a stay begun before the
    # shift count from the shift's start; 5 minutes at the end are cut at its end.
    assert [c.minutes for c in checks] == pytest.approx([14.0 + 11.0, 0.0, 0.0, 5.0])
    assert [c.dosed for c in checks] == [True, False, False, False]


def test_periods_still_open_are_pending_and_the_shift_tail_follows_dose_windows() -> None:
    checks = dosage_compliance(stays_table(("A", 20, 32)), shift_start=t(0),
                               shift_end=t(7 * 60), now=t(200))
    # A 7-hour shift: three 2-hour periods and one of 1 hour.
    assert [(c.period_start, c.period_end) for c in checks] == [
        (t(0), t(120)), (t(120), t(240)), (t(240), t(360)), (t(360), t(420))]
    assert [c.status for c in checks] == [DoseStatus.DOSED, DoseStatus.PENDING,
                                          DoseStatus.PENDING, DoseStatus.PENDING]


def test_stays_from_a_track_give_a_koper_dose() -> None:
    # 12 minutes parked in a hot-spot cell, a fix every 10 s.
    crs = "EPSG:32632"
    seconds = np.arange(0.0, 12 * 60 + 1, 10.0)
    track = gpd.GeoDataFrame({"at": [t(30) + timedelta(seconds=s) for s in seconds]},
                             geometry=shapely.points(np.full(seconds.size, 477_010.0),
                                                     np.full(seconds.size, 5_474_010.0)),
                             crs=crs)
    cells = gpd.GeoDataFrame({"code": ["H1"]},
                             geometry=[shapely.box(477_000, 5_474_000, 477_100, 5_474_100)],
                             crs=crs)
    stays = stays_in_cells(track, cells)
    [first, *_] = dosage_compliance(stays, shift_start=t(0), shift_end=t(480))
    assert first.dosed and not first.over and first.longest_min == pytest.approx(12.0)


def test_bad_dose_settings_raise() -> None:
    with pytest.raises(InvalidComplianceInput):
        dosage_compliance(stays_table(), shift_start=t(0), shift_end=t(480), dose_max=8)
    with pytest.raises(InvalidDoseSpec):
        dosage_compliance(stays_table(), shift_start=t(0), shift_end=t(480), revisit_min=0)
    with pytest.raises(InvalidComplianceInput):
        dosage_compliance(stays_table(), shift_start=datetime(2024, 5, 6, 8),
                          shift_end=t(480))


# -- summaries --------------------------------------------------------------------------

def test_summaries_per_unit_grid_and_shift_leave_pending_checks_out_of_the_percentage() -> None:
    planned = [
        stop("P1", 0, 60, unit="A1", grid="G1", shift="day"),     # done
        stop("P2", 0, 60, unit="A1", grid="G1", shift="day"),     # missed
        stop("P3", 0, 60, unit="B2", grid="G2", shift="day"),     # short
        stop("P4", 0, 60, unit="B2", grid="G1", shift="day"),     # done
        stop("P5", 300, 360, unit="B2", grid="G2", shift="day"),  # pending
    ]
    visits = visits_table(("P1", 10, 20), ("P3", 10, 11), ("P4", 30, 40))
    checks = stop_compliance(planned, visits, now=t(90))
    assert [str(c.status) for c in checks] == ["done", "missed", "short", "done", "pending"]
    per_unit = summarise(checks, by=("unit",))
    assert per_unit == [
        {"unit": "A1", "total": 2, "pending": 0, "decided": 2, "compliant": 1,
         "percent": 50.0, "statuses": {"done": 1, "missed": 1}},
        {"unit": "B2", "total": 3, "pending": 1, "decided": 2, "compliant": 1,
         "percent": 50.0, "statuses": {"short": 1, "done": 1, "pending": 1}},
    ]
    per_grid = {row["grid"]: row["percent"] for row in summarise(checks, by=("grid",))}
    assert per_grid == {"G1": pytest.approx(200 / 3), "G2": 0.0}
    [per_shift] = summarise(checks, by=("shift",))
    assert (per_shift["shift"], per_shift["compliant"], per_shift["decided"]) == ("day", 2, 4)


def test_a_group_with_only_pending_checks_has_no_percentage_and_none_sorts_last() -> None:
    checks = stop_compliance([stop("P", 0, 60, grid=None), stop("Q", 0, 60, grid="G1")],
                             visits_table(), now=t(10))
    rows = summarise(checks, by=("grid",))
    assert [row["grid"] for row in rows] == ["G1", None]
    assert all(row["percent"] is None and row["pending"] == 1 for row in rows)


def test_dose_checks_summarise_per_cell() -> None:
    checks = dosage_compliance(stays_table(("A", 20, 32)), shift_start=t(0),
                               shift_end=t(480), codes=["A", "B"])
    rows = summarise(checks, by=("grid",))
    assert [(r["grid"], r["compliant"], r["decided"], r["percent"]) for r in rows] == [
        ("A", 1, 4, 25.0), ("B", 0, 4, 0.0)]


def test_summarise_rejects_unknown_keys() -> None:
    with pytest.raises(InvalidComplianceInput):
        summarise([], by=("colour",))
    with pytest.raises(InvalidComplianceInput):
        summarise([], by=())
    dose_checks = dosage_compliance(stays_table(), shift_start=t(0), shift_end=t(120),
                                    codes=["A"])
    with pytest.raises(InvalidComplianceInput):
        summarise(dose_checks, by=("point_id",))


# -- overdue alerts ---------------------------------------------------------------------

def test_a_window_closing_soon_and_not_done_is_alerted_with_its_reason() -> None:
    now = t(50)
    planned = [
        stop("NEVER", 0, 60),              # 10 min left, no visit: alert
        stop("HERE", 0, 55),               # 5 min left, unit there 2 of 5 min: alert
        stop("DONE", 0, 60),               # done: no alert
        stop("LATER", 0, 70),              # 20 min left: not yet
        stop("CLOSED", 0, 45),             # closed 5 min ago: missed, not alerted
    ]
    visits = visits_table(("HERE", 48, 50), ("DONE", 10, 20))
    checks = stop_compliance(planned, visits, now=now)
    alerts = overdue_points(now, checks, warn_before_min=15)
    assert [(a.point_id, a.window_end, a.reason, a.unit) for a in alerts] == [
        ("HERE", t(55), OverdueReason.DWELL_SHORT, "A1"),
        ("NEVER", t(60), OverdueReason.NOT_VISITED, "A1"),
    ]
    assert [a.minutes_left for a in alerts] == pytest.approx([5.0, 10.0])
    assert alerts[1].key == ("NEVER", t(60))


def test_a_point_and_window_is_never_alerted_twice() -> None:
    planned = [stop("P", 0, 60, unit="A1"), stop("P", 0, 60, unit="B2"), stop("Q", 0, 60)]
    checks = stop_compliance(planned, visits_table(), now=t(50))
    first = overdue_points(t(50), checks)
    assert [a.key for a in first] == [("P", t(60)), ("Q", t(60))]  # P once, not per unit
    already = {a.key for a in first}
    assert overdue_points(t(52), checks, already=already) == []
    # Keys are compared as instants: the same window end given in UTC is the same key.
    in_utc = {("P", t(60).astimezone(UTC))}
    assert [a.point_id for a in overdue_points(t(52), checks, already=in_utc)] == ["Q"]
    # The next window of the same point is a new key.
    later = stop_compliance([stop("P", 120, 180)], visits_table(), now=t(170))
    assert [a.key for a in overdue_points(t(170), later, already=already)] == [("P", t(180))]


def test_overdue_needs_an_aware_now_and_a_positive_warning() -> None:
    checks = stop_compliance([stop("P", 0, 60)], visits_table(), now=t(50))
    with pytest.raises(InvalidComplianceInput):
        overdue_points(datetime(2024, 5, 6, 8, 50), checks)
    with pytest.raises(InvalidComplianceInput):
        overdue_points(t(50), checks, warn_before_min=0)
