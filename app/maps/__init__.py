"""folium map builders; every script and style sheet is served by the app itself."""
