"""The dispatcher's map console: the page (`pages`) and its folium map (`map`)."""
