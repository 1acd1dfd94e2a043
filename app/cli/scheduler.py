"""``gridpatrol scheduler``: the process that runs timed jobs — the overdue-point check
(every minute), the camera health round (every ``GRIDPATROL_HEALTH_INTERVAL_S``), the
position history's partition maintenance (at start, then every 6 hours: months made
ahead, months past the retention dropped; as the schema owner) and the checkpoint
passages' (at start, then every hour: days made ahead, days past
``GRIDPATROL_PASSAGE_RETENTION_DAYS`` dropped, late rows filed into their day).

Jobs are kept in PostgreSQL (APScheduler's SQLAlchemy job store, table
``apscheduler_jobs``), so any number of scheduler processes share one schedule; each run
takes a transaction-scoped advisory lock and notices are unique per point and window, so
a job's work is done once even when two processes fire it at the same moment.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.cameras.health.checks import run_round
from app.db import engine, get_session, maintain_partitions, migration_database_url
from app.db.partitions import PASSAGES, PartitionRun
from app.planning.overdue import check_overdue

logger = logging.getLogger(__name__)
JOB_ID = "overdue-check"
PARTITIONS_JOB_ID = "position-partitions"
HEALTH_JOB_ID = "camera-health"
PASSAGES_JOB_ID = "passage-partitions"
PARTITIONS_EVERY_H = 6
PASSAGES_EVERY_H = 1
_APP: Flask | None = None


def _job_app() -> Flask:
    if _APP is not None:
        return _APP
    from app import create_app

    return create_app()


def overdue_job() -> None:
    """The stored job (by reference ``app.cli.scheduler:overdue_job``)."""
    app = _job_app()
    with app.app_context():
        notices = check_overdue(get_session(), datetime.now(UTC))
        if notices:
            logger.info("overdue check: %d notices", len(notices))


def health_job() -> None:
    """The stored job (by reference ``app.cli.scheduler:health_job``)."""
    summary = run_round(_job_app())
    logger.info("%s", summary.describe())


def partitions_job() -> None:
    """The stored job (by reference ``app.cli.scheduler:partitions_job``)."""
    maintain_position_history(_job_app(), datetime.now(UTC))


def passages_job() -> None:
    """The stored job (by reference ``app.cli.scheduler:passages_job``)."""
    maintain_passage_history(_job_app(), datetime.now(UTC))


def maintain_passage_history(app: Flask, now: datetime) -> PartitionRun:
    """The passages' daily partitions, as the schema owner: the retention kept by DROP."""
    return maintain_partitions(migration_database_url(app), now=now, history=PASSAGES,
                               retention_days=app.config["PASSAGE_RETENTION_DAYS"])


def maintain_position_history(app: Flask, now: datetime) -> PartitionRun:
    """Partition maintenance as the schema owner (DDL: the app role may not)."""
    return maintain_partitions(migration_database_url(app), now=now,
                               retention_days=app.config["POSITION_RETENTION_DAYS"])


def make_scheduler(app: Flask, *, interval_s: int, blocking: bool = True) -> Any:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    store = SQLAlchemyJobStore(engine=engine(app), tablename="apscheduler_jobs")
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(jobstores={"default": store}, timezone=UTC,
                     job_defaults={"coalesce": True, "max_instances": 1,
                                   "misfire_grace_time": interval_s})
    scheduler.add_job("app.cli.scheduler:overdue_job", "interval", seconds=interval_s,
                      id=JOB_ID, replace_existing=True)
    health_every = int(app.config["HEALTH_INTERVAL_S"])
    scheduler.add_job("app.cli.scheduler:health_job", "interval", seconds=health_every,
                      id=HEALTH_JOB_ID, replace_existing=True,
                      misfire_grace_time=health_every)
    scheduler.add_job("app.cli.scheduler:partitions_job", "interval", hours=PARTITIONS_EVERY_H,
                      id=PARTITIONS_JOB_ID, replace_existing=True,
                      next_run_time=datetime.now(UTC), misfire_grace_time=None)
    scheduler.add_job("app.cli.scheduler:passages_job", "interval", hours=PASSAGES_EVERY_H,
                      id=PASSAGES_JOB_ID, replace_existing=True,
                      next_run_time=datetime.now(UTC), misfire_grace_time=None)
    return scheduler


@click.command("scheduler")
@click.option("--interval-s", type=click.IntRange(10, 3600), default=60, show_default=True,
              help="How often the overdue check runs.")
@click.option("--once", is_flag=True,
              help="Run the overdue check, a camera health round and the partition "
                   "maintenance (positions, passages) once now and exit.")
@click.option("--now", "now_text", default=None,
              help="With --once: judge as of this ISO instant (testing, replays).")
@with_appcontext
def scheduler(interval_s: int, once: bool, now_text: str | None) -> None:
    """Run timed jobs: warn units about must-visit points whose window is closing; check
    every camera's health; keep the position history's monthly partitions and the
    checkpoint passages' daily ones (the retention of each kept by dropping them)."""
    global _APP
    if once:
        now = datetime.fromisoformat(now_text) if now_text else datetime.now(UTC)
        if now.tzinfo is None:
            raise click.BadParameter("--now needs a UTC offset", param_hint="--now")
        notices = check_overdue(get_session(), now)
        click.echo(f"overdue notices: {len(notices)}")
        for notice in notices:
            click.echo(f"  {notice['message']}")
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        click.echo(run_round(app, now=now).describe())
        click.echo(maintain_position_history(app, now).describe())
        click.echo(maintain_passage_history(app, now).describe())
        return
    _APP = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"scheduler: overdue check every {interval_s} s, camera health every "
               f"{_APP.config['HEALTH_INTERVAL_S']} s, position partitions every "
               f"{PARTITIONS_EVERY_H} h, passage partitions every {PASSAGES_EVERY_H} h "
               "(Ctrl+C stops)")
    make_scheduler(_APP, interval_s=interval_s).start()
