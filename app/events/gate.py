"""What the events service and the app agree on: the stream's path and the gate question.

The events service owns ``GET /api/v1/events``; before it opens a stream it asks the app
the same request with :data:`GATE_HEADER` set, and the app answers who is asking (or
refuses, with its own sign-in and role rules). Asked without that header — a browser that
reached the app server directly — the app answers 421: the stream is not served there.
"""

from __future__ import annotations

EVENTS_PATH = "/api/v1/events"
GATE_HEADER = "X-Gridpatrol-Events-Gate"
