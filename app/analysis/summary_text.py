"""An incident import's summary as lines of text, for the command line.

The hour-of-day histogram is drawn with bars scaled to the busiest hour, so a pile of
incidents at 00:00 (times lost on the way in) is seen before anyone analyses them.
"""

from __future__ import annotations

from app.analysis.import_incidents import IncidentImportSummary

BAR_WIDTH = 40
UNMAPPED_SHOWN = 15


def hour_lines(hours: list[int]) -> list[str]:
    """One line per hour: ``  00  ████████        1,234``; nothing when no row has a time."""
    total = sum(hours)
    if not total:
        return []
    top = max(hours)
    lines = [f"  incidents per hour of day (local time, {total:,} with a time of day):"]
    for hour, count in enumerate(hours):
        bar = "█" * round(BAR_WIDTH * count / top) if top else ""
        lines.append(f"    {hour:02d}  {bar:<{BAR_WIDTH}} {count:>8,}")
    return lines


def summary_lines(summary: IncidentImportSummary, *, files: int) -> list[str]:
    """What ``gridpatrol import incidents`` prints after a run."""
    lines = [f"incidents from {files} path(s) as source {summary.source!r}: "
             f"{summary.read:,} read, {summary.accepted:,} accepted, "
             f"{summary.rejected:,} rejected",
             f"  written: {summary.inserted:,} new, {summary.updated:,} updated, "
             f"{summary.unchanged:,} unchanged"]
    if summary.datum != "wgs84":
        lines.append(f"  coordinates read as {summary.datum}, stored as WGS-84")
    for why, count in sorted(summary.rejects_by_reason.items()):
        lines.append(f"  rejected {count:,}: {why}")
        lines += [f"    e.g. {example}" for example in summary.examples.get(why, [])]
    if not summary.areas_checked:
        lines.append("  no areas yet: rows were not checked against the jurisdiction")
    lines += [f"  time: {note}" for note in summary.time_notes]
    lines.append("  time resolution: " + ", ".join(
        f"{name} {count:,}" for name, count in sorted(summary.resolutions.items())))
    lines += hour_lines(summary.hours)
    lines.append("  categories:")
    lines += [f"    {category:<22} {count:>8,}" for category, count in
              sorted(summary.categories.items(), key=lambda kv: -kv[1])]
    if summary.category_map:
        lines.append(f"  category map: {summary.category_map} entries stored for "
                     f"{summary.source!r}; {summary.reclassified:,} incidents of earlier "
                     "imports re-classified")
    if summary.ruled_categories:
        shown = list(summary.ruled_categories.items())[:UNMAPPED_SHOWN]
        lines.append(f"  mapped by keyword rule ({len(summary.ruled_categories)} values): "
                     + ", ".join(f"{value} → {code} ({count:,})"
                                 for value, (code, count) in shown)
                     + (", …" if len(summary.ruled_categories) > UNMAPPED_SHOWN else ""))
    if summary.unknown_categories:
        unmapped = list(summary.unknown_categories.items())
        lines.append(f"  unmapped source categories, filed as 'other' ({len(unmapped)}): "
                     + ", ".join(f"{value} ({count:,})"
                                 for value, count in unmapped[:UNMAPPED_SHOWN])
                     + (", …" if len(unmapped) > UNMAPPED_SHOWN else ""))
        if summary.unmapped_path:
            lines.append(f"  to map them, fill in the category column of "
                         f"{summary.unmapped_path} and import again with --category-map "
                         "FILE (or use Crime analysis → Categories)")
    if summary.rejects_path:
        lines.append(f"  rejects with their reasons: {summary.rejects_path}")
    return lines
