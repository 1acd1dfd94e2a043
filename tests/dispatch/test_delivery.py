"""The fate of outbound messages and the status timers: states only move forward, back-off
doubles to its cap then gives up, an unacknowledged order is re-sent then alarmed, and
the timers run from the right clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.delivery import (
    FORWARD,
    AlarmKind,
    DeliveryPolicy,
    DeliveryState,
    Outbound,
    Step,
    UnitTimer,
    after_failure,
    can_advance,
    next_step,
    timer_alarms,
)
from dispatch.status import UnitStatus

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
S = DeliveryState
POLICY = DeliveryPolicy(ack_timeout_s=60, resends=2, max_attempts=4, retry_base_s=2,
                        retry_max_s=10, lifetime_s=900)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_states_move_forward_only() -> None:
    assert can_advance(S.QUEUED, S.SENT) and can_advance(S.SENT, S.DELIVERED)
    assert can_advance(S.DELIVERED, S.ACKNOWLEDGED) and can_advance(S.QUEUED, S.ACKNOWLEDGED)
    # a receipt after the acknowledgement, a PUBACK recorded after the receipt: ignored
    assert not can_advance(S.ACKNOWLEDGED, S.DELIVERED)
    assert not can_advance(S.DELIVERED, S.SENT)
    assert not any(can_advance(S.EXPIRED, s) for s in S)
    assert not any(can_advance(s, s) for s in S)
    # a dead letter may be queued again, or acknowledged (voiced on the radio)
    assert FORWARD[S.FAILED] == {S.QUEUED, S.ACKNOWLEDGED, S.EXPIRED}


def test_back_off_doubles_to_its_cap_then_gives_up() -> None:
    assert [POLICY.retry_delay_s(n) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]
    assert after_failure(1, T0, POLICY) == at(2)
    assert after_failure(3, T0, POLICY) == at(8)
    assert after_failure(4, T0, POLICY) is None  # max_attempts reached: a dead letter


def test_a_queued_message_is_sent_when_due_and_expires_unsent() -> None:
    queued = Outbound(S.QUEUED, True, T0, next_attempt_at=at(5))
    assert next_step(queued, at(4), POLICY) == Step.WAIT
    assert next_step(queued, at(5), POLICY) == Step.SEND
    assert next_step(Outbound(S.QUEUED, False, T0), at(0), POLICY) == Step.SEND
    assert next_step(queued, at(901), POLICY) == Step.EXPIRE


def test_an_unacknowledged_order_is_sent_again_then_alarmed() -> None:
    def sent(sends: int, last: float, alarmed: bool = False) -> Outbound:
        return Outbound(S.SENT, True, T0, last_sent_at=at(last), sends=sends, alarmed=alarmed)

    assert next_step(sent(1, 0), at(59), POLICY) == Step.WAIT
    assert next_step(sent(1, 0), at(60), POLICY) == Step.RESEND
    assert next_step(sent(2, 60), at(120), POLICY) == Step.RESEND
    assert next_step(sent(3, 120), at(180), POLICY) == Step.ALARM  # two re-sends spent
    assert next_step(sent(3, 120, alarmed=True), at(180), POLICY) == Step.WAIT
    assert next_step(sent(3, 120, alarmed=True), at(901), POLICY) == Step.EXPIRE
    delivered = Outbound(S.DELIVERED, True, T0, last_sent_at=T0, sends=1)
    assert next_step(delivered, at(61), POLICY) == Step.RESEND
    # what needs no acknowledgement (a plan, a warning) is done once sent
    assert next_step(Outbound(S.SENT, False, T0, last_sent_at=T0, sends=1), at(5000),
                     POLICY) == Step.WAIT
    for done in (S.ACKNOWLEDGED, S.EXPIRED, S.FAILED):
        assert next_step(Outbound(done, True, T0, sends=1), at(5000), POLICY) == Step.WAIT


@pytest.mark.parametrize("bad", [{"ack_timeout_s": 0}, {"resends": -1},
                                 {"max_attempts": 0}, {"lifetime_s": -5}])
def test_a_policy_out_of_range_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DeliveryPolicy(**bad)  # type: ignore[arg-type]


def test_status_timers_run_from_the_right_clock() -> None:
    limits = {UnitStatus.EN_ROUTE: timedelta(minutes=20),
              UnitStatus.ON_SCENE: timedelta(minutes=60),
              UnitStatus.DISPATCHED: timedelta(minutes=2)}
    units = [
        UnitTimer(1, "P-1", UnitStatus.EN_ROUTE, T0),
        UnitTimer(2, "P-2", UnitStatus.ON_SCENE, T0, last_update=at(50 * 60)),
        UnitTimer(3, "P-3", UnitStatus.ON_SCENE, T0, last_update=at(-600)),
        UnitTimer(4, "P-4", UnitStatus.DISPATCHED, T0),  # alarmed per order, not here
        UnitTimer(5, "P-5", UnitStatus.AVAILABLE, T0),
    ]
    now = at(61 * 60)
    found = {a.unit_id: a for a in timer_alarms(units, now, limits=limits)}
    assert set(found) == {1, 3}
    assert found[1].kind == AlarmKind.EN_ROUTE_TOO_LONG
    assert found[1].over_s == pytest.approx(41 * 60)
    assert found[1].message_en == "P-1 en route for 61 min"
    assert found[3].kind == AlarmKind.ON_SCENE_NO_UPDATE
    assert found[3].message_zh == "P-3 到场 61 分钟无更新"
    # P-2 spoke 11 minutes ago: its welfare clock restarted then
    later = {a.unit_id: a for a in timer_alarms(units, at(111 * 60), limits=limits)}
    assert later[2].started_at == at(50 * 60)
    # one alarm per occurrence: the key holds the time the clock started
    assert found[1].key == f"en_route_too_long:1:{T0.isoformat()}"
    assert timer_alarms(units, at(19 * 60), limits=limits) == []
