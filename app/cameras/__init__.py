"""Cameras: registry API, coverage refresh, snapshots (cache and frame grabbing) and the
SQL that reads them (`repository`)."""
