"""The fate of an outbound radio message, and the console alarms of the status timers; pure.

An order, a cancellation, a plan publication or an overdue warning goes out to a unit and
passes through delivery states:

=============  ==========  ==================================================================
state          label (zh)  meaning
=============  ==========  ==================================================================
queued         待发送      written, not yet handed to a transport (or waiting to try again)
sent           已发送      the transport took it: the broker's PUBACK (MQTT QoS 1), the line
                           synced to the outbox file, a 2xx from the webhook
delivered      已送达      the terminal confirmed receipt (``…/receipt``)
acknowledged   已确认      the unit acknowledged it (``…/ack``, "ACK 41 P-12", trunk-recorder
                           ``ackresp``, the acknowledge code, or going en route / on scene)
failed         发送失败    every transport attempt failed: a dead letter, shown on the console
expired        已过期      no longer meant: superseded (the alert closed, the unit reassigned)
                           or unacknowledged past its lifetime
=============  ==========  ==================================================================

States only move forward (:func:`can_advance`): a receipt arriving after the
acknowledgement changes nothing. A dead letter may be queued again by the dispatcher, and
may still be acknowledged (the order was voiced on the radio).

Nothing here reads a clock: the caller passes ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from dispatch.labels import LabelledEnum
from dispatch.status import DEFAULT_LIMITS, UnitStatus


class DeliveryState(LabelledEnum):
    """Where an outbound message stands; the value is stored in ``radio_log.delivery``."""

    QUEUED = "queued", "Queued", "待发送"
    SENT = "sent", "Sent", "已发送"
    DELIVERED = "delivered", "Delivered", "已送达"
    ACKNOWLEDGED = "acknowledged", "Acknowledged", "已确认"
    FAILED = "failed", "Failed", "发送失败"
    EXPIRED = "expired", "Expired", "已过期"


_D = DeliveryState

FORWARD: Final[Mapping[DeliveryState, frozenset[DeliveryState]]] = MappingProxyType({
    _D.QUEUED: frozenset({_D.SENT, _D.DELIVERED, _D.ACKNOWLEDGED, _D.FAILED, _D.EXPIRED}),
    _D.SENT: frozenset({_D.DELIVERED, _D.ACKNOWLEDGED, _D.EXPIRED}),
    _D.DELIVERED: frozenset({_D.ACKNOWLEDGED, _D.EXPIRED}),
    _D.FAILED: frozenset({_D.QUEUED, _D.ACKNOWLEDGED, _D.EXPIRED}),
    _D.ACKNOWLEDGED: frozenset(),
    _D.EXPIRED: frozenset(),
})
"""The moves each state may make. A receipt may come before the broker's PUBACK is
recorded (``queued`` → ``delivered``); a unit may acknowledge a message not yet sent (the
dispatcher voiced it)."""

OUTSTANDING: Final = frozenset({_D.QUEUED, _D.SENT, _D.DELIVERED, _D.FAILED})
"""States in which a message may still be acknowledged or superseded."""

NEEDS_ACKNOWLEDGEMENT: Final = frozenset({"dispatch_order", "cancel"})
"""Message kinds a unit must acknowledge: unacknowledged, they raise an alarm and are sent
again. Plan publications, overdue warnings and texts need only reach the terminal."""


def can_advance(current: DeliveryState, new: DeliveryState) -> bool:
    """Tell whether a message in ``current`` may move to ``new``.

    Parameters
    ----------
    current, new : DeliveryState

    Returns
    -------
    bool
        True when ``new`` is in :data:`FORWARD` of ``current``; False for a repeat or a
        step back (a late receipt), which the caller ignores.
    """
    return new in FORWARD[current]


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard the system tries.

    Attributes
    ----------
    ack_timeout_s : float
        Seconds a message needing acknowledgement may stay unacknowledged after it was
        sent before the console is alarmed and it is sent again.
    resends : int
        How many times an unacknowledged message is sent again (every ``ack_timeout_s``).
    max_attempts : int
        Transport attempts (the first included) before a message becomes a dead letter.
    retry_base_s, retry_max_s : float
        Back-off between failed attempts: ``retry_base_s`` doubled after each, at most
        ``retry_max_s``.
    lifetime_s : float
        Seconds after which a message still unacknowledged (or never sent) expires.
    """

    ack_timeout_s: float = 60.0
    resends: int = 3
    max_attempts: int = 6
    retry_base_s: float = 2.0
    retry_max_s: float = 60.0
    lifetime_s: float = 1800.0

    def __post_init__(self) -> None:
        for name in ("ack_timeout_s", "retry_base_s", "retry_max_s", "lifetime_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.resends < 0 or self.max_attempts < 1:
            raise ValueError("resends must be ≥ 0 and max_attempts ≥ 1")

    def retry_delay_s(self, failed_attempts: int) -> float:
        """Seconds to wait after the ``failed_attempts``-th failed attempt (≥ 1)."""
        return float(min(self.retry_max_s,
                         self.retry_base_s * 2 ** max(0, failed_attempts - 1)))


class Step(StrEnum):
    """What to do with an outbound message now."""

    SEND = "send"            # queued and due: hand it to the transport
    RESEND = "resend"        # sent, unacknowledged past the timeout: send again and alarm
    ALARM = "alarm"          # unacknowledged, no re-send left: alarm (once)
    EXPIRE = "expire"        # past its lifetime unacknowledged, or never sent
    WAIT = "wait"            # nothing to do yet


@dataclass(frozen=True)
class Outbound:
    """An outbound message as the decision needs it (times aware).

    Attributes
    ----------
    state : DeliveryState
    needs_ack : bool
    created_at : datetime
    next_attempt_at : datetime or None
        When a queued message is due (None: at once).
    last_sent_at : datetime or None
        When it last went out.
    sends : int
        Times it went out (the first sending included).
    alarmed : bool
        Whether its unacknowledged alarm was raised.
    """

    state: DeliveryState
    needs_ack: bool
    created_at: datetime
    next_attempt_at: datetime | None = None
    last_sent_at: datetime | None = None
    sends: int = 0
    alarmed: bool = False


def next_step(message: Outbound, now: datetime, policy: DeliveryPolicy) -> Step:
    """Decide what to do with an outbound message now.

    Parameters
    ----------
    message : Outbound
    now : datetime
        Aware.
    policy : DeliveryPolicy

    Returns
    -------
    Step
        ``expire`` once a queued message, or one needing acknowledgement and still without
        it, is older than ``lifetime_s``; ``send`` for a queued message that is due;
        ``resend`` for a sent or delivered message needing acknowledgement whose last
        sending is ``ack_timeout_s`` old, while re-sends are left; ``alarm`` when none is
        left and the alarm was not raised yet; else ``wait``.
    """
    age = now - message.created_at
    expired = age > timedelta(seconds=policy.lifetime_s)
    if message.state == DeliveryState.QUEUED:
        if expired:
            return Step.EXPIRE
        due = message.next_attempt_at is None or message.next_attempt_at <= now
        return Step.SEND if due else Step.WAIT
    if not message.needs_ack or message.state not in (DeliveryState.SENT,
                                                      DeliveryState.DELIVERED):
        return Step.WAIT
    if expired:
        return Step.EXPIRE
    last = message.last_sent_at or message.created_at
    if now - last < timedelta(seconds=policy.ack_timeout_s):
        return Step.WAIT
    if message.sends <= policy.resends:
        return Step.RESEND
    return Step.WAIT if message.alarmed else Step.ALARM


def after_failure(failed_attempts: int, now: datetime,
                  policy: DeliveryPolicy) -> datetime | None:
    """When to try again after a failed attempt, or None when it is a dead letter.

    Parameters
    ----------
    failed_attempts : int
        Failed attempts so far, this one included (≥ 1).
    now : datetime
    policy : DeliveryPolicy

    Returns
    -------
    datetime or None
        ``now`` plus :meth:`DeliveryPolicy.retry_delay_s`; None once ``max_attempts`` is
        reached.
    """
    if failed_attempts >= policy.max_attempts:
        return None
    return now + timedelta(seconds=policy.retry_delay_s(failed_attempts))


# -- the status timers -------------------------------------------------------------------

class AlarmKind(LabelledEnum):
    """What a console alarm is about."""

    ORDER_UNACKNOWLEDGED = "order_unacknowledged", "Order not acknowledged", "指令未确认"
    ORDER_FAILED = "order_failed", "Message not delivered", "消息发送失败"
    EN_ROUTE_TOO_LONG = "en_route_too_long", "En route too long", "途中超时"
    ON_SCENE_NO_UPDATE = "on_scene_no_update", "On scene without an update", "到场无更新"


TIMER_ALARMS: Final[Mapping[UnitStatus, AlarmKind]] = MappingProxyType({
    UnitStatus.EN_ROUTE: AlarmKind.EN_ROUTE_TOO_LONG,
    UnitStatus.ON_SCENE: AlarmKind.ON_SCENE_NO_UPDATE,
})
"""Statuses whose timer raises a console alarm. ``dispatched`` has a limit too, but an
order not acknowledged is alarmed per order (:data:`AlarmKind.ORDER_UNACKNOWLEDGED`)."""


@dataclass(frozen=True)
class UnitTimer:
    """A unit's status clock (times aware).

    Attributes
    ----------
    unit_id : int
    callsign : str
    status : UnitStatus
    since : datetime
        When it entered the status.
    last_update : datetime or None
        Its last message (a status, a text, an acknowledgement), if any; a unit on scene
        that speaks restarts its welfare clock.
    """

    unit_id: int
    callsign: str
    status: UnitStatus
    since: datetime
    last_update: datetime | None = None


@dataclass(frozen=True)
class TimerAlarm:
    """A status timer run out.

    Attributes
    ----------
    kind : AlarmKind
    unit_id : int
    key : str
        One alarm per occurrence: the unit, the kind and the time the clock started.
    started_at : datetime
        When the clock started (status entered, or the last update on scene).
    over_s : float
        Seconds past the limit.
    limit_s : float
    message_en, message_zh : str
    """

    kind: AlarmKind
    unit_id: int
    key: str
    started_at: datetime
    over_s: float
    limit_s: float
    message_en: str
    message_zh: str


def timer_alarms(units: Sequence[UnitTimer], now: datetime, *,
                 limits: Mapping[UnitStatus, timedelta] = DEFAULT_LIMITS) -> list[TimerAlarm]:
    """The status timers that have run out.

    Parameters
    ----------
    units : sequence of UnitTimer
    now : datetime
        Aware.
    limits : Mapping[UnitStatus, timedelta], keyword-only
        Longest time per status (:data:`dispatch.status.DEFAULT_LIMITS`: en route 20 min,
        on scene 60 min); a status missing from it never falls due.

    Returns
    -------
    list of TimerAlarm
        En route: longer than its limit since the unit set off. On scene: longer than its
        limit since it arrived or last spoke, whichever is later.
    """
    found = []
    for unit in units:
        kind = TIMER_ALARMS.get(unit.status)
        limit = limits.get(unit.status)
        if kind is None or limit is None:
            continue
        started = unit.since
        if unit.status == UnitStatus.ON_SCENE and unit.last_update is not None:
            started = max(started, unit.last_update)
        over = (now - started) - limit
        if over <= timedelta(0):
            continue
        minutes = round((now - started).total_seconds() / 60)
        if kind == AlarmKind.EN_ROUTE_TOO_LONG:
            en = f"{unit.callsign} en route for {minutes} min"
            zh = f"{unit.callsign} 途中已 {minutes} 分钟"
        else:
            en = f"{unit.callsign} on scene {minutes} min without an update"
            zh = f"{unit.callsign} 到场 {minutes} 分钟无更新"
        found.append(TimerAlarm(kind, unit.unit_id,
                                f"{kind.value}:{unit.unit_id}:{started.isoformat()}", started,
                                over.total_seconds(), limit.total_seconds(), en, zh))
    return found
