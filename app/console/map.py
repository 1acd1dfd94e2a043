"""The console's map: the jurisdiction's own vector basemap and the operational layers."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.labels import labels_of
from app.maps.offline import Call, offline_map, page_parts


def console_map(bounds: tuple[float, float, float, float] | None, *,
                online_tiles: dict[str, str] | None = None, can_edit_grids: bool = False,
                csrf_token: str = "", dispatch: dict[str, Any] | None = None,
                home: dict[str, Any] | None = None, view_key: str | None = None,
                findings: dict[str, Any] | None = None,
                faults: bool = False) -> dict[str, Markup]:
    """Parts of the console map page. ``bounds`` is (west, south, east, north) in WGS-84;
    ``home`` the area to open on ({name, bounds}); ``view_key`` where the browser keeps
    this user's last view; ``findings`` the video findings layer's config (for those who
    may read findings); ``faults``: offer the camera faults layer."""
    fmap = offline_map(location=[0, 0], zoom_start=2, control_scale=True,
                       prefer_canvas=True, max_zoom=19)
    config = map_config(bounds, online_tiles=online_tiles, can_edit_grids=can_edit_grids,
                        csrf_token=csrf_token, home=home, view_key=view_key)
    config.update(labelsUrl="/api/v1/labels", camerasOn=True, coords=True)
    fmap.add_child(Call("GridPatrolMap.init", config))
    if faults:  # the camera faults as an overlay, off at first (app/video/map.py)
        from app.video.map import faults_config

        fmap.add_child(Call("GridPatrolFaults.init", faults_config({}, overlay_only=True)))
    if dispatch is not None:
        fmap.add_child(Call("GridPatrolDispatch.init", dispatch_config(csrf_token, **dispatch),
                            with_map=False))
    if findings is not None:
        fmap.add_child(Call("GridPatrolFindings.init", findings))
    return page_parts(fmap)


def _corners(bounds: tuple[float, float, float, float] | None) -> list[list[float]] | None:
    return None if bounds is None else [[bounds[1], bounds[0]], [bounds[3], bounds[2]]]


def map_config(bounds: tuple[float, float, float, float] | None, *,
               online_tiles: dict[str, str] | None = None, can_edit_grids: bool = False,
               csrf_token: str = "", home: dict[str, Any] | None = None,
               view_key: str | None = None) -> dict[str, Any]:
    """What ``GridPatrolMap.init`` needs: the own basemap, layers, search, labels."""
    locale = get_locale()
    return {
        "tiles": "/api/v1/tiles/{z}/{x}/{y}.pbf",
        # fitted without animation in GridPatrolMap.init, so no late zoom overrides a view
        "bounds": _corners(bounds),
        "home": None if home is None else {"name": home["name"],
                                           "bounds": _corners(home["bounds"])},
        "viewKey": view_key,
        # street names and cameras on by default: the console's (other maps may opt in)
        "labelsUrl": None, "camerasOn": False,
        "language": "zh" if locale is not None and locale.language == "zh" else "en",
        "layers": {
            "areas": "/api/v1/areas", "grids": "/api/v1/grids",
            "pois": "/api/v1/pois", "cameras": "/api/v1/cameras",
        },
        "search": "/api/v1/search",
        "online": online_tiles,
        "canEditGrids": can_edit_grids,
        "csrf": csrf_token,
        "labels": {
            "basemap": _("Basemap (own data)"), "areas": _("Areas"), "grids": _("Patrol grids"),
            "pois": _("Points of interest"), "cameras": _("Cameras"),
            "search": _("Search street or place"), "online": _("Online tiles"),
            "noResults": _("Nothing found"), "gridName": _("Name"),
            "assignedTo": _("Assigned to"), "reason": _("Reason"), "save": _("Save"),
            "home": _("Home"), "homeTitle": _("Back to the home area (H)"),
            "poiKinds": labels_of("poi_kind"),
            "coords": coords_labels(),
        },
    }


def coords_labels() -> dict[str, Any]:
    """The words of the coordinate box (console-coords.js)."""
    return {
        "placeholder": _("lon, lat — e.g. 116.397, 39.909"),
        "input": _("Coordinates to go to"), "datum": _("Datum of the coordinates"),
        "datums": {"wgs84": _("WGS-84 (GPS, Tianditu)"), "gcj02": _("GCJ-02 (AMap, Tencent)"),
                   "bd09": _("BD-09 (Baidu)")},
        "go": _("Go"),
        "bad": _("Write the longitude and the latitude as two numbers, e.g. 116.397, 39.909."),
        "clickHint": _("Click the map to read a place in the datum chosen."),
        "clicked": _("Clicked:"), "given": _("Given"),
        "swapped": _("read as latitude, longitude"),
    }


def dispatch_config(csrf_token: str, *, can_dispatch: bool, can_edit_cameras: bool,
                    can_read_radio: bool, can_read_alarms: bool = False,
                    can_watch_live: bool = False) -> dict[str, Any]:
    """Endpoints, rights and translated labels of the dispatch panel."""
    from app.video.labels import live_player
    from dispatch.cameras import CameraKind
    from dispatch.delivery import DeliveryState
    from dispatch.recommend import UnitKind
    from dispatch.status import UnitStatus

    locale = get_locale()
    zh = locale is not None and locale.language == "zh"
    return {
        "zh": zh,
        "csrf": csrf_token, "canDispatch": can_dispatch, "canEditCameras": can_edit_cameras,
        "live": live_player(allowed=can_watch_live),
        "api": {"units": "/api/v1/units", "alerts": "/api/v1/alerts",
                "cameras": "/api/v1/cameras", "events": "/api/v1/events",
                "radio": "/api/v1/radio-log" if can_read_radio else None,
                "orders": "/api/v1/orders",
                "alarms": "/api/v1/alarms" if can_read_alarms else None},
        "deliveries": {s.value: s.label_zh if zh else s.label_en for s in DeliveryState},
        "orderKinds": {"dispatch_order": _("order"), "cancel": _("cancellation"),
                       "patrol_plan": _("patrol route"), "overdue": _("overdue warning"),
                       "text": _("text")},
        "statuses": {s.value: s.label_zh if zh else s.label_en for s in UnitStatus},
        "kinds": {k.value: k.label_zh if zh else k.label_en for k in UnitKind},
        "cameraKinds": {k.value: k.label_zh if zh else k.label_en for k in CameraKind},
        "cameraStatuses": labels_of("camera_status"),
        "levels": {"red": _("red"), "orange": _("orange"), "yellow": _("yellow")},
        # an alert's kind is free text: the known codes by label, any other as typed
        "alertKinds": labels_of("alert_kind"), "alertStatuses": labels_of("alert_status"),
        "events": {"raised": _("raised"), "cameras_called_up": _("cameras called up"),
                   "units_recommended": _("units recommended"), "dispatched": _("dispatched"),
                   "acknowledged": _("acknowledged"), "arrived": _("arrived"),
                   "cleared": _("cleared"), "closed": _("closed"),
                   "cancelled": _("cancelled"), "radio_call": _("radio call")},
        "labels": {
            "raiseAlert": _("Raise alert"), "raise": _("Raise"), "level": _("Level"),
            "kind": _("Kind"), "description": _("Description"), "covert": _("Covert"),
            "pickPlace": _("Click the place of the alert on the map (Esc cancels)."),
            "alert": _("Alert"), "status": _("Status"), "closeAlert": _("Close alert"),
            "assigned": _("Assigned"), "unitsTitle": _("Nearest suitable units"),
            "camerasSee": _("Cameras that see the place"),
            "camerasEscape": _("Cameras on the ways out"),
            "camerasNearby": _("Other cameras nearby"), "timeline": _("Timeline"),
            "none": _("None"), "dispatch": _("Dispatch"), "stale": _("stale position"),
            "offline": _("Camera offline"), "snapshotOf": _("Snapshot of camera"),
            "radioLog": _("Radio log"), "units": _("Units"), "alerts": _("Alerts"),
            "aim": _("Aim camera"), "aimHandle": _("Drag to set direction and range"),
            "angleHandle": _("Drag to set the field of view"), "save": _("Save"),
            "cancel": _("Cancel"), "directionUnknown": _("direction unknown"),
            "openAlerts": _("Open alerts"), "newAlert": _("new"), "camera": _("Camera"),
            "orders": _("Orders sent"), "alarms": _("Alarms"), "sendAgain": _("Send again"),
            "seen": _("Seen"), "sentTimes": _("sent %(n)s times", n="%(n)s"),
            "recording": _("Recording of the call"),
            "speed": _("Speed"), "course": _("Course"), "lastFix": _("Last fix"),
            "kmh": _("%(n)s km/h", n="%(n)s"),
            "secondsAgo": _("%(n)s s ago", n="%(n)s"),
            "minutesAgo": _("%(n)s min ago", n="%(n)s"),
            "hoursAgo": _("%(n)s h ago", n="%(n)s"),
            "daysAgo": _("%(n)s d ago", n="%(n)s"),
            # eight compass points, clockwise from north, 45° apart
            "compass": [_("N"), _("NE"), _("E"), _("SE"), _("S"), _("SW"), _("W"), _("NW")],
            "keys": _("Keys: A raise alert · 1–9 dispatch unit · Shift+C close alert · "
                      "L radio log · Esc cancel"),
        },
    }
