"""The analyst's map: the own basemap with one hot-spot layer (Gi* or LISA choropleth,
emerging patterns, or the KDE surface as an image) and its legend."""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
import pyproj
from flask_babel import gettext as _
from markupsafe import Markup

from app.console.map import map_config
from app.labels import label, labels_of
from app.maps.offline import Call, Ref, offline_map, page_parts
from gis.hotspots import DensityRaster, EmergingPattern

Legend = tuple[str, list[tuple[str, str]]]  # title, [(colour, meaning)]: drawn as text
OUTLINE_MIN_PX = 40  # cells are outlined once this wide on screen (analysis.js)
GI_COLOURS = {-3: "#4575b5", -2: "#849eba", -1: "#c0ccbe", 0: "#ffffbf", 1: "#fab984",
              2: "#ed7551", 3: "#d62f27"}
LISA_COLOURS = {"HH": "#d7191c", "HL": "#fdae61", "LH": "#abd9e9", "LL": "#2c7bb6",
                "not significant": "#eeeeee"}
PATTERN_COLOURS = {
    EmergingPattern.NEW_HOT: "#ffb3b3", EmergingPattern.CONSECUTIVE_HOT: "#ff8080",
    EmergingPattern.INTENSIFYING_HOT: "#b30000", EmergingPattern.PERSISTENT_HOT: "#e60000",
    EmergingPattern.DIMINISHING_HOT: "#ff4d4d", EmergingPattern.SPORADIC_HOT: "#ffcccc",
    EmergingPattern.OSCILLATING_HOT: "#cc6666", EmergingPattern.HISTORICAL_HOT: "#d9a3a3",
    EmergingPattern.NEW_COLD: "#b3c6ff", EmergingPattern.CONSECUTIVE_COLD: "#809fff",
    EmergingPattern.INTENSIFYING_COLD: "#001a80", EmergingPattern.PERSISTENT_COLD: "#0033cc",
    EmergingPattern.DIMINISHING_COLD: "#4d79ff", EmergingPattern.SPORADIC_COLD: "#ccd9ff",
    EmergingPattern.OSCILLATING_COLD: "#6680cc", EmergingPattern.HISTORICAL_COLD: "#a3b3d9",
    EmergingPattern.NONE: "#eeeeee"}
# transparent → yellow → orange → red → dark red (the KDE surface)
_HEAT = np.array([[255, 255, 178], [254, 204, 92], [253, 141, 60], [240, 59, 32],
                  [189, 0, 38]], dtype=np.float64)


def kde_overlay(raster: DensityRaster) -> dict[str, Any]:
    """The KDE surface as the map draws it (a PNG data URL, its bounds, the legend): what
    a job keeps so its result page needs no raster."""
    image, bounds = density_image(raster)
    return {"image": image, "bounds": list(bounds), "legend": _heat_legend(raster)}


def analysis_map(answer: Any, collection: dict[str, Any], *,
                 online_tiles: dict[str, str] | None = None,
                 kde: dict[str, Any] | None = None) -> dict[str, Markup]:
    """Page parts of the map of one hot-spot answer (or a saved result's collection).

    The legend and the cell tooltips are drawn by ``GridPatrolMap`` as text nodes (a cell's
    code may be a name imported from a file), not by folium's HTML-string tooltip."""
    import folium

    method = collection["properties"]["method"]
    bounds = _bounds(collection)
    fmap = offline_map(location=[0, 0], zoom_start=2, control_scale=True, max_zoom=19)
    fmap.add_child(Call("GridPatrolMap.init", map_config(bounds, online_tiles=online_tiles)))
    tooltip_fields: list[str] = []
    if method == "kde" and kde is None and answer is not None and answer.raster is not None:
        kde = kde_overlay(answer.raster)
    if method == "kde" and kde is not None:
        image, (south, west, north, east) = kde["image"], kde["bounds"]
        layer = folium.raster_layers.ImageOverlay(
            image=image, bounds=[[south, west], [north, east]], opacity=0.75,
            name=_("Kernel density"), interactive=False)
        legend = (_("Incidents per km² (kernel density)"),
                  [(colour, text) for colour, text in kde["legend"]])
    else:
        style, tooltip_fields, legend = _choropleth(method, collection["properties"])
        layer = folium.GeoJson(
            collection, name=_layer_name(method), style_function=style,
            highlight_function=lambda _f: {"weight": 2.5, "color": "#000", "opacity": 1})
    fmap.add_child(layer)
    if tooltip_fields:
        fmap.add_child(Call("GridPatrolAnalysis.cellTooltips", Ref(layer),
                            [[f, label("cell_field", f)] for f in tooltip_fields],
                            {"bin": labels_of("gi_bin"), "quadrant": labels_of("lisa_quadrant"),
                             "pattern": labels_of("emerging_pattern")}, with_map=False))
        cell_m = (collection["properties"].get("params") or {}).get("cell_m") or 250
        fmap.add_child(Call("GridPatrolAnalysis.outlineWhenLarge", Ref(layer), cell_m,
                            OUTLINE_MIN_PX))
    fmap.add_child(Call("GridPatrolMap.addLegend", "hotspot-legend", *legend))
    fmap.add_child(Call("GridPatrolMap.addOverlay", Ref(layer), _layer_name(method),
                        "hotspotLayer", with_map=False))
    return page_parts(fmap)


