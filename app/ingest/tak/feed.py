"""The outbound TAK feed: units and open alerts as CoT events (:mod:`dispatch.cot`), sent
every ``TAK_INTERVAL_S`` and on change.

Changes come from the database's own announcements (``LISTEN gridpatrol_events``, the
channel the consoles' live events use): a unit or alert notified is marked, and the
marked ones are read and sent within :data:`COALESCE_S` (a unit reporting ten times a
second is sent at most that often). Every interval, and after the listener reconnects,
everything shown is read and sent again, so a client that missed an event (UDP) is whole
again within one interval, and events never reach their stale time while gridpatrol runs.

What TAK clients are shown (decided in :func:`shown_unit`, :func:`shown_alert`): active
units with a position fixed within ``STALE_POSITION_S`` that are not out of service and
not plainclothes (便衣: covert work stays off a TAK network that other agencies may share),
and alerts that are open and not covert. Something shown that stops qualifying (closed,
out of service, gone covert) is taken off the clients' maps with a delete event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from app.db import app_database_url, engine
from app.db.notify import listening_async
from app.ingest.tak import repository
from dispatch.alerts import alert_kind_label
from dispatch.cot import (
    UNIT_TYPE,
    CotAlert,
    CotUnit,
    alert_event,
    alert_type,
    alert_uid,
    delete_event,
    unit_event,
    unit_uid,
)
from dispatch.recommend import UnitKind
from dispatch.status import UnitStatus

logger = logging.getLogger(__name__)

COALESCE_S = 0.5
RECONNECT_S = 2.0
LEVELS = {"en": {"red": "red", "orange": "orange", "yellow": "yellow"},
          "zh": {"red": "红色", "orange": "橙色", "yellow": "黄色"}}


def shown_unit(row: Any, *, now: datetime, stale_position_s: float) -> bool:
    """Whether a unit row of :func:`repository.units` goes to TAK clients."""
    return bool(row.active and row.lon is not None and row.fix_at is not None
                and row.status != UnitStatus.OUT_OF_SERVICE.value
                and row.kind != UnitKind.PLAINCLOTHES.value
                and now - row.fix_at <= timedelta(seconds=stale_position_s))


def shown_alert(row: Any) -> bool:
    """Whether an alert row of :func:`repository.alerts` goes to TAK clients."""
    return bool(row.status != "closed" and not row.covert and row.lon is not None)


class TakFeed:
    """Reads what is shown and hands each event to ``send`` (every peer's queue)."""

    def __init__(self, app: Flask, *, send: Callable[[bytes], None], interval_s: float,
                 stale_s: float, counters: Counter[str]) -> None:
        self.app = app
        self.send = send
        self.interval_s = interval_s
        self.stale_s = stale_s
        self.counters = counters
        self.latest: dict[str, bytes] = {}  # uid → its last event: what a new peer gets
        self._shown: dict[str, tuple[str, float, float]] = {}  # uid → (type, lon, lat)
        self._units: set[int] = set()
        self._alerts: set[int] = set()
        self._everything = True
        self._wake = asyncio.Event()
        self.zh = app.config.get("DEFAULT_LOCALE") == "zh_CN"

    async def run(self) -> None:
        """Listen for changes and send, until cancelled."""
        listener = asyncio.create_task(self._listen())
        try:
            last_full = 0.0
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), COALESCE_S)
                self._wake.clear()
                if time.monotonic() - last_full >= self.interval_s:
                    self._everything = True
                everything, units, alerts = self._everything, self._units, self._alerts
                if not (everything or units or alerts):
                    continue
                self._everything, self._units, self._alerts = False, set(), set()
                try:
                    rows = await asyncio.to_thread(
                        self._fetch, None if everything else units,
                        None if everything else alerts)
                    events = self._build(*rows, everything=everything)
                except (sa.exc.OperationalError, sa.exc.InterfaceError):
                    self._everything = True  # the database is away: all again when back
                    await asyncio.sleep(RECONNECT_S)
                    continue
                if everything:
                    last_full = time.monotonic()
                    self.counters["tak_snapshots"] += 1
                for event in events:
                    self.send(event)
                self.counters["tak_events_out"] += len(events)
                await asyncio.sleep(COALESCE_S)  # the next changes gather meanwhile
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _listen(self) -> None:
        conninfo = app_database_url(self.app).replace("postgresql+psycopg://",
                                                      "postgresql://", 1)
        while True:
            try:
                async with listening_async(conninfo) as conn:
                    self._everything = True  # changes may have been missed meanwhile
                    self._wake.set()
                    async for note in conn.notifies():
                        self._mark(note.payload)
            except (psycopg.Error, OSError) as exc:
                logger.warning("TAK feed: no database announcements (%s); listening again "
                               "in %g s", type(exc).__name__, RECONNECT_S)
                await asyncio.sleep(RECONNECT_S)

    def _mark(self, payload: str) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            return
        if data.get("type") == "unit":
            self._units.add(data["id"])
        elif data.get("type") == "alert":
            self._alerts.add(data["id"])
        else:
            return
        self._wake.set()

    # -- reading and building ------------------------------------------------------------
    def _fetch(self, unit_ids: set[int] | None, alert_ids: set[int] | None
               ) -> tuple[list[Any], list[Any]]:
        """The rows of everything (``None``), or of the units and alerts marked (in a
        thread: the loop goes on)."""
        with self.app.app_context(), Session(bind=engine(self.app)) as session:
            units = [] if unit_ids == set() else repository.units(
                session, None if unit_ids is None else sorted(unit_ids))
            alerts = [] if alert_ids == set() else repository.alerts(
                session, None if alert_ids is None else sorted(alert_ids))
        return units, alerts

    def _build(self, units: list[Any], alerts: list[Any], *, everything: bool
               ) -> list[bytes]:
        """The events of the rows; delete events for what stopped being shown (in the
        loop, which alone keeps what is shown)."""
        now = datetime.now(UTC)
        limit = float(self.app.config.get("STALE_POSITION_S") or 300.0)
        events: list[bytes] = []
        seen: set[str] = set()
        for row in units:
            uid = unit_uid(row.id)
            seen.add(uid)
            if shown_unit(row, now=now, stale_position_s=limit):
                events.append(self._show(uid, UNIT_TYPE, row.lon, row.lat, unit_event(
                    CotUnit(row.id, row.callsign, row.lon, row.lat, row.fix_at,
                            self._unit_remarks(row), row.speed_mps, row.course_deg),
                    now=now, stale_s=self.stale_s)))
            else:
                events += self._hide(uid, now)
        for row in alerts:
            uid = alert_uid(row.id)
            seen.add(uid)
            if shown_alert(row):
                events.append(self._show(uid, alert_type(row.level), row.lon, row.lat,
                                         alert_event(CotAlert(
                                             row.id, row.level, self._alert_title(row),
                                             row.lon, row.lat, row.raised_at,
                                             row.description or ""),
                                             now=now, stale_s=self.stale_s)))
            else:
                events += self._hide(uid, now)
        if everything:  # gone from the database altogether
            for uid in [u for u in self._shown if u not in seen]:
                events += self._hide(uid, now)
        return events

    def _show(self, uid: str, of_type: str, lon: float, lat: float, event: bytes) -> bytes:
        self._shown[uid] = (of_type, lon, lat)
        self.latest[uid] = event
        return event

    def _hide(self, uid: str, now: datetime) -> list[bytes]:
        if uid not in self._shown:
            return []
        of_type, lon, lat = self._shown.pop(uid)
        self.latest.pop(uid, None)
        self.counters["tak_deleted"] += 1
        return [delete_event(uid, of_type, now=now, lon=lon, lat=lat)]

    def _unit_remarks(self, row: Any) -> str:
        kind = _label(UnitKind, row.kind, zh=self.zh)
        status = _label(UnitStatus, row.status, zh=self.zh)
        alert = (f" · 警情 #{row.alert_id}" if self.zh else f" · alert #{row.alert_id}") \
            if row.alert_id else ""
        return f"{kind} · {status}{alert}"

    def _alert_title(self, row: Any) -> str:
        level = LEVELS["zh" if self.zh else "en"].get(row.level, row.level)
        kind = alert_kind_label(row.kind, zh=self.zh) if row.kind else ""
        return f"#{row.id} {level} {kind}".strip()


def _label(enum: Any, value: str, *, zh: bool) -> str:
    try:
        member = enum(value)
    except ValueError:
        return value
    return str(member.label_zh if zh else member.label_en)
