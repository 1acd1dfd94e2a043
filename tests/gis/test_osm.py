"""Reading OSM files: tags to values, junction splitting, bad files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gis.osm import OsmReader, OsmReadError, read_osm
from gis.osm_tags import oneway_direction, parse_direction_deg, parse_metres, parse_speed_kmh
from tests.conftest import ROOT, run_fresh

SHARED = ROOT.parent / "shared" / "data" / "osm"

# A tiny hand-made extract: a two-way street A-B-C crossed at B by a one-way street
# D-B-E drawn against its direction (oneway=-1), a camera facing NE, a school, a building.
SMALL_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" lat="60.1700" lon="24.9400"/>
  <node id="2" lat="60.1700" lon="24.9420"/>
  <node id="3" lat="60.1700" lon="24.9440"/>
  <node id="4" lat="60.1690" lon="24.9420"/>
  <node id="5" lat="60.1710" lon="24.9420"/>
  <node id="6" lat="60.1705" lon="24.9405">
    <tag k="man_made" v="surveillance"/><tag k="surveillance:type" v="camera"/>
    <tag k="camera:direction" v="NE"/><tag k="camera:type" v="dome"/><tag k="height" v="5 m"/>
  </node>
  <node id="7" lat="60.1695" lon="24.9430">
    <tag k="amenity" v="school"/><tag k="name" v="Koulu"/><tag k="name:zh" v="学校"/>
  </node>
  <node id="10" lat="60.1702" lon="24.9402"/><node id="11" lat="60.1702" lon="24.9406"/>
  <node id="12" lat="60.1704" lon="24.9406"/><node id="13" lat="60.1704" lon="24.9402"/>
  <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="Main St"/>
    <tag k="name:zh" v="主街"/><tag k="maxspeed" v="30 mph"/></way>
  <way id="101"><nd ref="4"/><nd ref="2"/><nd ref="5"/>
    <tag k="highway" v="tertiary"/><tag k="oneway" v="-1"/><tag k="name" v="Side St"/></way>
  <way id="102"><nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="10"/>
    <tag k="building" v="yes"/><tag k="building:levels" v="3"/></way>
</osm>
"""


@pytest.fixture
def small_osm(tmp_path: Path) -> Path:
    path = tmp_path / "small.osm"
    path.write_text(SMALL_OSM)
    return path


def test_tag_parsing() -> None:
    assert parse_speed_kmh("50") == 50
    assert parse_speed_kmh("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_speed_kmh("DE:urban") == 50
    assert parse_speed_kmh("signals") is None
    assert parse_direction_deg("NE") == 45
    assert parse_direction_deg("SSW") == 202.5
    assert parse_direction_deg("350-10") == 0
    assert parse_direction_deg("90;180") == 90
    assert parse_direction_deg("up") is None
    assert parse_metres("5 m") == 5
    assert parse_metres("10'") == pytest.approx(3.048)
    assert oneway_direction({"oneway": "-1"}) == -1
    assert oneway_direction({"highway": "primary", "junction": "roundabout"}) == 1
    assert oneway_direction({"highway": "motorway", "oneway": "no"}) == 0


def test_reads_a_small_xml_file(small_osm: Path) -> None:
    extract = read_osm(small_osm)
    assert extract.counts() == {"roads": 2, "road_edges": 4, "buildings": 1, "pois": 1,
                                "cameras": 1, "landcover": 0}
    main = extract.roads.set_index("osm_id").loc[100]
    assert (main["name_zh"], main["speed_kmh"]) == ("主街", pytest.approx(48.28, abs=0.01))
    edges = extract.road_edges.set_index(["osm_way_id", "seq"])
    # the two-way street is split at the junction B (node 2)
    assert (edges.loc[(100, 0), "u"], edges.loc[(100, 0), "v"]) == (1, 2)
    assert not edges.loc[(100, 0), "oneway"]
    # oneway=-1 is stored in its legal direction: 5 → 2 → 4
    assert [(edges.loc[(101, s), "u"], edges.loc[(101, s), "v"]) for s in (0, 1)] == [
        (5, 2), (2, 4)]
    assert edges.loc[(101, 0), "oneway"]
    # 0.001° of latitude is about 111.4 m at 60°N
    assert edges.loc[(101, 0), "length_m"] == pytest.approx(111.4, rel=0.01)
    camera = extract.cameras.iloc[0]
    assert (camera["direction_deg"], camera["camera_type"], camera["height_m"]) == (
        45.0, "dome", 5.0)
    assert extract.pois.iloc[0]["kind"] == "school"
    assert extract.buildings.iloc[0]["levels"] == 3


def test_truncated_and_corrupt_files_raise(tmp_path: Path) -> None:
    whole = (SHARED / "porto.osm.pbf").read_bytes()
    truncated = tmp_path / "porto-truncated.osm.pbf"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(OsmReadError, match="not a readable OSM file"):
        read_osm(truncated)
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"\x00\x01 this is not OSM data" * 100)
    with pytest.raises(OsmReadError, match="not a readable OSM file"):
        read_osm(garbage)
    broken_xml = tmp_path / "broken.osm"
    broken_xml.write_text(SMALL_OSM[:900])
    with pytest.raises(OsmReadError):
        read_osm(broken_xml)
    with pytest.raises(OsmReadError, match="no such file"):
        read_osm(tmp_path / "missing.osm.pbf")


