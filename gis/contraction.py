"""Arcs and the core contraction hierarchy behind `gis.routing.RoadGraph`.

Kept apart from routing.py so each module stays about one concept: this one turns edges
into directed arcs (a scipy CSR matrix) and answers exact one-to-many and many-to-many
travel times on a core contraction hierarchy (see `CoreHierarchy`). Times in seconds;
nodes are indices 0..n-1.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

_INF = float("inf")
_SOURCE_CHUNK = 64  # sources per Dijkstra batch: bounds the dense (chunk x nodes) result
_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ArcTable:
    """Directed arcs (the cheapest per node pair, no self-loops) as a scipy CSR matrix,
    with the edge row and direction each arc came from."""

    matrix: Any  # scipy.sparse.csr_matrix, costs in seconds
    tail: _IntArray
    head: _IntArray
    edge_row: _IntArray
    reversed_: npt.NDArray[np.bool_]

    @classmethod
    def from_edges(cls, node_count: int, u: _IntArray, v: _IntArray, cost: _FloatArray,
                   oneway: npt.NDArray[np.bool_]) -> ArcTable:
        both = ~oneway
        rows = np.arange(len(u))
        tail = np.concatenate([u, v[both]])
        head = np.concatenate([v, u[both]])
        arc_cost = np.concatenate([cost, cost[both]])
        edge_row = np.concatenate([rows, rows[both]])
        reversed_ = np.concatenate([np.zeros(len(u), bool), np.ones(int(both.sum()), bool)])
        order = np.lexsort((edge_row, arc_cost, head, tail))
        order = order[tail[order] != head[order]]
        tail, head = tail[order], head[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        keep = order[first]
        tail, head = tail[first], head[first]
        indptr = np.searchsorted(tail, np.arange(node_count + 1))
        matrix = csr_matrix((arc_cost[keep], head, indptr), shape=(node_count, node_count))
        return cls(matrix=matrix, tail=tail, head=head, edge_row=edge_row[keep],
                   reversed_=reversed_[keep])

    def edges_between(self, tails: _IntArray,
                      heads: _IntArray) -> tuple[_IntArray, npt.NDArray[np.bool_]]:
        """Edge row and driven-reversed flag of the arc from each tail to its head."""
        arc = np.array([lo + np.searchsorted(self.head[lo:hi], h)
                        for lo, hi, h in zip(self.matrix.indptr[tails],
                                             self.matrix.indptr[tails + 1], heads,
                                             strict=True)], dtype=np.int64)
        return self.edge_row[arc], self.reversed_[arc]


class CoreHierarchy:
    """Exact one-to-many / many-to-many travel times on a core contraction hierarchy.

    Build: nodes are contracted in order of edge difference (shortcuts added minus arcs
    removed), ties going to the shallower node so chains are contracted every other node
    (smaller cones), while that stays <= 0. Contracting x adds u->w for every pair of neighbours
    unless an existing arc u->w is no longer (no multi-hop witness search, so some
    shortcuts are redundant, never missing). Uncontracted nodes form the core.

    Query: a shortest s->t path can be taken as upward arcs from s, then core arcs, then
    downward arcs to t (or up and down through a contracted peak). One scipy Dijkstra
    from s over upward + core arcs gives the first two parts; the downward part comes
    from each target's cone: every node above t with its downward distance to t,
    precomputed. The answer is the minimum over the cone of both parts' sum.
    """

    def __init__(self, node_count: int, tail: _IntArray, head: _IntArray,
                 cost: _FloatArray) -> None:
        order, up, down_into, core = contract(node_count, tail, head, cost)
        arcs = np.array(up + core, dtype=np.float64).reshape(-1, 3)
        self.search = csr_matrix((arcs[:, 2], (arcs[:, 0].astype(np.int64),
                                               arcs[:, 1].astype(np.int64))),
                                 shape=(node_count, node_count))
        self.core_node_count = node_count - len(order)

        cones: list[dict[int, float]] = [{x: 0.0} for x in range(node_count)]
        for x in reversed(order):  # from the top down: a node's parents are done first
            parents = down_into[x]
            if not parents:
                continue
            first, first_s = parents[0]
            cone = {y: ys + first_s for y, ys in cones[first].items()}
            for parent, parent_s in parents[1:]:
                for y, ys in cones[parent].items():
                    if ys + parent_s < cone.get(y, _INF):
                        cone[y] = ys + parent_s
            cone[x] = 0.0
            cones[x] = cone
        sizes = np.fromiter(map(len, cones), np.int64, node_count)
        self.cone_start = np.concatenate([[0], np.cumsum(sizes)])
        self.cone_node = np.fromiter(chain.from_iterable(cones), np.int64, int(sizes.sum()))
        self.cone_cost = np.fromiter(chain.from_iterable(c.values() for c in cones),
                                     np.float64, int(sizes.sum()))

    def table(self, sources: _IntArray, targets: _IntArray) -> _FloatArray:
        """Seconds from each source index (rows) to each target index (columns)."""
        result = np.full((len(sources), len(targets)), np.inf)
        if len(sources) == 0 or len(targets) == 0:
            return result
        starts = self.cone_start[targets]
        sizes = self.cone_start[targets + 1] - starts
        segments = np.cumsum(sizes) - sizes  # where each target's cone begins in `picks`
        picks = np.repeat(starts - segments, sizes) + np.arange(int(sizes.sum()))
        nodes, costs = self.cone_node[picks], self.cone_cost[picks]
        unique, inverse = np.unique(sources, return_inverse=True)
        for first in range(0, len(unique), _SOURCE_CHUNK):
            chunk = unique[first:first + _SOURCE_CHUNK]
            upward = dijkstra(self.search, indices=chunk)
            best = np.minimum.reduceat(upward[:, nodes] + costs, segments, axis=1)
            rows = np.flatnonzero((inverse >= first) & (inverse < first + len(chunk)))
            result[rows] = best[inverse[rows] - first]
        return result


def contract(node_count: int, tail: _IntArray, head: _IntArray, cost: _FloatArray
              ) -> tuple[list[int], list[tuple[int, int, float]], list[list[tuple[int, float]]],
                         list[tuple[int, int, float]]]:
    """Contract nodes while that adds no more shortcuts than it removes arcs.

    Returns the contraction order, the upward arcs (x -> higher node, recorded when x was
    contracted), for each node the downward arcs into it (higher node, seconds), and the
    arcs left among the core nodes.
    """
    out: list[dict[int, float]] = [{} for _ in range(node_count)]
    into: list[dict[int, float]] = [{} for _ in range(node_count)]
    for a, b, c in zip(tail.tolist(), head.tolist(), cost.tolist(), strict=True):
        out[a][b] = c
        into[b][a] = c

    def shortcuts(x: int) -> list[tuple[int, int, float]]:
        out_x = out[x].items()
        return [(a, b, a_s + b_s) for a, a_s in into[x].items() for b, b_s in out_x
                if b != a and out[a].get(b, _INF) > a_s + b_s]

    def edge_difference(x: int) -> int:
        return len(shortcuts(x)) - len(into[x]) - len(out[x])

    priority = [edge_difference(x) for x in range(node_count)]
    depth = [0] * node_count  # 1 + the deepest contracted neighbour: spreads the order out
    heap = [(p, 0, x) for x, p in enumerate(priority)]
    heapq.heapify(heap)
    done = [False] * node_count
    order: list[int] = []
    up: list[tuple[int, int, float]] = []
    down_into: list[list[tuple[int, float]]] = [[] for _ in range(node_count)]
    while heap:
        p, level, x = heapq.heappop(heap)
        if done[x] or p != priority[x] or level != depth[x]:
            continue
        if p > 0:
            break
        for a, b, c in shortcuts(x):
            out[a][b] = c
            into[b][a] = c
        for b, c in out[x].items():
            up.append((x, b, c))
            del into[b][x]
        for a, c in into[x].items():
            down_into[x].append((a, c))
            del out[a][x]
        neighbours = out[x].keys() | into[x].keys()
        out[x], into[x] = {}, {}
        done[x] = True
        order.append(x)
        for y in neighbours:
            priority[y] = edge_difference(y)
            depth[y] = max(depth[y], depth[x] + 1)
            heapq.heappush(heap, (priority[y], depth[y], y))
    core = [(a, b, c) for a in range(node_count) if not done[a] for b, c in out[a].items()]
    return order, up, down_into, core
