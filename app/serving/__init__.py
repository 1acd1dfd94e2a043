"""How gridpatrol is served: ``gridpatrol serve`` starts a front and the app server.

- ``front``: the aiohttp server on ``GRIDPATROL_BIND``; serves the event streams itself
  (``app.events``) and passes everything else on (``proxy``);
- the app server: gunicorn's threaded workers running the Flask app, on a unix socket in
  ``instance/run/`` (``supervisor`` starts it, stops it, and ends with it);
- ``service_user``: started as root, everything runs as the ``gridpatrol`` system user;
- ``forwarded``: the app believes the front's ``X-Forwarded-For`` (and nobody else's).
"""

from __future__ import annotations

from flask import Flask

from app.serving.forwarded import ClientAddressFromLocalProxy


def init_app(app: Flask) -> None:
    app.wsgi_app = ClientAddressFromLocalProxy(app.wsgi_app)  # type: ignore[method-assign]
