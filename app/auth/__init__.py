"""Sign-in, sign-out and the user's own settings."""

from __future__ import annotations

from flask import Flask

from app.auth import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
