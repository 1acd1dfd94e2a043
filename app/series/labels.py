"""The words the series scripts show, in the reader's language (passed to them as JSON;
the scripts put them on the page as text)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.labels import labels_of


def builder_labels() -> dict[str, object]:
    return {
        "found": _("%(listed)s of %(matched)s matching incidents shown.", listed="{listed}",
                   matched="{matched}"),
        "none": _("No incident matches."), "loading": _("Looking…"),
        "selected": _("%(n)s selected", n="{n}"), "name": _("Give the series a name."),
        "empty": _("Pick at least one incident (click it on the map or tick it)."),
        "saved": _("Series kept."), "error": _("Refused"),
        "time": _("Occurred"), "category": _("Category"), "description": _("Description"),
        "address": _("Address"), "pick": _("In the series"),
    }


def view_labels() -> dict[str, object]:
    return {
        "incidents": _("Incidents"), "ellipse": _("Standard deviational ellipse"),
        "centre": _("Mean centre"), "corridors": _("Corridors"),
        "cameras": _("Corridor cameras"), "camera": _("Camera"),
        "hours": _("Hours that matter"), "road": _("Road"),
        "corridor": _("Corridor %(from)s → %(to)s", **{"from": "{from}", "to": "{to}"}),
        "km": _("%(km)s km, %(min)s min by car", km="{km}", min="{min}"),
        "working": _("Making the points…"),
        "made": _("%(n)s temporary must-visit points, in effect until %(until)s.", n="{n}",
                  until="{until}"),
        "error": _("Refused"), "noReason": _("Give the reason (it is audited)."),
        "touring": _("Making the tour…"),
        "tourMade": _("Tour “%(name)s” made. Cameras: %(n)s; left out (no stream, offline or "
                      "in maintenance): %(left)s.", name="{name}", n="{n}", left="{left}"),
        "openWall": _("Open the wall"),
        "weekdays": labels_of("weekday"),
    }
