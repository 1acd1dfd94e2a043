"""``gridpatrol import boundary``: area polygons (counties, police-station districts).

An OSM import without boundaries creates a placeholder area (kind ``extent``) around the
roads, and patrol grids, cameras, incidents, stations and units may be built on it. The
real boundaries replace it without orphaning anything: every row that referred to an
extent (or to no area yet, such as cameras from OSM) moves to the smallest imported area
covering it (a grid cell by its inner point, a
unit's home area to the imported area overlapping the extent most), and an extent is
removed only when nothing refers to it any more. One that is still referred to (cells
outside every imported polygon) stays, and the summary says by what.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy.orm import Session

from app import audit
from app.errors import InvalidValue
from app.geography.datum import checked_datum
from app.geography.repository.areas import upsert_areas
from dispatch.tabular import UnreadableText, decode_text
from gis.datums import frame_to_wgs84
from runtime.text import SNIFFED_BYTES, utf16_codec

NAME_CANDIDATES = ("name", "NAME", "Name", "name_zh", "名称")


@dataclass
class BoundaryResult:
    created: int = 0
    updated: int = 0
    rejected: list[str] = field(default_factory=list)
    reattached: dict[str, int] = field(default_factory=dict)
    """Rows moved to an imported area from a placeholder extent or from none, per table."""
    extents_kept: dict[str, dict[str, int]] = field(default_factory=dict)
    """Placeholder extents still referred to, with the rows per table that keep them."""


def read_areas(path: Path, *, name_field: str | None,
               datum: str = "wgs84") -> tuple[gpd.GeoDataFrame, list[str]]:
    """Valid polygon rows in EPSG:4326 with a ``name``; and the rejected rows with reasons.
    The file's degrees (after its CRS is undone) are in ``datum`` (wgs84, gcj02, bd09)."""
    if not path.is_file():
        raise InvalidValue(f"{path}: no such file", field="file")
    try:
        frame = gpd.read_file(_source(path))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        why = str(exc).replace(str(path), path.name).split(";")[0].rstrip(".")
        raise InvalidValue(f"{path}: not a readable GeoJSON, GeoPackage or Shapefile ({why})",
                            field="file") from None
    if not isinstance(frame, gpd.GeoDataFrame):  # a CSV, say: a table without geometry
        raise InvalidValue(f"{path}: the file has no geometry; use GeoJSON, GeoPackage or "
                           "Shapefile polygons", field="file")
    if frame.empty:
        raise InvalidValue(f"{path}: the file holds no features", field="file")
    if frame.crs is None:
        raise InvalidValue(f"{path}: the file has no coordinate reference system",
                            field="crs")
    field_name = name_field or next((c for c in NAME_CANDIDATES if c in frame.columns), None)
    if field_name is None or field_name not in frame.columns:
        text_columns = [c for c in frame.columns
                        if c != "geometry" and pd.api.types.is_string_dtype(frame[c])]
        wanted = repr(name_field) if name_field else "(looked for " + ", ".join(
            NAME_CANDIDATES) + ")"
        raise InvalidValue(f"{path}: no name field {wanted}; text columns are "
                            f"{', '.join(text_columns) or 'none'} (use --name-field)",
                            field="name_field")
    frame = frame_to_wgs84(frame, datum=datum)
    rejected: list[str] = []
    keep = []
    seen: set[str] = set()
    for index, row in frame.iterrows():
        label = f"row {index + 1}"
        name = str(row[field_name]).strip() if row[field_name] is not None else ""
        geometry = row.geometry
        if not name or name == "nan":
            rejected.append(f"{label}: empty {field_name}")
        elif name in seen:
            rejected.append(f"{label}: duplicate name {name!r}")
        elif geometry is None or geometry.is_empty:
            rejected.append(f"{label} ({name}): no geometry")
        elif geometry.geom_type not in ("Polygon", "MultiPolygon"):
            rejected.append(f"{label} ({name}): a {geometry.geom_type}, not a polygon")
        else:
            if not geometry.is_valid:
                geometry = shapely.make_valid(geometry)
                polygons = [g for g in getattr(geometry, "geoms", [geometry])
                            if g.geom_type in ("Polygon", "MultiPolygon")]
                geometry = shapely.union_all(polygons) if polygons else None
            if geometry is None or geometry.is_empty:
                rejected.append(f"{label} ({name}): invalid polygon")
                continue
            seen.add(name)
            keep.append({"name": name, "geometry": shapely.MultiPolygon(
                [geometry] if geometry.geom_type == "Polygon" else list(geometry.geoms))})
    if not keep:
        raise InvalidValue(f"{path}: no usable polygon ({'; '.join(rejected[:5])})",
                            field="file")
    return gpd.GeoDataFrame(keep, geometry="geometry", crs=4326), rejected


def _source(path: Path) -> Path | io.BytesIO:
    """What GDAL reads: the file, or for a GeoJSON file in UTF-16 its UTF-8 text."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return path
    if utf16_codec(path.read_bytes()[:SNIFFED_BYTES]) is None:
        return path
    try:
        text, _ = decode_text(path.read_bytes())
    except UnreadableText as exc:
        raise InvalidValue(f"{path}: {exc}", field="file") from None
    return io.BytesIO(text.encode("utf-8"))


def import_boundary(session: Session, path: Path, *, name_field: str | None = None,
                    kind: str = "area", reason: str | None = None,
                    datum: str = "wgs84") -> BoundaryResult:
    areas, rejected = read_areas(path, name_field=name_field, datum=checked_datum(datum))
    result = BoundaryResult(rejected=rejected)
    (result.created, result.updated, result.reattached,
     result.extents_kept) = upsert_areas(session, areas, kind=kind)
    audit.record(session, "import.boundary", object_type="file", object_id=path.name,
                 reason=reason, details={"created": result.created, "updated": result.updated,
                                         "datum": datum,
                                         "rejected": rejected[:50],
                                         "reattached": result.reattached,
                                         "extents_kept": result.extents_kept})
    return result
