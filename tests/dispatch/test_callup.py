"""The camera call-up decisions on plain data, no database.

Places and cameras lie on the equator, where the geodesic is the equator itself: a camera
0.001° west of the place is a * 0.001 * pi / 180 = 111.3194908 m from it (a = 6,378,137 m,
WGS-84) and the place lies due east of it (bearing 90°). Scores and reasons below are
worked out from that by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import shapely

from dispatch.callup import (
    BUILDING_IN_THE_WAY,
    FACES_AWAY,
    MAX_NEARBY_CAMERAS,
    OUT_OF_RANGE,
    SEES,
    SEES_ALL_ROUND,
    CameraRecord,
    EdgeBatch,
    EscapeCamera,
    EscapeSearch,
    batch_end,
    blind_reason,
    call_up,
    look_at,
    score,
)
from tests.test_purity import imported_top_modules

A_M = 6_378_137.0
M_PER_MILLIDEGREE = A_M * math.radians(0.001)  # 111.3194908 m along the equator
PLACE = (0.0, 0.0)


def camera(camera_id: int, lon: float, *, azimuth_deg: float | None = 90.0,
           fov_deg: float | None = 60.0, reach_m: float = 200.0) -> CameraRecord:
    return CameraRecord(id=camera_id, lon=lon, lat=0.0, azimuth_deg=azimuth_deg,
                        fov_deg=fov_deg, reach_m=reach_m)


def decide(cameras: list[CameraRecord], buildings: list[object] | None = None, *,
           radius_m: float = 300.0, max_nearby: int = MAX_NEARBY_CAMERAS) -> tuple[
               list[tuple[int, str]], list[tuple[int, str]]]:
    looks = look_at(*PLACE, cameras)
    answer = call_up(looks, buildings or [], radius_m=radius_m, max_nearby=max_nearby)
    return ([(s.camera.id, s.reason[0]) for s in answer.seeing],
            [(s.camera.id, s.reason[0]) for s in answer.nearby])


def test_the_call_up_module_is_pure() -> None:
    source = (Path(__file__).resolve().parents[2] / "dispatch" / "callup.py").read_text()
    assert imported_top_modules(source) & {"flask", "flask_babel", "babel", "sqlalchemy",
                                           "geoalchemy2", "psycopg", "app", "requests",
                                           "urllib", "http", "socket"} == set()


def test_a_camera_straight_ahead_sees_the_place() -> None:
    answer = call_up(look_at(*PLACE, [camera(1, -0.001)]), [], radius_m=300)
    assert answer.nearby == []
    [seen] = answer.seeing
    assert seen.sees and seen.camera.id == 1
    assert seen.distance_m == pytest.approx(M_PER_MILLIDEGREE, abs=1e-6)
    assert seen.off_axis_deg == pytest.approx(0.0, abs=1e-9)
    assert seen.reason[0] == SEES
    assert seen.reason[1] == pytest.approx({"m": 111.3194908, "deg": 0.0}, abs=1e-6)
    assert seen.score == pytest.approx(111.3194908 / 200.0, abs=1e-9)


def test_a_camera_out_of_range_says_how_far_and_how_far_it_sees() -> None:
    answer = call_up(look_at(*PLACE, [camera(1, -0.001, reach_m=100.0)]), [], radius_m=300)
    assert answer.seeing == []
    [blind] = answer.nearby
    assert not blind.sees and blind.score is None
    assert blind.reason[0] == OUT_OF_RANGE
    assert blind.reason[1] == pytest.approx({"m": 111.3194908, "range": 100.0}, abs=1e-6)


def test_a_camera_facing_away_says_its_angle_and_field_of_view() -> None:
    looks = look_at(*PLACE, [camera(1, -0.001, azimuth_deg=270.0)])
    assert looks.in_view() == []
    [blind] = call_up(looks, [], radius_m=300).nearby
    assert blind.reason[0] == FACES_AWAY
    assert blind.reason[1] == pytest.approx({"deg": 180.0, "fov": 60.0}, abs=1e-9)


def test_the_edge_of_the_field_of_view_counts_as_inside() -> None:
    # looking 30° off the place with a 60° field of view: the place is on the edge
    assert decide([camera(1, -0.001, azimuth_deg=120.0)]) == ([(1, SEES)], [])
    # within a billionth of a degree of it too (rounding in the bearing)
    assert decide([camera(1, -0.001, azimuth_deg=120.0 + 1e-10)]) == ([(1, SEES)], [])
    # a degree further and it is out
    assert decide([camera(1, -0.001, azimuth_deg=121.0)]) == ([], [(1, FACES_AWAY)])


def test_a_building_on_the_sight_line_blinds_the_camera_and_one_beside_it_does_not() -> None:
    across = shapely.box(-0.0006, -0.0001, -0.0004, 0.0001)  # ~22 m wide, straddling the line
    beside = shapely.box(-0.0006, 0.0005, -0.0004, 0.0007)  # ~55 m north of it
    looks = look_at(*PLACE, [camera(1, -0.001)])
    assert looks.in_view() == [camera(1, -0.001)]  # so its footprints are loaded
    blocked = call_up(looks, [across], radius_m=300)
    assert blocked.seeing == []
    assert [(s.camera.id, s.reason) for s in blocked.nearby] == [(1, (BUILDING_IN_THE_WAY, {}))]
    clear = call_up(looks, [beside], radius_m=300)
    assert [s.camera.id for s in clear.seeing] == [1] and clear.nearby == []


def test_all_round_cameras_see_in_every_direction_and_count_half_off_axis() -> None:
    unknown = camera(1, 0.001, azimuth_deg=None, fov_deg=None)
    full_circle = camera(2, 0.001, azimuth_deg=90.0, fov_deg=360.0)  # looks away, sees all
    no_fov = camera(3, 0.001, azimuth_deg=90.0, fov_deg=None)
    answer = call_up(look_at(*PLACE, [unknown, full_circle, no_fov]), [], radius_m=300)
    by_id = {s.camera.id: s for s in answer.seeing}
    assert set(by_id) == {1, 2, 3} and answer.nearby == []
    assert by_id[1].off_axis_deg is None
    assert by_id[1].reason[0] == SEES_ALL_ROUND
    assert by_id[1].reason[1] == pytest.approx({"m": 111.3194908}, abs=1e-6)
    assert by_id[2].reason[0] == SEES and by_id[2].off_axis_deg == pytest.approx(180.0)
    for seen in by_id.values():
        assert seen.score == pytest.approx(111.3194908 / 200.0 + 0.5, abs=1e-9)
    assert [s.camera.id for s in answer.seeing] == [1, 2, 3]  # equal scores: by id


def test_a_camera_standing_on_the_place_sees_it_on_axis() -> None:
    answer = call_up(look_at(*PLACE, [camera(1, 0.0, azimuth_deg=200.0)]), [], radius_m=300)
    [seen] = answer.seeing
    assert (seen.distance_m, seen.off_axis_deg, seen.score) == (0.0, 0.0, 0.0)


def test_near_and_on_axis_ranks_first() -> None:
    far_straight = camera(1, -0.001)  # 111.32 m of 200, on axis: 0.5566
    near_straight = camera(2, 0.0005, azimuth_deg=270.0)  # 55.66 m of 200: 0.2783
    near_all_round = camera(3, -0.0002, azimuth_deg=None, reach_m=100.0)  # 0.2226 + 0.5
    far_oblique = camera(4, -0.001, azimuth_deg=105.0)  # 0.5566 + 15 / 30
    answer = call_up(look_at(*PLACE, [far_straight, near_straight, near_all_round,
                                      far_oblique]), [], radius_m=300)
    assert [s.camera.id for s in answer.seeing] == [2, 1, 3, 4]
    assert [s.score for s in answer.seeing] == pytest.approx(
        [55.6597454 / 200, 111.3194908 / 200, 22.2638982 / 100 + 0.5,
         111.3194908 / 200 + 0.5], abs=1e-7)


def test_ties_are_broken_by_camera_id() -> None:
    twins = [camera(7, -0.001), camera(3, -0.001), camera(5, -0.001)]
    assert decide(twins) == ([(3, SEES), (5, SEES), (7, SEES)], [])
    away = [camera(9, -0.001, azimuth_deg=270.0), camera(4, -0.001, azimuth_deg=270.0)]
    assert decide(away) == ([], [(4, FACES_AWAY), (9, FACES_AWAY)])


def test_nearby_cameras_are_the_nearest_within_the_radius() -> None:
    cameras = [camera(1, -0.003, azimuth_deg=270.0),  # 333.96 m: beyond a 300 m radius
               camera(2, -0.002, azimuth_deg=270.0, reach_m=300.0),  # 222.64 m
               camera(3, -0.001, azimuth_deg=270.0),  # 111.32 m
               camera(4, 0.0015, reach_m=100.0)]  # 166.98 m, out of range
    assert decide(cameras) == ([], [(3, FACES_AWAY), (4, OUT_OF_RANGE), (2, FACES_AWAY)])
    assert decide(cameras, max_nearby=2) == ([], [(3, FACES_AWAY), (4, OUT_OF_RANGE)])
    assert decide(cameras, radius_m=150) == ([], [(3, FACES_AWAY)])


def test_a_blind_camera_gets_the_first_reason_that_holds() -> None:
    far_and_away = camera(1, -0.001, azimuth_deg=270.0, reach_m=50.0)
    assert blind_reason(far_and_away, distance_m=111.3, off_axis_deg=180.0) == (
        OUT_OF_RANGE, {"m": 111.3, "range": 50.0})
    assert blind_reason(camera(1, -0.001), distance_m=111.3, off_axis_deg=30.5) == (
        FACES_AWAY, {"deg": 30.5, "fov": 60.0})
    assert blind_reason(camera(1, -0.001), distance_m=111.3, off_axis_deg=10.0) == (
        BUILDING_IN_THE_WAY, {})
    assert blind_reason(camera(1, -0.001), distance_m=200.0, off_axis_deg=30.0) == (
        BUILDING_IN_THE_WAY, {})  # on the edges of range and view: inside both
    assert score(camera(1, 0.0, fov_deg=0.5), distance_m=50.0, off_axis_deg=0.2) == (
        pytest.approx(0.25 + 0.2 / 0.25))


def test_no_candidates_give_an_empty_call_up() -> None:
    looks = look_at(*PLACE, [])
    assert looks.in_view() == []
    answer = call_up(looks, [shapely.box(0, 0, 1, 1)], radius_m=300)
    assert (answer.seeing, answer.nearby) == ([], [])


# -- escape cameras -----------------------------------------------------------------------

def test_a_batch_end_moves_past_edges_entered_at_the_same_second() -> None:
    reached = [1.0, 2.0, 2.0, 2.0, 3.0, 4.0]
    assert batch_end(reached, 1) == 1  # 1.0 is alone
    assert batch_end(reached, 2) == 4  # the three edges at 2.0 stay together
    assert batch_end(reached, 4) == 4
    assert batch_end(reached, 5) == 5
    assert batch_end(reached, 6) == 6 and batch_end(reached, 99) == 6
    assert batch_end([], 64) == 0


def watching(camera_id: int, edge_id: int, reached_s: float) -> EscapeCamera:
    return EscapeCamera(id=camera_id, reached_s=reached_s, edge_id=edge_id)


def run(search: EscapeSearch, cameras_on: dict[int, list[int]],
        reached: dict[int, float]) -> list[EdgeBatch]:
    """Drive the search like the service, with a dict for the database."""
    asked = []
    for batch in search.batches():
        asked.append(batch)
        skip = set(search.found_ids)
        found: dict[int, EscapeCamera] = {}
        for edge in batch.edge_ids:  # DISTINCT ON (camera): its soonest edge in the batch
            for camera_id in cameras_on.get(edge, []):
                if camera_id not in skip and camera_id not in found:
                    found[camera_id] = watching(camera_id, edge, reached[edge])
        search.add(found.values())
    return asked


def test_the_escape_search_walks_edges_soonest_first_in_growing_batches() -> None:
    reached = {10: 5.0, 11: 1.0, 12: 3.0, 13: 3.0, 14: 9.0, 15: 7.0, 16: 2.0, 17: 8.0}
    cameras_on = {11: [100], 16: [101], 12: [102], 13: [100], 15: [103], 17: [104, 105]}
    search = EscapeSearch(list(reached), list(reached.values()), limit=10, first_batch=2)
    asked = run(search, cameras_on, reached)
    # sorted: 11 (1 s), 16 (2 s), 12 (3 s), 13 (3 s), 10 (5 s), 15 (7 s), 17 (8 s), 14 (9 s);
    # first batch 2 edges, then 8: everything
    assert [b.edge_ids for b in asked] == [[11, 16], [12, 13, 10, 15, 17, 14]]
    assert asked[0].reached_s == [1.0, 2.0]
    assert [(c.id, c.edge_id, c.reached_s) for c in search.cameras()] == [
        (100, 11, 1.0), (101, 16, 2.0), (102, 12, 3.0), (103, 15, 7.0), (104, 17, 8.0),
        (105, 17, 8.0)]


def test_the_escape_search_stops_once_enough_cameras_are_found() -> None:
    reached = {1: 1.0, 2: 2.0, 3: 3.0, 4: 4.0, 5: 5.0}
    cameras_on = {1: [10, 11], 2: [12], 5: [13]}
    search = EscapeSearch(list(reached), list(reached.values()), limit=2, first_batch=1)
    asked = run(search, cameras_on, reached)
    assert [b.edge_ids for b in asked] == [[1]]  # two cameras on the first edge: done
    assert [c.id for c in search.cameras()] == [10, 11]


def test_a_tie_in_entry_time_is_never_split_across_batches() -> None:
    # without the tie rule the first batch would end after edge 2 and camera 9, entered
    # at the same second as camera 8, would lose to it only by chance
    reached = {1: 1.0, 2: 4.0, 3: 4.0, 4: 6.0}
    cameras_on = {2: [8], 3: [9], 4: [7]}
    search = EscapeSearch(list(reached), list(reached.values()), limit=2, first_batch=2)
    asked = run(search, cameras_on, reached)
    assert [b.edge_ids for b in asked] == [[1, 2, 3]]
    assert [(c.id, c.reached_s) for c in search.cameras()] == [(8, 4.0), (9, 4.0)]


def test_the_answer_keeps_the_soonest_cameras_up_to_the_limit_ordered_by_id_on_ties() -> None:
    search = EscapeSearch([1, 2], [2.0, 1.0], limit=3)
    [batch] = list(search.batches())
    assert batch.edge_ids == [2, 1]
    search.add([watching(5, 1, 2.0), watching(4, 1, 2.0), watching(9, 2, 1.0),
                watching(3, 1, 2.0)])
    assert [c.id for c in search.cameras()] == [9, 3, 4]
    assert search.found_ids == [5, 4, 9, 3]


def test_no_reached_edges_mean_no_batches_and_no_cameras() -> None:
    search = EscapeSearch([], [])
    assert list(search.batches()) == []
    assert search.cameras() == []
