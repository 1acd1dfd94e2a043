"""The map itself: OSM, boundary and grid imports, the served road graph, roads, areas,
grids, POIs and the vector basemap tiles."""
