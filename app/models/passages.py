"""Vehicle checkpoints (卡口) and their passage records, partitioned by day; uploads waiting
for their import job. Schema: migration 0022."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at_column


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


class Checkpoint(Base):
    """A checkpoint: its code in the checkpoint system (卡口编号), name, place and the
    directions it reads (as its records name them)."""

    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    directions: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), nullable=False,
                                                  server_default="{}")
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True),
                                             nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class Passage(Base):
    """One vehicle read by one checkpoint. Partitioned by day of ``passed_at`` (migration
    0022, ``app.db.partitions``): the primary key holds the partition key; a read is
    unique per checkpoint, time, lane and plate (a repeated import or feed batch adds
    nothing). ``plate`` is normalised and compared byte-wise (collation C), so a b-tree
    answers prefixes and a trigram index any part."""

    __tablename__ = "passages"
    __table_args__ = (
        sa.Index("uq_passages_read", "checkpoint_id", "passed_at", "lane", "plate",
                 unique=True, postgresql_nulls_not_distinct=True),
        sa.Index("ix_passages_plate_at", "plate", "passed_at"),
        sa.Index("ix_passages_plate_trgm", "plate", postgresql_using="gin",
                 postgresql_ops={"plate": "gin_trgm_ops"}),
        {"postgresql_partition_by": "RANGE (passed_at)"})

    id: Mapped[int] = mapped_column(
        sa.BigInteger, primary_key=True, autoincrement=True,
        server_default=sa.text("nextval('passages_id_seq')"))
    passed_at: Mapped[datetime] = mapped_column(_tz(), primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("checkpoints.id", ondelete="RESTRICT"), nullable=False)
    plate: Mapped[str] = mapped_column(sa.String(12, collation="C"), nullable=False)
    direction: Mapped[str | None] = mapped_column(sa.String(32))
    lane: Mapped[int | None] = mapped_column(sa.SmallInteger)
    vehicle_type: Mapped[str | None] = mapped_column(sa.String(32))
    vehicle_colour: Mapped[str | None] = mapped_column(sa.String(16))
    plate_colour: Mapped[str | None] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    """``import`` (a file) or ``feed`` (the checkpoint system's live batches)."""
    received_at: Mapped[datetime] = created_at_column()


class PassageUpload(Base):
    """A passage file posted for a background import, kept until its job has read it
    (deleted with the job)."""

    __tablename__ = "passage_uploads"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
