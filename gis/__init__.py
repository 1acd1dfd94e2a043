"""Pure spatial logic for gridpatrol: no Flask, no SQLAlchemy, no network.

GeoDataFrames, shapely geometries, numpy arrays and graphs in; the same out.
See gis/README.md for the rule (enforced by ruff and by tests/test_purity.py).
"""
