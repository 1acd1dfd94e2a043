"""Arcs and the core contraction hierarchy behind `gis.routing.RoadGraph`.

Kept apart from routing.py so each module stays about one concept: this one turns edges
into directed arcs (a scipy CSR matrix) and answers exact one-to-many and many-to-many
travel times on a core contraction hierarchy (see `CoreHierarchy`). Times in seconds,
lengths in metres; nodes are indices 0..n-1.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
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
    """The directed arcs of a road graph, ready for scipy's shortest-path routines.

    Directed arcs (the cheapest per node pair, no self-loops) as a scipy CSR matrix,
    with the edge row and direction each arc came from.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        ``node_count`` x ``node_count``; entry (tail, head) is the arc's cost in seconds.
    tail, head : numpy.ndarray of int64
        Node indices of each arc, in the matrix's storage order (sorted by tail, then head).
    edge_row : numpy.ndarray of int64
        Row of the edge each arc came from, in the edge arrays given to :meth:`from_edges`.
    reversed_ : numpy.ndarray of bool
        True where the arc drives its edge from ``v`` to ``u`` (a two-way edge's return).
    """

    matrix: Any  # scipy.sparse.csr_matrix, costs in seconds
    tail: _IntArray
    head: _IntArray
    edge_row: _IntArray
    reversed_: npt.NDArray[np.bool_]

    @classmethod
    def from_edges(cls, node_count: int, u: _IntArray, v: _IntArray, cost: _FloatArray,
                   oneway: npt.NDArray[np.bool_]) -> ArcTable:
        """Build the arcs of edges given as parallel arrays.

        Parameters
        ----------
        node_count : int
            Number of nodes; nodes are indices 0..node_count-1.
        u, v : numpy.ndarray of int64
            Node indices at each edge's start and end.
        cost : numpy.ndarray of float64
            Travel time along each edge, seconds, the same both ways.
        oneway : numpy.ndarray of bool
            True where the edge may only be driven from ``u`` to ``v``.

        Returns
        -------
        ArcTable
            One arc ``u -> v`` per edge and one ``v -> u`` per two-way edge, self-loops
            dropped; where several arcs join the same pair of nodes, only the cheapest is
            kept (on equal cost, the one from the lowest edge row).
        """
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


@dataclass(frozen=True)
class Arcs:
    """Directed arcs as parallel arrays: tail and head indices, seconds and metres."""

    tail: _IntArray
    head: _IntArray
    cost: _FloatArray
    length_m: _FloatArray

    @classmethod
    def from_records(cls, records: list[tuple[int, int, float, float]]) -> Arcs:
        """Build arcs from ``(tail, head, seconds, metres)`` tuples.

        Parameters
        ----------
        records : list of tuple of (int, int, float, float)
            Tail and head node index, cost in seconds and length in metres per arc.

        Returns
        -------
        Arcs
            The same arcs as parallel arrays, in the order given; empty arrays for no
            records.
        """
        table = np.array(records, dtype=np.float64).reshape(-1, 4)
        return cls(tail=table[:, 0].astype(np.int64), head=table[:, 1].astype(np.int64),
                   cost=table[:, 2].copy(), length_m=table[:, 3].copy())

    def reversed(self) -> Arcs:
        """The same arcs driven the other way (tail and head swapped)."""
        return Arcs(tail=self.head, head=self.tail, cost=self.cost, length_m=self.length_m)

    def __add__(self, other: Arcs) -> Arcs:
        return Arcs(tail=np.concatenate([self.tail, other.tail]),
                    head=np.concatenate([self.head, other.head]),
                    cost=np.concatenate([self.cost, other.cost]),
                    length_m=np.concatenate([self.length_m, other.length_m]))


@dataclass(frozen=True)
class Contraction:
    """What `contract` leaves.

    Attributes
    ----------
    order : numpy.ndarray
        Contracted nodes, first contracted first; the others form the core.
    up : Arcs
        From each contracted node to its higher neighbours, as they were when it was
        contracted (shortcuts included).
    down : Arcs
        Into each contracted node from its higher neighbours, likewise.
    core : Arcs
        Among the core nodes.
    """

    order: _IntArray
    up: Arcs
    down: Arcs
    core: Arcs

    def reversed(self) -> Contraction:
        """The contraction of the reversed graph: the same order, arcs mirrored.

        Contracting the reversed arcs would choose the same order and mirrored shortcuts
        (a node's edge difference does not depend on the direction), so it is not rerun.
        """
        return Contraction(order=self.order, up=self.down.reversed(),
                           down=self.up.reversed(), core=self.core.reversed())


class CoreHierarchy:
    """Exact one-to-many / many-to-many travel times on a core contraction hierarchy.

    Build: nodes are contracted in order of edge difference (shortcuts added minus arcs
    removed), ties going to the shallower node so chains are contracted every other node
    (smaller cones), while that stays <= 0. Contracting x adds u->w for every pair of neighbours
    unless an existing arc u->w is no longer (no multi-hop witness search, so some
    shortcuts are redundant, never missing). Uncontracted nodes form the core. Every arc,
    shortcut and cone entry also carries the length in metres of the path it stands for
    (on equal times, the first found is kept).

    Query: a shortest s->t path can be taken as upward arcs from s, then core arcs, then
    downward arcs to t (or up and down through a contracted peak). One scipy Dijkstra
    from s over upward + core arcs gives the first two parts; the downward part comes
    from each target's cone: every node above t with its downward distance to t,
    precomputed. The answer is the minimum over the cone of both parts' sum.

    Build one with `CoreHierarchy.build`; `reversed` gives the hierarchy of the reversed
    arcs (many-to-one queries) without contracting again.
    """

    def __init__(self, node_count: int, contraction: Contraction) -> None:
        self.node_count = node_count
        self.contraction = contraction
        self.core_node_count = node_count - len(contraction.order)
        search = contraction.up + contraction.core
        order = np.lexsort((search.head, search.tail))
        tail, head = search.tail[order], search.head[order]
        indptr = np.searchsorted(tail, np.arange(node_count + 1))
        self.search = csr_matrix((search.cost[order], head, indptr),
                                 shape=(node_count, node_count))
        self.search_key = tail * node_count + head  # sorted: finds an arc's length
        self.search_length_m = search.length_m[order]
        (self.cone_start, self.cone_node, self.cone_cost,
         self.cone_length_m) = _cones(node_count, contraction.down)

    @classmethod
    def build(cls, node_count: int, tail: _IntArray, head: _IntArray, cost: _FloatArray,
              length_m: _FloatArray) -> CoreHierarchy:
        """Build the hierarchy of a graph's arcs.

        Contract the arcs (seconds ``cost``, metres ``length_m``; at most one per node
        pair) and precompute the cones.

        Parameters
        ----------
        node_count : int
            Number of nodes; nodes are indices 0..node_count-1.
        tail, head : numpy.ndarray of int64
            Node indices of each arc.
        cost : numpy.ndarray of float64
            Travel time of each arc, seconds.
        length_m : numpy.ndarray of float64
            Length of each arc, metres.

        Returns
        -------
        CoreHierarchy
            Ready for :meth:`table` and :meth:`table_with_lengths`.
        """
        return cls(node_count, contract(node_count, tail, head, cost, length_m))

    def reversed(self) -> CoreHierarchy:
        """The hierarchy of the reversed arcs, for many-to-one queries.

        The hierarchy of the same arcs driven backwards: ``reversed().table(t, s)`` is
        ``table(s, t)`` transposed, fast when ``t`` is short and ``s`` long.

        Returns
        -------
        CoreHierarchy
            Built from this one's contraction mirrored, without contracting again.
        """
        return CoreHierarchy(self.node_count, self.contraction.reversed())

    def table(self, sources: _IntArray, targets: _IntArray) -> _FloatArray:
        """Seconds from each source index (rows) to each target index (columns)."""
        result = np.full((len(sources), len(targets)), np.inf)
        if len(sources) == 0 or len(targets) == 0:
            return result
        nodes, costs, _, segments = self._cones_of(targets)
        unique, inverse = np.unique(sources, return_inverse=True)
        for first in range(0, len(unique), _SOURCE_CHUNK):
            chunk = unique[first:first + _SOURCE_CHUNK]
            upward = dijkstra(self.search, indices=chunk)
            best = np.minimum.reduceat(upward[:, nodes] + costs, segments, axis=1)
            rows = np.flatnonzero((inverse >= first) & (inverse < first + len(chunk)))
            result[rows] = best[inverse[rows] - first]
        return result

    def table_with_lengths(self, sources: _IntArray,
                           targets: _IntArray) -> tuple[_FloatArray, _FloatArray]:
        """Like `table`, with the length in metres of each fastest path.

        Meant for few sources (one Dijkstra each, with predecessors) and many targets.
        Where several paths are equally fast, the length is that of one of them; ``inf``
        where unreachable.
        """
        times = np.full((len(sources), len(targets)), np.inf)
        lengths = np.full((len(sources), len(targets)), np.inf)
        if len(sources) == 0 or len(targets) == 0:
            return times, lengths
        nodes, costs, cone_m, segments = self._cones_of(targets)
        unique, inverse = np.unique(sources, return_inverse=True)
        for i, source in enumerate(unique.tolist()):
            upward, pred = dijkstra(self.search, indices=source, return_predecessors=True)
            upward_m = self._tree_lengths(source, upward, pred)
            total = upward[nodes] + costs
            best = np.minimum.reduceat(total, segments)
            # the first cone entry reaching each target's minimum
            hits = np.flatnonzero(total == np.repeat(best, np.diff(segments, append=len(total))))
            hit_segment = np.searchsorted(segments, hits, side="right") - 1
            first = hits[np.flatnonzero(np.diff(hit_segment, prepend=-1))]
            length = upward_m[nodes[first]] + cone_m[first]
            rows = np.flatnonzero(inverse == i)
            times[rows] = best
            lengths[rows] = np.where(np.isfinite(best), length, np.inf)
        return times, lengths

    def _cones_of(self, targets: _IntArray) -> tuple[_IntArray, _FloatArray, _FloatArray,
                                                     _IntArray]:
        """The targets' cones laid end to end: nodes, seconds, metres, segment starts."""
        starts = self.cone_start[targets]
        sizes = self.cone_start[targets + 1] - starts
        segments = np.cumsum(sizes) - sizes  # where each target's cone begins in `picks`
        picks = _ranges(starts, sizes)
        return self.cone_node[picks], self.cone_cost[picks], self.cone_length_m[picks], segments

    def _tree_lengths(self, source: int, upward: _FloatArray,
                      pred: npt.NDArray[np.int32]) -> _FloatArray:
        """Metres along the Dijkstra predecessor tree from ``source``.

        Metres from ``source`` to every node along the Dijkstra predecessor tree
        (``inf`` where unreached), by pointer jumping over the reached nodes.
        """
        reached = np.flatnonzero(np.isfinite(upward))
        parent_of = pred[reached].astype(np.int64)
        is_root = parent_of < 0  # the source itself
        parent_of[is_root] = source
        arc = np.searchsorted(self.search_key, parent_of * self.node_count + reached)
        metres = np.where(is_root, 0.0, self.search_length_m[np.minimum(
            arc, len(self.search_key) - 1)])
        local = np.zeros(self.node_count, dtype=np.int64)
        local[reached] = np.arange(len(reached))
        parent = local[parent_of]
        while True:  # after k rounds: metres to the 2**k-th ancestor (or the root)
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            metres = metres + metres[parent]
            parent = grand
        result = np.full(self.node_count, np.inf)
        result[reached] = metres
        return result


def _cones(node_count: int, down: Arcs) -> tuple[_IntArray, _IntArray, _FloatArray,
                                                 _FloatArray]:
    """Every node's cone of nodes above it, with their distances down to it.

    Each node's cone: itself and the nodes above it, with the seconds and metres of the
    fastest way down to it. Laid end to end: (start per node + final end, node, seconds,
    metres).

    Built in waves from the top down (a wave is every node whose parents all have their
    cones), vectorised: a node's cone is its parents' cones shifted by the arc into it,
    keeping per node above the fastest (on equal seconds, the first parent's).
    """
    by_head = np.argsort(down.head, kind="stable")
    tail, head = down.tail[by_head], down.head[by_head]
    cost, length_m = down.cost[by_head], down.length_m[by_head]
    in_start = np.searchsorted(head, np.arange(node_count + 1))
    in_count = np.diff(in_start)
    by_tail = np.argsort(tail, kind="stable")
    out_start = np.searchsorted(tail[by_tail], np.arange(node_count + 1))
    out_count = np.diff(out_start)
    waiting = in_count.copy()  # parents whose cones are not built yet
    cones = _Buffer(2 * node_count)
    begin = np.zeros(node_count, dtype=np.int64)
    size = np.zeros(node_count, dtype=np.int64)
    wave = np.flatnonzero(waiting == 0)  # the core, and nodes with no arc in from above
    while len(wave):
        arcs = _ranges(in_start[wave], in_count[wave])
        parents = tail[arcs]
        picks = _ranges(begin[parents], size[parents])
        copies = size[parents]
        child = np.concatenate([np.repeat(head[arcs], copies), wave])
        above = np.concatenate([cones.node[picks], wave])
        seconds = np.concatenate([cones.cost[picks] + np.repeat(cost[arcs], copies),
                                  np.zeros(len(wave))])
        metres = np.concatenate([cones.length_m[picks] + np.repeat(length_m[arcs], copies),
                                 np.zeros(len(wave))])
        # per (child, node above): the first of the fastest, in parent order
        order = np.argsort(child * node_count + above, kind="stable")
        key, sorted_s = (child * node_count + above)[order], seconds[order]
        group = np.flatnonzero(np.diff(key, prepend=-1))
        best = np.minimum.reduceat(sorted_s, group)
        hits = np.flatnonzero(sorted_s == np.repeat(best, np.diff(group, append=len(key))))
        keep = order[hits[np.diff(np.searchsorted(group, hits, side="right"), prepend=0) > 0]]
        child = child[keep]
        first = np.flatnonzero(np.diff(child, prepend=-1))
        begin[child[first]] = cones.used + first
        size[child[first]] = np.diff(first, append=len(child))
        cones.append(above[keep], seconds[keep], metres[keep])
        children = head[by_tail[_ranges(out_start[wave], out_count[wave])]]
        waiting -= np.bincount(children, minlength=node_count)
        wave = np.unique(children[waiting[children] == 0])
    picks = _ranges(begin, size)
    start = np.concatenate([[0], np.cumsum(size)]).astype(np.int64)
    return start, cones.node[picks], cones.cost[picks], cones.length_m[picks]


class _Buffer:
    """Growing arrays of cone entries (node, seconds, metres)."""

    def __init__(self, capacity: int) -> None:
        self.node = np.empty(capacity, dtype=np.int64)
        self.cost = np.empty(capacity, dtype=np.float64)
        self.length_m = np.empty(capacity, dtype=np.float64)
        self.used = 0

    def append(self, node: _IntArray, cost: _FloatArray, length_m: _FloatArray) -> None:
        end = self.used + len(node)
        if end > len(self.node):
            capacity = max(2 * len(self.node), end)
            self.node = np.concatenate([self.node[:self.used],
                                        np.empty(capacity - self.used, dtype=np.int64)])
            self.cost = np.concatenate([self.cost[:self.used], np.empty(capacity - self.used)])
            self.length_m = np.concatenate([self.length_m[:self.used],
                                            np.empty(capacity - self.used)])
        self.node[self.used:end] = node
        self.cost[self.used:end] = cost
        self.length_m[self.used:end] = length_m
        self.used = end


def _ranges(starts: _IntArray, sizes: _IntArray) -> _IntArray:
    """``starts[i] .. starts[i] + sizes[i] - 1`` for every i, laid end to end."""
    ends = np.cumsum(sizes)
    total = int(ends[-1]) if len(ends) else 0
    ranges: _IntArray = np.repeat(starts - ends + sizes, sizes) + np.arange(total)
    return ranges


def contract(node_count: int, tail: _IntArray, head: _IntArray, cost: _FloatArray,
             length_m: _FloatArray) -> Contraction:
    """Contract nodes while that adds no more shortcuts than it removes arcs.

    ``tail``, ``head``, ``cost`` (seconds) and ``length_m`` (metres) give at most one arc
    per node pair. Returns the contraction order and the upward, downward and core arcs
    (see `Contraction`); a shortcut's metres are the sum of the two arcs it replaces.
    """
    out: list[dict[int, float]] = [{} for _ in range(node_count)]
    into: list[dict[int, float]] = [{} for _ in range(node_count)]
    out_m: list[dict[int, float]] = [{} for _ in range(node_count)]
    for a, b, c, m in zip(tail.tolist(), head.tolist(), cost.tolist(), length_m.tolist(),
                          strict=True):
        out[a][b] = c
        into[b][a] = c
        out_m[a][b] = m

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
    up: list[tuple[int, int, float, float]] = []
    down: list[tuple[int, int, float, float]] = []
    while heap:
        p, level, x = heapq.heappop(heap)
        if done[x] or p != priority[x] or level != depth[x]:
            continue
        if p > 0:
            break
        x_out_m = out_m[x]
        for a, b, c in shortcuts(x):
            out[a][b] = c
            into[b][a] = c
            out_m[a][b] = out_m[a][x] + x_out_m[b]
        for b, c in out[x].items():
            up.append((x, b, c, x_out_m[b]))
            del into[b][x]
        for a, c in into[x].items():
            down.append((a, x, c, out_m[a].pop(x)))
            del out[a][x]
        neighbours = out[x].keys() | into[x].keys()
        out[x], into[x], out_m[x] = {}, {}, {}
        done[x] = True
        order.append(x)
        for y in neighbours:
            priority[y] = edge_difference(y)
            depth[y] = max(depth[y], depth[x] + 1)
            heapq.heappush(heap, (priority[y], depth[y], y))
    core = [(a, b, c, out_m[a][b]) for a in range(node_count) if not done[a]
            for b, c in out[a].items()]
    return Contraction(order=np.array(order, dtype=np.int64), up=Arcs.from_records(up),
                       down=Arcs.from_records(down), core=Arcs.from_records(core))