def _layer_name(method: str) -> str:
    return {"gi_star": _("Gi* hot spots"), "lisa": _("Local Moran's I clusters"),
            "kde": _("Kernel density"), "emerging": _("Emerging hot spots")}[method]


def significance_note(summary: dict[str, Any]) -> str | None:
    """How the run decided significance, in words for the legend and the summary: where
    the p-values came from and whether they were FDR-corrected (None for KDE, and for
    results saved before the summary said it)."""
    significance = summary.get("significance")
    if not significance:
        return None
    fdr = bool(significance.get("fdr"))
    if significance.get("p_method") == "permutation":
        n = significance.get("permutations", 0)
        text = (_("Two-sided p-values from %(n)s permutations, FDR-corrected", n=n) if fdr
                else _("Two-sided p-values from %(n)s permutations, no FDR correction", n=n))
    else:
        text = (_("Two-sided p-values from z-scores (analytical), FDR-corrected") if fdr
                else _("Two-sided p-values from z-scores (analytical), no FDR correction"))
    alpha = significance.get("alpha")
    if alpha:
        level = f"{100 * (1 - alpha):g}%"
        text += " · " + _("confidence level %(level)s", level=level)
    return text


def _choropleth(method: str, summary: dict[str, Any]) -> tuple[Any, list[str], tuple[Any, ...]]:
    note = significance_note(summary)
    if method == "gi_star":
        bins = summary.get("bins") or {}
        legend = (_("Getis-Ord Gi*"),
                  [(GI_COLOURS[b], _counted(label("gi_bin", b), bins.get(str(b))))
                   for b in (3, 2, 1, 0, -1, -2, -3)], note)
        return (lambda f: _fill(GI_COLOURS.get(f["properties"]["bin"] or 0, "#fff"),
                                f["properties"]["bin"] == 0),
                ["code", "count", "z", "p", "p_fdr", "bin"], legend)
    if method == "lisa":
        quadrants = summary.get("quadrants") or {}
        legend = (_("Local Moran's I"),
                  [(LISA_COLOURS[k], _counted(label("lisa_quadrant", k), quadrants.get(k)))
                   for k in LISA_COLOURS], note)
        return (lambda f: _fill(LISA_COLOURS.get(f["properties"]["quadrant"], "#fff"),
                                f["properties"]["quadrant"] == "not significant"),
                ["code", "count", "i", "p", "quadrant"], legend)
    # seventeen patterns: the legend lists those the run found (all when it does not say)
    patterns = summary.get("patterns")
    legend = (_("Emerging hot-spot patterns"),
              [(c, _counted(label("emerging_pattern", p), (patterns or {}).get(p.value)))
               for p, c in PATTERN_COLOURS.items() if not patterns or p.value in patterns],
              note)
    return (lambda f: _fill(PATTERN_COLOURS.get(f["properties"]["pattern"], "#fff"),
                            f["properties"]["pattern"] == EmergingPattern.NONE),
            ["code", "count", "pattern", "trend_z", "trend_p"], legend)


def _counted(name: str, count: int | None) -> str:
    return name if count is None else f"{name} ({count:,})"


def _fill(colour: str, faint: bool) -> dict[str, Any]:
    """A cell's fill. No outline: at city scale thousands of outlines turn the map into
    graph paper; analysis.js outlines cells once they are large on screen, and the
    highlight outlines the cell under the pointer."""
    return {"fillColor": colour, "fillOpacity": 0.12 if faint else 0.7, "color": "#555",
            "weight": 0, "opacity": 0.7}


