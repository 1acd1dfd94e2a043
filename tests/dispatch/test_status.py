"""The unit status model: labels, allowed changes, recommendability and timers."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dispatch.status import (
    ALLOWED_CHANGES,
    DEFAULT_LIMITS,
    IllegalStatusChange,
    InvalidStatusTime,
    UnitStatus,
    can_change,
    check_change,
    is_recommendable,
    overdue,
    time_in_status,
)

S = UnitStatus
ALLOWED = [(current, new) for current, nexts in ALLOWED_CHANGES.items() for new in nexts]
T0 = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)


def test_every_status_has_codes_labels_and_a_row_in_the_table() -> None:
    assert [s.value for s in S] == [
        "available", "dispatched", "en_route", "on_scene",
        "committed_available", "out_of_service",
    ]
    assert set(ALLOWED_CHANGES) == set(S)
    assert S.EN_ROUTE.label_en == "En route"
    assert S.EN_ROUTE.label_zh == "途中"
    assert S.COMMITTED_AVAILABLE.label_zh == "任务中可调派"
    assert all(s.label_en and s.label_zh for s in S)
    assert S("on_scene") is S.ON_SCENE


def test_the_table_has_no_self_changes_and_cannot_be_edited() -> None:
    assert all(current not in nexts for current, nexts in ALLOWED_CHANGES.items())
    with pytest.raises(TypeError):
        ALLOWED_CHANGES[S.AVAILABLE] = frozenset()  # type: ignore[index]


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_every_allowed_change_is_accepted(current: UnitStatus, new: UnitStatus) -> None:
    assert can_change(current, new)
    check_change(current, new)


def test_a_unit_can_always_go_out_of_service_but_only_come_back_available() -> None:
    assert all(can_change(s, S.OUT_OF_SERVICE) for s in S)
    assert [s for s in S if can_change(S.OUT_OF_SERVICE, s)] == [S.AVAILABLE, S.OUT_OF_SERVICE]


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.AVAILABLE, S.EN_ROUTE),
        (S.OUT_OF_SERVICE, S.DISPATCHED),
        (S.OUT_OF_SERVICE, S.ON_SCENE),
        (S.ON_SCENE, S.DISPATCHED),
        (S.ON_SCENE, S.EN_ROUTE),
        (S.DISPATCHED, S.COMMITTED_AVAILABLE),
        (S.EN_ROUTE, S.COMMITTED_AVAILABLE),
        (S.COMMITTED_AVAILABLE, S.EN_ROUTE),
    ],
)
def test_forbidden_changes_are_rejected(current: UnitStatus, new: UnitStatus) -> None:
    assert not can_change(current, new)
    with pytest.raises(IllegalStatusChange):
        check_change(current, new)


def test_the_rejection_names_both_statuses_and_the_ones_allowed_next() -> None:
    with pytest.raises(IllegalStatusChange) as caught:
        check_change(S.ON_SCENE, S.DISPATCHED)
    assert str(caught.value) == (
        "a unit on_scene cannot become dispatched; "
        "from on_scene it may become: available, committed_available, out_of_service"
    )
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("status", list(S))
def test_a_repeated_status_is_a_no_op(status: UnitStatus) -> None:
    assert can_change(status, status)
    check_change(status, status)


def test_only_available_and_committed_units_are_recommended() -> None:
    assert [s for s in S if is_recommendable(s)] == [S.AVAILABLE, S.COMMITTED_AVAILABLE]


def test_time_in_status_compares_instants_across_zones() -> None:
    beijing = timezone(timedelta(hours=8))
    now = datetime(2024, 10, 1, 16, 5, tzinfo=beijing)  # 08:05 UTC
    assert time_in_status(T0, now) == timedelta(minutes=5)
    assert time_in_status(T0, T0) == timedelta(0)


@pytest.mark.parametrize(
    ("since", "now"),
    [(T0.replace(tzinfo=None), T0), (T0, T0.replace(tzinfo=None))],
)
def test_naive_datetimes_are_rejected(since: datetime, now: datetime) -> None:
    with pytest.raises(InvalidStatusTime, match="has no timezone"):
        time_in_status(since, now)
    with pytest.raises(InvalidStatusTime):
        overdue(S.DISPATCHED, since, now)


def test_a_start_after_now_is_rejected() -> None:
    with pytest.raises(InvalidStatusTime, match="lies after"):
        time_in_status(T0 + timedelta(seconds=1), T0)


@pytest.mark.parametrize(
    ("status", "limit"),
    [(S.DISPATCHED, timedelta(minutes=2)), (S.EN_ROUTE, timedelta(minutes=20)),
     (S.ON_SCENE, timedelta(minutes=60))],
)
def test_a_unit_falls_due_just_after_its_default_limit(
    status: UnitStatus, limit: timedelta
) -> None:
    assert DEFAULT_LIMITS[status] == limit
    assert not overdue(status, T0, T0 + limit)
    assert overdue(status, T0, T0 + limit + timedelta(seconds=1))


@pytest.mark.parametrize("status", [S.AVAILABLE, S.COMMITTED_AVAILABLE, S.OUT_OF_SERVICE])
def test_statuses_without_a_limit_never_fall_due(status: UnitStatus) -> None:
    assert not overdue(status, T0, T0 + timedelta(days=3))


def test_a_deployment_can_set_its_own_limits() -> None:
    limits = {S.ON_SCENE: timedelta(minutes=30), S.OUT_OF_SERVICE: timedelta(hours=1)}
    assert overdue(S.ON_SCENE, T0, T0 + timedelta(minutes=31), limits=limits)
    assert overdue(S.OUT_OF_SERVICE, T0, T0 + timedelta(minutes=61), limits=limits)
    assert not overdue(S.DISPATCHED, T0, T0 + timedelta(hours=5), limits=limits)


def test_the_status_and_nmea_modules_import_only_the_standard_library() -> None:
    # status.py builds its enum on dispatch.labels and takes its errors from
    # dispatch.errors, both held to the same rule.
    dispatch = Path(__file__).resolve().parents[2] / "dispatch"
    for name in ("status.py", "nmea.py", "nmea_epochs.py", "labels.py", "errors.py"):
        tree = ast.parse((dispatch / name).read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree)
                    if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        ours = {"dispatch.labels", "dispatch.errors", "dispatch.nmea"}
        outside = {module.split(".")[0] for module in imported - ours}
        assert outside - {"__future__"} <= sys.stdlib_module_names, name
