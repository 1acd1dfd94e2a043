"""The radio desk: the outbound side of ``gridpatrol ingest``.

Every :data:`POLL_S` it sends what is due (new messages over MQTT, retries with back-off,
re-sends of unacknowledged orders, expiries: :func:`app.orders.outbox.process_due`);
every :data:`TIMERS_S` it checks the status timers and raises or clears their alarms.
Polling an indexed handful of rows rather than LISTENing keeps it simple and makes a
missed notification impossible; the half-second it costs is well inside the order
acknowledgement timeout. Several desks (one per ingest process) share the work safely:
rows are claimed with ``FOR UPDATE SKIP LOCKED`` and alarms are raised once by key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from app.db import engine
from app.dispatch.gateways import RadioGateway
from app.orders.alarms import check_status_timers
from app.orders.outbox import process_due
from app.orders.settings import build_gateway, delivery_policy, timer_limits
from dispatch.delivery import DeliveryPolicy
from dispatch.status import UnitStatus

logger = logging.getLogger(__name__)

POLL_S = 0.5
TIMERS_S = 5.0
UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError)


class RadioDesk:
    """Sends outbound messages and raises the console alarms (see the module)."""

    def __init__(self, app: Flask, *, gateway: RadioGateway | None = None,
                 policy: DeliveryPolicy | None = None,
                 limits: dict[UnitStatus, timedelta] | None = None,
                 poll_s: float = POLL_S, timers_s: float = TIMERS_S) -> None:
        self.app = app
        self.gateway = gateway if gateway is not None else build_gateway(app)
        self.policy = policy or delivery_policy(app)
        self.limits = limits or timer_limits(app)
        self.poll_s = poll_s
        self.timers_s = timers_s
        self.counters: Counter[str] = Counter()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set."""
        logger.info("radio desk: sending through %r", self.gateway)
        last_timers = 0.0
        quiet = 0.0
        while not stop.is_set():
            try:
                counts = await asyncio.to_thread(self.pass_once)
                self.counters.update(counts)
                if time.monotonic() - last_timers >= self.timers_s:
                    last_timers = time.monotonic()
                    raised, cleared = await asyncio.to_thread(self.check_timers)
                    self.counters.update({"timer_alarms": raised, "timer_cleared": cleared})
                quiet = 0.0
            except UNAVAILABLE as exc:
                if quiet == 0.0:
                    logger.warning("radio desk: database unavailable (%s); waiting",
                                   type(exc).__name__)
                quiet = min(5.0, max(0.5, quiet * 2))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), quiet)
                continue
            except Exception:  # noqa: BLE001 (one bad pass must not end the desk)
                logger.exception("radio desk: a pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_s)
        close = getattr(self.gateway, "close", None)
        if callable(close):
            close()

    def pass_once(self, now: datetime | None = None) -> Counter[str]:
        """Claim, send and record what is due (one pass)."""
        with self.app.app_context(), Session(bind=engine(self.app)) as session:
            counts = process_due(session, self.gateway, policy=self.policy, now=now)
        if counts.get("claimed"):
            logger.info("radio desk: %s", dict(counts))
        return counts

    def check_timers(self, now: datetime | None = None) -> tuple[int, int]:
        with self.app.app_context(), Session(bind=engine(self.app)) as session:
            result = check_status_timers(session, now or datetime.now(UTC),
                                         limits=self.limits)
            session.commit()
        return result
