"""Where to add cameras (pure).

Candidate cameras and demand, and the maximal covering problem solved with HiGHS against
a greedy pick.

* :mod:`~gis.placement.mclp` - the numeric core: a coverage matrix and weights in, the
  chosen candidates with their marginal gains and the proven gap out;
* :mod:`~gis.placement.problem` - the geographic adapter: candidates at junctions (kinds
  and directions), demand from road length and recency-weighted incidents, what existing
  cameras already serve.
"""

from __future__ import annotations

from gis.placement.mclp import PlacementSolution, covered_weight, greedy_mclp, solve_mclp

__all__ = ["PlacementSolution", "covered_weight", "greedy_mclp", "solve_mclp"]
