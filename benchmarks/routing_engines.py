"""Road graph engines side by side on the real Heidelberg extract.

For each graph (split at intersections as an importer would, and split at every OSM node as
a larger stress case) this builds every engine and measures, in one run:

* build time;
* one-to-many: 1 source -> 300 random nodes, p50 / p95 over ``--repeat`` random sources;
* a 100 x 100 many-to-many table (median of 5; networkx once);
* the largest absolute difference from networkx (the reference) over all those answers.

Engines are plain functions (build, one_to_many, table) collected in ``ENGINES``: to add a
column (pgRouting, say) write one more `Engine` and append it. Everything works in node
*indices* 0..n-1 over the same deduplicated arcs; only ``ours`` is handed the edges frame
and node ids, as its callers will.

Run: ``.venv/bin/python benchmarks/routing_engines.py`` (about two minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import igraph
import networkx as nx
import numpy as np
import pandas as pd
import psycopg
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import bench_database  # noqa: E402

from gis.osm import read_osm  # noqa: E402
from gis.routing import RoadGraph  # noqa: E402

DEFAULT_PBF = ROOT.parent / "shared" / "data" / "osm" / "heidelberg.osm.pbf"

# -- the edges: what `gridpatrol import osm` produces ------------------------------------

def load_edges(path: Path, *, split_at_every_node: bool = False) -> gpd.GeoDataFrame:
    """Drivable edges from gis.osm (split where ways meet), or split at every OSM node."""
    edges = read_osm(path).road_edges.reset_index(drop=True)
    if split_at_every_node:
        edges = every_node(edges)
    return edges.assign(edge_id=np.arange(len(edges), dtype=np.int64))


def every_node(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One edge per pair of consecutive points; inner points get synthetic node ids."""
    rows = []
    next_id = -1
    for edge in edges.itertuples():
        coords = np.asarray(edge.geometry.coords)
        steps = np.hypot(*np.diff(coords, axis=0).T)
        share = steps / steps.sum() if steps.sum() > 0 else np.full(len(steps), 1 / len(steps))
        ids = [edge.u]
        for _ in range(len(coords) - 2):
            ids.append(next_id)
            next_id -= 1
        ids.append(edge.v)
        for i in range(len(coords) - 1):
            rows.append({"u": ids[i], "v": ids[i + 1], "length_m": edge.length_m * share[i],
                         "travel_s": edge.travel_s * share[i], "oneway": edge.oneway,
                         "name": edge.name, "geometry": shapely.LineString(coords[i:i + 2])})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


# -- the common input and the engines -----------------------------------------------------

@dataclass(frozen=True)
class Network:
    """Edges as given, and the directed arcs every engine gets (cheapest per node pair)."""

    edges: gpd.GeoDataFrame
    node_ids: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    cost_s: np.ndarray

    @classmethod
    def from_edges(cls, edges: gpd.GeoDataFrame) -> Network:
        both = ~edges["oneway"].to_numpy()
        arcs = pd.DataFrame({
            "tail": np.concatenate([edges["u"], edges["v"][both]]),
            "head": np.concatenate([edges["v"], edges["u"][both]]),
            "cost": np.concatenate([edges["travel_s"], edges["travel_s"][both]])})
        arcs = arcs[arcs["tail"] != arcs["head"]].groupby(["tail", "head"], as_index=False).min()
        node_ids = np.unique(np.concatenate([edges["u"], edges["v"]]))
        return cls(edges, node_ids, np.searchsorted(node_ids, arcs["tail"]),
                   np.searchsorted(node_ids, arcs["head"]), arcs["cost"].to_numpy())


@dataclass(frozen=True)
class Engine:
    name: str
    build: Callable[[Network], Any]
    one_to_many: Callable[[Any, int, np.ndarray], np.ndarray]
    table: Callable[[Any, np.ndarray, np.ndarray], np.ndarray]
    note: str = ""


