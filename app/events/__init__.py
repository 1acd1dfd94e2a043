"""Live events: PostgreSQL NOTIFY in, Server-Sent Events out, from an event loop.

Triggers (migration 0003) announce every committed change to units, alerts, alert
timelines, the radio log and cameras on one channel. The events service — the front of
``gridpatrol serve`` (``app.serving``) — listens there with one connection
(:mod:`app.events.hub`), numbers each notification into a bounded ring
(:mod:`app.events.ring`) and writes it to every open console (:mod:`app.events.stream`),
so an open console holds a socket in an event loop, never a request worker. The app's side
is :mod:`app.events.api`: it answers the service who opens a stream (:mod:`app.events.gate`).
"""
