"""Geography API routes: roads, areas, grids, POIs (`geo`), routing, basemap tiles."""