def build_ours(net: Network) -> tuple[RoadGraph, np.ndarray]:
    return RoadGraph.from_edges(net.edges), net.node_ids


OURS = Engine(
    "ours", build_ours,
    lambda s, src, dst: s[0].travel_times_from(int(s[1][src]), s[1][dst]),
    lambda s, src, dst: s[0].travel_time_table(s[1][src], s[1][dst]),
    "core CH + scipy; build includes UTM projection and STRtree")


def build_networkx(net: Network) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(net.node_ids)))
    graph.add_weighted_edges_from(zip(net.tail.tolist(), net.head.tolist(),
                                      net.cost_s.tolist(), strict=True))
    return graph


def networkx_table(graph: nx.DiGraph, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    out = np.full((len(sources), len(targets)), np.inf)
    for i, source in enumerate(sources.tolist()):
        reached = nx.single_source_dijkstra_path_length(graph, source)
        out[i] = [reached.get(t, np.inf) for t in targets.tolist()]
    return out


NETWORKX = Engine("networkx", build_networkx,
                  lambda g, src, dst: networkx_table(g, np.array([src]), dst)[0],
                  networkx_table, "reference: single_source_dijkstra_path_length")


def build_scipy(net: Network) -> csr_matrix:
    n = len(net.node_ids)
    return csr_matrix((net.cost_s, (net.tail, net.head)), shape=(n, n))


SCIPY = Engine("scipy", build_scipy,
               lambda m, src, dst: dijkstra(m, indices=src)[dst],
               lambda m, src, dst: dijkstra(m, indices=src)[:, dst],
               "plain csgraph.dijkstra (full search per source)")


def build_igraph(net: Network) -> igraph.Graph:
    graph = igraph.Graph(n=len(net.node_ids), edges=np.column_stack([net.tail, net.head]).tolist(),
                         directed=True)
    graph.es["weight"] = net.cost_s.tolist()
    return graph


IGRAPH = Engine("igraph", build_igraph,
                lambda g, src, dst: np.array(g.distances(src, dst.tolist(), weights="weight",
                                                         mode="out"))[0],
                lambda g, src, dst: np.array(g.distances(src.tolist(), dst.tolist(),
                                                         weights="weight", mode="out")),
                "Graph.distances")


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence C++ code printing to fd 1 (pandana's CH build), and its warnings."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


PANDANA_UNREACHABLE = 4294967.295  # pandana stores integer milli-units in a uint32


def build_pandana(net: Network) -> Any:
    import pandana  # slow to import: only when measured

    n = len(net.node_ids)
    with quiet_stdout():
        return pandana.Network(pd.Series(np.zeros(n)), pd.Series(np.arange(n, dtype=float)),
                               pd.Series(np.ascontiguousarray(net.tail)),
                               pd.Series(np.ascontiguousarray(net.head)),
                               pd.DataFrame({"travel_s": np.ascontiguousarray(net.cost_s)}),
                               twoway=False)


def pandana_pairs(network: Any, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    with quiet_stdout():
        found = np.asarray(network.shortest_path_lengths(sources, targets), dtype=float)
    found[found >= PANDANA_UNREACHABLE] = np.inf
    return found


PANDANA = Engine(
    "pandana", build_pandana,
    lambda p, src, dst: pandana_pairs(p, np.full(len(dst), src), dst),
    lambda p, src, dst: pandana_pairs(p, np.repeat(src, len(dst)),
                                      np.tile(dst, len(src))).reshape(len(src), len(dst)),
    "CH, pairwise queries; truncates each edge to 1 ms")

# Add an Engine here (e.g. pgRouting's pgr_dijkstraCost) to get one more column.
# pgRouting runs inside PostgreSQL: the arcs go into a table of the benchmark database, and
# every query hands pgr_dijkstraCost the edge SQL, as a caller of pgRouting would.
PG: dict[str, Any] = {}
ARCS_SQL = "SELECT id, source, target, cost FROM bench_arcs"


def build_pgrouting(net: Network) -> psycopg.Connection[Any]:
    conn: psycopg.Connection[Any] = PG["conn"]
    conn.execute("DROP TABLE IF EXISTS bench_arcs")
    conn.execute("CREATE TABLE bench_arcs (id bigint, source bigint, target bigint, "
                 "cost float8)")
    with conn.cursor().copy("COPY bench_arcs FROM STDIN") as copy:
        for i, (tail, head, cost) in enumerate(zip(net.tail, net.head, net.cost_s,
                                                   strict=True)):
            copy.write_row((i + 1, int(tail) + 1, int(head) + 1, float(cost)))
    return conn


def pgrouting_table(conn: psycopg.Connection[Any], sources: np.ndarray,
                    targets: np.ndarray) -> np.ndarray:
    rows = conn.execute(
        "SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost(%s, %s::bigint[], "
        "%s::bigint[], directed => true)",
        (ARCS_SQL, [int(s) + 1 for s in sources], [int(t) + 1 for t in targets])).fetchall()
    out = np.full((len(sources), len(targets)), np.inf)
    row_of = {int(s) + 1: i for i, s in enumerate(sources)}
    col_of = {int(t) + 1: j for j, t in enumerate(targets)}
    for start, end, cost in rows:
        out[row_of[start], col_of[end]] = cost
    for i, s in enumerate(sources):  # pgRouting leaves out a source's path to itself
        if int(s) + 1 in col_of:
            out[i, col_of[int(s) + 1]] = 0.0
    return out


PGROUTING = Engine(
    "pgRouting", build_pgrouting,
    lambda c, src, dst: pgrouting_table(c, np.array([src]), dst)[0],
    pgrouting_table, "pgr_dijkstraCost in PostgreSQL (graph loaded per query)")

ENGINES = [OURS, NETWORKX, SCIPY, IGRAPH, PANDANA, PGROUTING]


# -- measuring ----------------------------------------------------------------------------

@dataclass
class Result:
    build_s: float
    one_ms: list[float]
    table_ms: float
    answers: list[np.ndarray]


def measure(engine: Engine, net: Network, queries: list[tuple[int, np.ndarray]],
            sources: np.ndarray, targets: np.ndarray) -> Result:
    started = time.perf_counter()
    state = engine.build(net)
    build_s = time.perf_counter() - started
    one_ms, answers = [], []
    for source, dst in queries:
        started = time.perf_counter()
        answers.append(np.asarray(engine.one_to_many(state, source, dst), dtype=float))
        one_ms.append((time.perf_counter() - started) * 1000)
    runs = 1 if engine in (NETWORKX, PGROUTING) else 5
    table_ms = []
    for _ in range(runs):
        started = time.perf_counter()
        table = np.asarray(engine.table(state, sources, targets), dtype=float)
        table_ms.append((time.perf_counter() - started) * 1000)
    answers.append(table)
    return Result(build_s, one_ms, float(np.median(table_ms)), answers)


def max_difference(answers: list[np.ndarray], reference: list[np.ndarray]) -> str:
    worst = 0.0
    for ours, ref in zip(answers, reference, strict=True):
        if not np.array_equal(np.isinf(ours), np.isinf(ref)):
            return "reachability differs"
        finite = np.isfinite(ref)
        if finite.any():
            worst = max(worst, float(np.max(np.abs(ours[finite] - ref[finite]))))
    return f"{worst:.1e}"


def run(name: str, edges: gpd.GeoDataFrame, *, repeat: int, seed: int) -> None:
    net = Network.from_edges(edges)
    n = len(net.node_ids)
    rng = np.random.default_rng(seed)
    queries = [(int(rng.integers(n)), rng.choice(n, 300, replace=False)) for _ in range(repeat)]
    sources, targets = rng.choice(n, 100, replace=False), rng.choice(n, 100, replace=False)
    results = {}
    for engine in ENGINES:
        results[engine.name] = measure(engine, net, queries, sources, targets)
    reference = results[NETWORKX.name].answers
    nx_p50 = np.percentile(results[NETWORKX.name].one_ms, 50)
    nx_table = results[NETWORKX.name].table_ms
    print(f"\n### {name}: {n:,} nodes, {len(edges):,} edges, {len(net.tail):,} directed arcs")
    print(f"one-to-many: 1 -> 300 random nodes, {repeat} random sources; "
          "table: 100 x 100 random nodes\n")
    print("| engine | build s | 1→300 p50 ms | 1→300 p95 ms | 100×100 ms | "
          "networkx ÷ engine (1→300 p50) | networkx ÷ engine (table) | "
          "max abs diff vs networkx (s) | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for engine in ENGINES:
        r = results[engine.name]
        p50, p95 = np.percentile(r.one_ms, [50, 95])
        print(f"| {engine.name} | {r.build_s:.2f} | {p50:.2f} | {p95:.2f} | {r.table_ms:.1f} | "
              f"{nx_p50 / p50:.0f}× | {nx_table / r.table_ms:.0f}× | "
              f"{max_difference(r.answers, reference)} | {engine.note} |")
    ours, pg = results[OURS.name], results[PGROUTING.name]
    ours_p, pg_p = np.percentile(ours.one_ms, [50, 95]), np.percentile(pg.one_ms, [50, 95])
    one_ratio = pg_p[0] / ours_p[0]
    print(f"\nours vs pgRouting: 1→300 p50 {one_ratio:.0f}× faster, p95 "
          f"{pg_p[1] / ours_p[1]:.0f}×; 100×100 table {pg.table_ms / ours.table_ms:.0f}×; "
          f"results differ by {max_difference(ours.answers, pg.answers)} s; "
          f"target ≥ 20× on one-to-many: {'met' if one_ratio >= 20 else 'NOT met'}; "
          f"table target ≤ 100 ms: {'met' if ours.table_ms <= 100 else 'NOT met'}")
    graph = RoadGraph.from_edges(edges)
    print(f"\nours: core of {graph.core_node_count:,} uncontracted nodes "
          f"({graph.core_node_count / n:.1%}); "
          f"target cones hold {graph.cone_entries:,} entries")
    print(f"ours, other queries: {other_queries(graph, net, rng)}")


def other_queries(graph: RoadGraph, net: Network, rng: np.random.Generator) -> str:
    """Median times of routes and isochrones (plain Dijkstra, bounded), for the record."""
    route_ms, iso_ms, iso_edges = [], [], []
    _, component = connected_components(build_scipy(net), directed=True, connection="strong")
    candidates = net.node_ids[component == np.bincount(component).argmax()]
    for source, target in rng.choice(candidates, size=(20, 2)):
        started = time.perf_counter()
        graph.route(int(source), int(target))
        route_ms.append((time.perf_counter() - started) * 1000)
    for source in rng.choice(candidates, size=5):
        started = time.perf_counter()
        iso = graph.isochrone(int(source), max_travel_s=300.0)
        iso_ms.append((time.perf_counter() - started) * 1000)
        iso_edges.append(len(iso.edges))
    return (f"route p50 {np.median(route_ms):.1f} ms; 5-minute isochrone with polygon "
            f"p50 {np.median(iso_ms):.0f} ms ({np.median(iso_edges):.0f} edges)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, default=DEFAULT_PBF)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{args.pbf.name}; {os.cpu_count()} cores; python {sys.version.split()[0]}")
    with bench_database() as bench, psycopg.connect(bench["admin"], autocommit=True) as conn:
        PG["conn"] = conn
        for name, at_every_node in [("split at intersections", False),
                                    ("split at every OSM node", True)]:
            started = time.perf_counter()
            edges = load_edges(args.pbf, split_at_every_node=at_every_node)
            print(f"\nloaded {name} in {time.perf_counter() - started:.1f} s")
            run(name, edges, repeat=args.repeat, seed=args.seed)


if __name__ == "__main__":
    main()
