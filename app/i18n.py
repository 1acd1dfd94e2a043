"""Interface language: the user's setting wins, then the browser's Accept-Language."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale, lazy_gettext
from flask_login import current_user

from app.config import SUPPORTED_LOCALES

babel = Babel()
LANGUAGE_NAMES = {"en": "English", "zh_CN": "中文（简体）"}


def select_locale() -> str:
    if not has_request_context():  # a job in the worker: the configured language
        return str(current_app.config["DEFAULT_LOCALE"])
    if current_user and current_user.is_authenticated and current_user.locale:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return str(chosen)
    best = request.accept_languages.best_match(["en", "zh_CN", "zh"])
    if best == "zh":
        return "zh_CN"
    return best or str(current_app.config["DEFAULT_LOCALE"])


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["get_locale"] = get_locale


def role_label(role: str) -> str:
    """The translated name of a role."""
    return str(ROLE_LABELS.get(role, role))


ROLE_LABELS = {
    "admin": lazy_gettext("admin"),
    "dispatcher": lazy_gettext("dispatcher"),
    "supervisor": lazy_gettext("supervisor"),
    "analyst": lazy_gettext("analyst"),
    "viewer": lazy_gettext("viewer"),
    "device": lazy_gettext("device"),
    "video_operator": lazy_gettext("video operator"),
    "maintainer": lazy_gettext("maintainer"),
}
