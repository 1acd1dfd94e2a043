"""Crime analysis: incident import, hot-spot runs and saved results (service), the analyst
page (`pages`), its API (`api`) and folium map (`map`)."""
