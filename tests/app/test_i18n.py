"""zh_CN and en: the user's setting wins, then Accept-Language; the catalogue is complete."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from tests.conftest import Accounts, bearer, csrf_token, login

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None,
            "ngettext": (1, 2), "Note": None}
# as scripts/translations.py: gettext's markers in app/, and notes (runtime.notes.Note) in
# every package, whose templates a page words in its reader's language
METHOD_MAP = [("app/**.py", "python"), ("app/templates/**.html", "jinja2"),
              *((f"{package}/**.py", "python") for package in ("dispatch", "gis", "patrol"))]


def test_accept_language_picks_chinese(client: FlaskClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "登录" in page.get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "en-GB"})
    assert "Sign in" in english.get_data(as_text=True)


def test_user_setting_beats_the_browser(client: FlaskClient, accounts: Accounts) -> None:
    account = accounts.create("viewer")
    client.patch("/api/v1/me", headers=bearer(account), json={"locale": "zh_CN"})
    login(client, account)
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "地图指挥台" in page and "查看者" in page
    token = csrf_token(client, "/")
    client.post("/settings/language", data={"locale": "en", "csrf_token": token})
    assert "Map console" in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)


def test_anonymous_choice_is_kept_in_the_session(client: FlaskClient) -> None:
    token = csrf_token(client)
    client.post("/settings/language", data={"locale": "zh_CN", "csrf_token": token})
    assert "登录" in client.get("/login", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    bad = client.post("/settings/language", data={"locale": "xx", "csrf_token": token})
    assert bad.status_code == 400


def test_every_visible_string_has_a_chinese_translation() -> None:
    extracted = {message for _, _, message, _, _ in
                 extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS)}
    extracted = {m if isinstance(m, str) else m[0] for m in extracted}
    assert len(extracted) > 30
    with open(ROOT / "app/translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and not m.fuzzy
                  and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    assert sorted(extracted - translated) == []
    plural = {m.id[0] for m in catalog if m.id and m.pluralizable}
    singular_only = {m for m in extracted_plurals() if m not in plural}
    assert sorted(singular_only) == []  # an ngettext message kept as a plain one is never found


def test_translations_keep_the_placeholders_of_their_message() -> None:
    """A note's template is worded with its arguments: a translation naming another
    placeholder (or dropping one) would fall back to English."""
    with open(ROOT / "app/translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    placeholder = re.compile(r"%\((\w+)\)s|%%")
    wrong = [(m.id, m.string) for m in catalog
             if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
             and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))]
    assert wrong == []


def extracted_plurals() -> set[str]:
    """The singular of every ngettext message in app/."""
    return {message[0] for _, _, message, _, _ in
            extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS)
            if not isinstance(message, str)}
