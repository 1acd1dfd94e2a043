"""The words the evidence, coverage and placement scripts show, in the reader's language
(passed to them as JSON; the scripts put them on the page as text)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.labels import labels_of


def evidence_labels() -> dict[str, object]:
    return {
        "start": _("Start"), "destination": _("Destination"), "path": _("Way"),
        "pickStart": _("Click the place where it happened."),
        "pickTo": _("Click the destination."),
        "pickPath": _("Click the points of the way, in order (Esc: done)."),
        "points": _("%(n)s points", n="{n}"), "noStart": _("Set the place first."),
        "noPath": _("Draw the way with at least one more point."),
        "noTo": _("Set the destination."), "noTime": _("Give the time."),
        "noReason": _("Give the reason (it is audited)."),
        "badFile": _("The file is neither GPX nor GeoJSON."),
        "fileLoaded": _("%(name)s loaded.", name="{name}"),
        "working": _("Working out the cameras…"),
        "cameras": _("%(n)s cameras watch the way.", n="{n}"),
        "oneCamera": _("One camera watches the way."),
        "noCameras": _("No camera watches this way."),
        "saved": _("Saved as evidence plan %(id)s.", id="{id}"),
        "inCase": _("Filed in the case of %(case)s.", case="{case}"),
        "alert": _("alert %(id)s", id="{id}"), "incident": _("incident %(id)s", id="{id}"),
        "sheet": _("Printable plan"), "csv": _("CSV"),
        "order": _("No."), "camera": _("Camera"), "road": _("Road"),
        "window": _("Recording to pull"),
        "expected": _("expected %(first)s – %(last)s", first="{first}", last="{last}"),
        "seen": _("Sees"), "reason": _("Why"), "recording": _("Recording"),
        "open": _("Open recording"), "noRecording": _("no recording link"),
        "offline": _("offline"), "directionUnknown": _("direction unknown"),
        "metres": _("%(m)s m", m="{m}"), "error": _("Refused"),
        "cameraKinds": labels_of("camera_kind"),
    }


def network_labels() -> dict[str, object]:
    return {
        "coverage": _("Road seen per cell"), "blindRoads": _("Blind roads"),
        "blindHotspots": _("Blind hot spots"), "seenShare": _("Share of road seen"),
        "none": _("no road"), "roadKm": _("Road (km)"), "seenKm": _("Seen (km)"),
        "cameras": _("Cameras"), "incidents": _("Incidents"),
        "incidentsSeen": _("Incidents seen"), "name": _("Name"), "highway": _("Road class"),
        "lengthM": _("Length (m)"), "z": _("z-score"), "legend": _("Coverage"),
        "blindRoad": _("Road no camera sees"), "blindHotspot": _("Hot spot no camera sees"),
        "loading": _("Loading the layers…"),
        "loaded": _("%(roads)s blind road segments (%(km)s km), %(spots)s blind hot spots.",
                    roads="{roads}", km="{km}", spots="{spots}"),
        "roadsOf": _("Blind roads of %(area)s.", area="{area}"),
        "truncated": _("The longest %(n)s are drawn.", n="{n}"),
    }


def placement_labels() -> dict[str, object]:
    return {
        "proposed": _("Proposed cameras"), "greedy": _("Greedy pick"),
        "region": _("Region"), "order": _("No."), "kind": _("Kind"),
        "direction": _("Direction"), "gain": _("Gain"), "roadM": _("Road in view (m)"),
        "incidents": _("Incidents in view"), "allRound": _("all round"),
        "useView": _("The map view is now the box."), "title": _("Where to add cameras"),
    }

