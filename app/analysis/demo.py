"""Incidents for the demo: with ``../shared/data`` beside the checkout, ``AREA=london`` loads
the Metropolitan Police burglary export (police.uk, 24 monthly CSV files) through the
ordinary importer — the same path as ``gridpatrol import incidents FOLDER`` — so the
analysis page opens on real data. Other areas have no export: their analysis page says
how to load one. Idempotent (a folder imported before is not read again).

The police.uk layout is recognised by its header and mapped as README "Crime analysis"
lists it: ``Crime ID`` → the source id, ``Month`` → the time (known to the month, local to
Europe/London), ``Longitude``/``Latitude`` → the point, ``Crime type`` → the source category
(police.uk table: "Burglary" → burglary), ``Location`` → the address. Rows without
coordinates or outside the demo area are refused and listed in ``instance/rejects/``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.analysis.import_incidents import IncidentImportSummary, import_incidents
from app.analysis.repository import import_of_files

SHARED_INCIDENTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "incidents"
DEMO_INCIDENTS = {"london": "london_burglary"}
"""The demo area → its incident export under ``../shared/data/incidents``."""


def demo_incidents_folder(area: str) -> Path | None:
    """The export the demo loads for ``area``, when the area has one and it is present."""
    name = DEMO_INCIDENTS.get(area)
    folder = SHARED_INCIDENTS / name if name else None
    return folder if folder is not None and folder.is_dir() else None


def ensure_demo_incidents(session: Session, area: str) -> str:
    """Import the area's incident export once; a line saying what happened."""
    folder = demo_incidents_folder(area)
    if folder is None:
        if area in DEMO_INCIDENTS:
            return (f"no incidents: {SHARED_INCIDENTS / DEMO_INCIDENTS[area]} is missing "
                    "(the analysis page says how to load an export)")
        return ("no incident export for this area (the analysis page says how to load "
                "one: gridpatrol import incidents FILE)")
    if import_of_files(session, [str(folder)]) is not None:
        return f"{folder.name} already imported"
    summary = import_incidents(session, [folder], reason=f"demo data (AREA={area})")
    session.commit()
    return describe(summary, folder)


def describe(summary: IncidentImportSummary, folder: Path) -> str:
    layouts = sorted({p or "mapped by hand" for p in summary.presets.values()})
    refused = ", ".join(f"{n:,} {why}" for why, n in sorted(summary.rejects_by_reason.items()))
    return (f"imported {folder.name} ({', '.join(layouts)} layout): {summary.read:,} rows "
            f"read, {summary.accepted:,} in the area" +
            (f"; refused {refused} (listed in {summary.rejects_path})" if refused else ""))
