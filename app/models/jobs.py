"""Background jobs: long work (plans, near repeat, hot spots) queued in PostgreSQL and run
by ``gridpatrol jobs worker``. The table is the queue and the record alike: its state,
progress, message and result are what ``GET /api/v1/jobs/ID`` shows. Schema: migration
0012."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


class Job(Base):
    """One piece of long work: what to do (``kind``, ``params``), who asked, how far it got
    and what came of it."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'cancelled')",
                           name="ck_jobs_state"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_jobs_progress"),
        sa.Index("ix_jobs_state_id", "state", "id"),
        sa.Index("ix_jobs_requested_by", "requested_by", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False,
                                       server_default="queued")
    progress: Mapped[float] = mapped_column(sa.Float, nullable=False, server_default="0")
    message: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="")
    # the message's template and arguments (runtime.notes.Note), for the reader's language
    message_note: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    result: Mapped[Any | None] = mapped_column(JSONB)
    result_url: Mapped[str | None] = mapped_column(sa.Text)
    page_url: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    requested_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    requested_by_name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean, nullable=False,
                                                   server_default=sa.false())
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(64))
    worker: Mapped[str | None] = mapped_column(sa.String(128))
    worker_key: Mapped[int | None] = mapped_column(sa.BigInteger)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(_tz())
    heartbeat_at: Mapped[datetime | None] = mapped_column(_tz())
    finished_at: Mapped[datetime | None] = mapped_column(_tz())


class JobFile(Base):
    """A file a job was given — an upload, stored in the database with the job so any
    worker on any node can read it — kept until the job finishes (a trigger deletes a
    job's files when its state becomes done, failed or cancelled). Schema: migration
    0017."""

    __tablename__ = "job_files"
    __table_args__ = (sa.UniqueConstraint("job_id", "role", "name", name="uq_job_files_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                                        nullable=False)
    role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    """What the file is to the job (an incident import: ``files``, ``category_map``)."""
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