def density_image(raster: DensityRaster) -> tuple[str, tuple[float, float, float, float]]:
    """The density surface resampled onto a lon/lat grid (nearest cell) as a PNG data URL,
    and its (south, west, north, east) bounds: Leaflet stretches an image between bounds,
    so the picture must be in degrees, not in the raster's UTM metres."""
    density = raster.density_per_km2
    rows, cols = density.shape
    to_wgs84 = pyproj.Transformer.from_crs(raster.crs, 4326, always_xy=True)
    east_m = raster.west_m + cols * raster.cell_m
    south_m = raster.north_m - rows * raster.cell_m
    xs = np.array([raster.west_m, east_m, raster.west_m, east_m])
    ys = np.array([raster.north_m, raster.north_m, south_m, south_m])
    lons, lats = to_wgs84.transform(xs, ys)
    west, east, south, north = lons.min(), lons.max(), lats.min(), lats.max()
    lon_grid, lat_grid = np.meshgrid(np.linspace(west, east, cols),
                                     np.linspace(north, south, rows))
    x, y = to_wgs84.transform(lon_grid, lat_grid, direction="INVERSE")
    col = ((x - raster.west_m) // raster.cell_m).astype(int)
    row = ((raster.north_m - y) // raster.cell_m).astype(int)
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    values = np.zeros((rows, cols))
    values[inside] = density[row[inside], col[inside]]
    top = float(values.max()) or 1.0
    share = values / top
    position = share * (len(_HEAT) - 1)
    low = np.clip(np.floor(position).astype(int), 0, len(_HEAT) - 2)
    frac = (position - low)[..., None]
    rgb = _HEAT[low] * (1 - frac) + _HEAT[low + 1] * frac
    alpha = np.where(share < 0.02, 0, np.clip(80 + 175 * share, 0, 255))
    bgra = np.dstack([rgb[..., ::-1], alpha]).astype(np.uint8)
    ok, png = cv2.imencode(".png", bgra)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return ("data:image/png;base64," + base64.b64encode(png.tobytes()).decode("ascii"),
            (float(south), float(west), float(north), float(east)))


# Where each colour of the surface begins, as a share of the highest density: a pixel takes
# the colour of the nearest stop of _HEAT (stops at 0, ¼, ½, ¾ and 1 of the top), and below
# 2 % of the top nothing is drawn (density_image).
_HEAT_FROM = (0.875, 0.625, 0.375, 0.125, 0.02)


def _heat_legend(raster: DensityRaster) -> list[tuple[str, str]]:
    """The surface's colours, darkest first, each with the density it begins at. The
    numbers get as many decimals as it takes to tell them apart, and colours whose
    numbers still coincide (an empty surface) are merged: no two rows read the same."""
    top = float(raster.density_per_km2.max())
    colours = ["#" + "".join(f"{int(v):02x}" for v in c) for c in _HEAT[::-1]]
    texts = distinct_numbers([top * share for share in _HEAT_FROM])
    rows: list[tuple[str, str]] = []
    for colour, text in zip(colours, texts, strict=True):
        if not rows or not rows[-1][1].endswith(f" {text}"):
            rows.append((colour, f"≥ {text}"))
    return rows


def distinct_numbers(values: list[float], *, max_decimals: int = 6) -> list[str]:
    """``values`` written with thousands separators and the fewest decimals (0 to
    ``max_decimals``) that keep different values different and non-zero ones non-zero."""
    for decimals in range(max_decimals + 1):
        texts = [f"{v:,.{decimals}f}" for v in values]
        distinct = len(set(texts)) == len(set(values))
        zero = f"{0:.{decimals}f}"
        if distinct and all(t.lstrip("-") != zero or v == 0 for t, v in
                            zip(texts, values, strict=True)):
            return texts
    return [f"{v:,.{max_decimals}g}" for v in values]


def _bounds(collection: dict[str, Any]) -> tuple[float, float, float, float] | None:
    coords = [pt for f in collection.get("features", []) for pt in _points(f["geometry"])]
    if not coords:
        return None
    xs, ys = zip(*coords, strict=True)
    return (min(xs), min(ys), max(xs), max(ys))


def _points(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    def walk(node: Any) -> list[tuple[float, float]]:
        if node and isinstance(node[0], (int, float)):
            return [(float(node[0]), float(node[1]))]
        return [p for child in node for p in walk(child)]
    return walk(geometry.get("coordinates", []))

