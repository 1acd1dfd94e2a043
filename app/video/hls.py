"""The names of a live conversion's HLS files, shared by the conversions (``live``), the
API that serves them and the front's MJPEG streams (``mjpeg``) — kept free of heavy
imports, as the front loads it."""

from __future__ import annotations

import re

PLAYLIST = "index.m3u8"
SEGMENT_NAME = re.compile(r"^seg-\d{6}\.ts$")
