"""Maintenance: maintainers (contractors), the cameras they keep, and tickets."""
