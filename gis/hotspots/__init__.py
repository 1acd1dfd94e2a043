"""Hot-spot statistics for crime analysts: pure functions of counts, cells and points.

* :mod:`~gis.hotspots.weights` - spatial weights between grid cells (distance band,
  queen contiguity) and incident points counted into cells;
* :mod:`~gis.hotspots.gi_star` - Getis-Ord Gi* hot and cold spots (Esri's Gi_Bin) with
  analytical p-values as Esri, or a vectorised conditional permutation test
  (:mod:`~gis.hotspots.permutation`), and Esri's FDR correction
  (:mod:`~gis.hotspots.significance`, which states the conventions);
* :mod:`~gis.hotspots.lisa` - local Moran's I clusters and outliers (esda);
* :mod:`~gis.hotspots.kde` - kernel density rasters and Leaflet heat layers;
* :mod:`~gis.hotspots.emerging` - emerging hot-spot patterns over time, with the
  Mann-Kendall trend test (:mod:`~gis.hotspots.mann_kendall`);
* :mod:`~gis.hotspots.temporal` - hour x weekday and monthly counts that respect each
  record's time resolution.

Coordinates are metres in a projected CRS; cells and values are aligned by position.
``esda`` and ``libpysal`` are needed only by :func:`local_moran` and :func:`to_libpysal`.
"""

from gis.hotspots.emerging import (
    EmergingHotSpots,
    EmergingPattern,
    classify_emerging,
    emerging_hot_spots,
)
from gis.hotspots.gi_star import GiStarResult, gi_star
from gis.hotspots.kde import (
    DensityRaster,
    heat_layer_points,
    kernel_density,
    kernel_density_of,
    silverman_bandwidth_m,
)
from gis.hotspots.lisa import LocalMoranResult, local_moran
from gis.hotspots.mann_kendall import MannKendallResult, mann_kendall
from gis.hotspots.significance import (
    benjamini_hochberg,
    confidence_bins,
    critical_p_values,
    fdr_critical_p,
    two_sided_from_z,
)
from gis.hotspots.temporal import (
    HourWeekdayCounts,
    MonthlyCounts,
    hour_weekday_counts,
    monthly_counts,
)
from gis.hotspots.weights import (
    count_points_in_cells,
    distance_band_weights,
    distance_band_weights_xy,
    locate_points_in_cells,
    queen_weights,
    to_libpysal,
)

__all__ = [
    "DensityRaster",
    "EmergingHotSpots",
    "EmergingPattern",
    "GiStarResult",
    "HourWeekdayCounts",
    "LocalMoranResult",
    "MannKendallResult",
    "MonthlyCounts",
    "benjamini_hochberg",
    "classify_emerging",
    "confidence_bins",
    "count_points_in_cells",
    "critical_p_values",
    "distance_band_weights",
    "distance_band_weights_xy",
    "emerging_hot_spots",
    "fdr_critical_p",
    "gi_star",
    "heat_layer_points",
    "hour_weekday_counts",
    "kernel_density",
    "kernel_density_of",
    "local_moran",
    "locate_points_in_cells",
    "mann_kendall",
    "monthly_counts",
    "queen_weights",
    "silverman_bandwidth_m",
    "to_libpysal",
    "two_sided_from_z",
]
