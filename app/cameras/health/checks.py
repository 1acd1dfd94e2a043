"""The health round: every camera with a stream sampled, diagnosed and recorded.

``gridpatrol cameras check`` and the scheduler's ``camera-health`` job call
:func:`run_round`. Samples are taken in a bounded pool of worker threads (each waits on
its FFmpeg process or its HTTP stills, and decides the sample there: OpenCV and numpy
leave the interpreter lock while they work); the results are written by the calling
thread one camera at a time, each in its own transaction:

1. the check (latest and history), the fault streaks;
2. the band's baseline, learnt from a healthy check (the first healthy check of a band
   also becomes the band's reference view);
3. the camera's state, when it changed (kept for uptime, audited as ``camera.status``);
4. its maintenance ticket (opened after a fault persists, updated, closed after healthy
   checks), sent out through the gateway after the commit.

One round runs at a time across processes (an advisory lock); another process finding it
held skips its round. Memory stays bounded: at most ``workers`` samples (a few frames of
320 pixels each) exist at once, and a sample's frames are dropped once decided.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import cv2
import numpy as np
from flask import Flask

from app import audit
from app.cameras.fence import StreamFence
from app.cameras.health import repository
from app.cameras.health.sampler import SamplePlan, SampleRefused, take_sample
from app.db import app_database_url, get_session
from app.maintenance import tickets
from dispatch.cameras.health import (
    BandBaseline,
    CheckResult,
    Reference,
    Streaks,
    TicketPolicy,
    band_of,
    evaluate,
    next_status,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthSettings:
    """The round's settings, from the app's ``HEALTH_*`` and ``TICKET_*`` config."""

    plan: SamplePlan
    workers: int
    policy: TicketPolicy
    timezone: ZoneInfo
    retention_days: int

    @classmethod
    def from_app(cls, app: Flask) -> HealthSettings:
        config = app.config
        return cls(plan=SamplePlan(span_s=float(config["HEALTH_SAMPLE_S"]),
                                   open_timeout_s=float(config["HEALTH_OPEN_TIMEOUT_S"])),
                   workers=int(config["HEALTH_WORKERS"]),
                   policy=TicketPolicy(open_after=int(config["TICKET_OPEN_AFTER"]),
                                       close_after=int(config["TICKET_CLOSE_AFTER"])),
                   timezone=ZoneInfo(str(config.get("TIMEZONE") or "UTC")),
                   retention_days=int(config["HEALTH_RETENTION_DAYS"]))


@dataclass
class RoundSummary:
    """What a round did."""

    started_at: datetime
    checked: int = 0
    skipped: bool = False
    refused: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    elapsed_s: float = 0.0
    lines: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.skipped:
            return "camera health: another process is running a round; skipped"
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(self.verdicts.items())) or "none"
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())) or "none"
        return (f"camera health: {self.checked} cameras checked in {self.elapsed_s:.1f} s "
                f"({verdicts}); faults: {faults}; tickets opened {len(self.opened)}, closed "
                f"{len(self.closed)}" + (f"; {self.refused} stream URLs refused by the "
                                          "stream fence" if self.refused else ""))


@dataclass(frozen=True)
class _Job:
    camera: repository.CameraToCheck
    baseline: BandBaseline | None
    reference: Reference | None


@dataclass(frozen=True)
class _Outcome:
    camera: repository.CameraToCheck
    result: CheckResult | None
    stream: dict[str, object] | None
    duration_ms: int
    refused_rule: str | None = None
    frame_jpeg: bytes | None = None


def run_round(app: Flask, *, camera_ids: Sequence[int] | None = None,
              now: datetime | None = None, fence: StreamFence | None = None) -> RoundSummary:
    """Check every camera with a stream (or these) once; see the module docstring."""
    now = now or datetime.now(UTC)
    summary = RoundSummary(started_at=now)
    settings = HealthSettings.from_app(app)
    fence = fence or StreamFence.from_config(app.config)
    started = time.monotonic()
    with app.app_context(), repository.run_lock(app_database_url(app)) as held:
        if not held:
            summary.skipped = True
            return summary
        session = get_session()
        cameras = repository.cameras_to_check(session, camera_ids)
        band = band_of(now.astimezone(settings.timezone).hour)
        saved = repository.baselines(session, band, [c.id for c in cameras])
        session.rollback()  # nothing held open while the samples are taken
        jobs = [_Job(c, _baseline(saved.get(c.id)), _reference(saved.get(c.id)))
                for c in cameras]
        for outcome in _sampled(jobs, fence, settings):
            _record(outcome, band=band, now=now, settings=settings, summary=summary)
        removed = repository.drop_checks_before(
            session, now - timedelta(days=settings.retention_days))
        session.commit()
        if removed:
            logger.info("camera health: %d checks older than %d days dropped", removed,
                        settings.retention_days)
    summary.elapsed_s = time.monotonic() - started
    return summary


def _sampled(jobs: list[_Job], fence: StreamFence, settings: HealthSettings
             ) -> Iterator[_Outcome]:
    """Outcomes as they come, with at most ``workers`` samples in flight."""
    pending = iter(jobs)
    with ThreadPoolExecutor(max_workers=settings.workers,
                            thread_name_prefix="health-sample") as pool:
        running: set[Future[_Outcome]] = set()
        for job in pending:
            running.add(pool.submit(_check_one, job, fence, settings.plan))
            if len(running) >= settings.workers:
                break
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
                job = next(pending, None)
                if job is not None:
                    running.add(pool.submit(_check_one, job, fence, settings.plan))


def _check_one(job: _Job, fence: StreamFence, plan: SamplePlan) -> _Outcome:
    """Sample and decide one camera (in a worker thread; no database here)."""
    started = time.monotonic()
    try:
        sample = take_sample(job.camera.stream_url, fence=fence, plan=plan)
    except SampleRefused as exc:
        return _Outcome(job.camera, None, None, int((time.monotonic() - started) * 1000),
                        refused_rule=exc.rule)
    result = evaluate(sample, baseline=job.baseline, reference=job.reference)
    stream = {"codec": sample.stream.codec, "width": sample.stream.width,
              "height": sample.stream.height, "frames": len(sample.frames)}
    frame = thumbnail(sample.frames[-1]) if sample.frames else None
    return _Outcome(job.camera, result, stream, int((time.monotonic() - started) * 1000),
                    frame_jpeg=frame)


def _record(outcome: _Outcome, *, band: int, now: datetime, settings: HealthSettings,
            summary: RoundSummary) -> None:
    """Write one camera's check, state, baseline and ticket (one transaction), then send
    what the ticket changed."""
    camera, result = outcome.camera, outcome.result
    if result is None:  # the fence refused the URL: nothing said about the camera
        summary.refused += 1
        summary.lines.append(f"  camera {camera.id}: stream URL refused ({outcome.refused_rule})")
        return
    session = get_session()
    previous = repository.latest(session, [camera.id]).get(camera.id)
    streaks = Streaks.from_dict(previous.streaks if previous else None).after(
        result.fault_codes)
    findings = [f.as_dict() for f in result.findings]
    repository.store_check(
        session, camera.id, checked_at=now, verdict=result.verdict.value,
        fault_codes=result.fault_codes, findings=findings,
        measures=result.measures.as_dict() if result.measures else None,
        comparison=result.comparison.as_dict() if result.comparison else None,
        stream=outcome.stream, streaks=streaks.as_dict(), duration_ms=outcome.duration_ms,
        healthy=not result.findings, frame_jpeg=outcome.frame_jpeg)
    if not result.findings:
        reference = result.new_reference
        repository.save_baseline(
            session, camera.id, band, checks=result.baseline.checks,
            stats=result.baseline.as_dict()["stats"],  # type: ignore[arg-type]
            now=now, reference_png=_png(reference.gray) if reference else None,
            reference_cells=list(reference.cell_texture) if reference else None)
    status = next_status(camera.status, result.verdict)
    if status.value != camera.status:
        repository.set_status(session, camera.id, from_status=camera.status,
                              to_status=status.value, at=now,
                              reason=", ".join(result.fault_codes) or None)
        audit.record(session, "camera.status", object_type="camera", object_id=camera.id,
                     actor_name="system:health",
                     details={"from": camera.status, "to": status.value,
                              "faults": result.fault_codes})
    change = tickets.follow_check(session, camera.id, streaks=streaks, findings=findings,
                                  in_maintenance=status.value == "maintenance",
                                  policy=settings.policy, now=now)
    session.commit()
    tickets.send_after_commit(session, change)
    summary.checked += 1
    summary.verdicts[result.verdict.value] = summary.verdicts.get(result.verdict.value, 0) + 1
    for code in result.fault_codes:
        summary.faults[code] = summary.faults.get(code, 0) + 1
    if change is not None and change.action == "open":
        summary.opened.append(change.ticket_id)
    if change is not None and change.action == "close":
        summary.closed.append(change.ticket_id)
    summary.lines.append(f"  camera {camera.id} {camera.name or ''}: {status.value}"
                         + (f" — {', '.join(result.fault_codes)}" if result.fault_codes else ""))


def _baseline(row: object) -> BandBaseline | None:
    stats = getattr(row, "stats", None)
    if row is None or stats is None:
        return None
    try:
        return BandBaseline.from_dict({"checks": getattr(row, "checks", 0), "stats": stats})
    except ValueError:
        logger.warning("camera %s: unreadable baseline, starting again",
                       getattr(row, "camera_id", "?"))
        return None


def _reference(row: object) -> Reference | None:
    png = getattr(row, "reference_png", None)
    cells = getattr(row, "reference_cells", None)
    if not png or not cells:
        return None
    gray = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        return None
    return Reference(np.asarray(gray, dtype=np.uint8), tuple(float(c) for c in cells))


THUMBNAIL_WIDTH = 480


def thumbnail(frame: np.ndarray) -> bytes | None:
    """The frame as a small JPEG (at most 480 pixels wide): what the faults layer and the
    camera's page show of the check. None when it cannot be encoded."""
    height, width = frame.shape[:2]
    if width > THUMBNAIL_WIDTH:
        frame = cv2.resize(frame, (THUMBNAIL_WIDTH, max(1, round(height * THUMBNAIL_WIDTH
                                                                  / width))),
                           interpolation=cv2.INTER_AREA)
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return bytes(buffer.tobytes()) if ok else None


def _png(gray: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", gray)
    if not ok:
        raise ValueError("the reference view could not be encoded")
    return bytes(buffer.tobytes())
