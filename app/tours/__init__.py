"""Video patrol tours (视频轮巡): tours made by hand or proposed from the crime data
(tours, propose), operators playing them on a video wall (runs: what was shown, tile by
tile, by the server's clock), findings flagged from the wall (findings, frames: an
incident or a red alert with the server's frame) and the tour report (report)."""