def test_real_extracts_have_what_the_data_readme_says() -> None:
    london = read_osm(SHARED / "london-central.osm.pbf")
    assert int(london.roads["drivable"].sum()) == 1184  # "~870 drivable ways" + links/service
    assert len(london.buildings) == 2155  # README: 2,154 buildings (+1 multipolygon)
    assert (london.cameras["osm_key"].str[0] == "n").sum() == 22  # README: 22 cameras
    porto = read_osm(SHARED / "porto.osm.pbf")
    assert porto.cameras["direction_deg"].notna().sum() == 3  # README: 3 with a direction


def _same_frames(first: gpd.GeoDataFrame, second: gpd.GeoDataFrame) -> None:
    assert list(first.columns) == list(second.columns)
    pd.testing.assert_frame_equal(first.to_wkb().reset_index(drop=True),
                                  second.to_wkb().reset_index(drop=True), check_dtype=False)


def test_roads_handed_on_in_batches_are_the_roads_read() -> None:
    reader = OsmReader(SHARED / "london-central.osm.pbf")
    batches: list[gpd.GeoDataFrame] = []
    streamed = reader.ways(on_roads=batches.append, batch=700)
    assert [len(b) for b in batches] == [700, 700, 700, 700, 329]
    plain = reader.ways()
    _same_frames(pd.concat(batches), plain.roads)
    _same_frames(streamed.roads, plain.roads)
    _same_frames(streamed.road_edges, plain.road_edges)


def test_areas_read_in_a_forked_process_equal_those_read_here() -> None:
    out = run_fresh(f"""
        import multiprocessing
        from tests.gis.test_osm import _same_frames
        from gis.osm import OsmReader
        reader = OsmReader({str(SHARED / "london-central.osm.pbf")!r})
        pending = reader.start_areas()
        assert pending.forked
        forked = pending.result()
        assert pending.source == "child"
        assert not pending.forked and not multiprocessing.active_children()
        here = reader.areas()
        for name in ("buildings", "pois", "landcover"):
            _same_frames(getattr(forked, name), getattr(here, name))
        assert forked.skipped == here.skipped
        print(len(forked.buildings), len(forked.landcover))
    """)
    assert out.split() == ["2155", "235"]


def test_the_forked_pass_reports_a_bad_file(tmp_path: Path) -> None:
    truncated = tmp_path / "porto-truncated.osm.pbf"
    truncated.write_bytes((SHARED / "porto.osm.pbf").read_bytes()[:400_000])
    out = run_fresh(f"""
        from gis.osm import OsmReader, OsmReadError
        pending = OsmReader({str(truncated)!r}).start_areas()
        assert pending.forked
        try:
            pending.result()
        except OsmReadError as exc:
            print(pending.source, exc)
    """)
    assert out.startswith("child ") and "not a readable OSM file" in out
