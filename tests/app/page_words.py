"""What a page says, and the English names of codes left in a Chinese page.

A Chinese page must not show a code or its English name where a Chinese one exists
("square", "month", "(secondary)"…). These helpers read a page's visible text (not its
scripts, styles or attributes) and list the English names of the given label tables, and
the raw codes themselves, found in it as whole words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape

from flask import Flask
from flask_babel import force_locale

from app import labels

_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def visible_text(html: str) -> str:
    """The text a reader sees: markup, scripts and styles removed, entities decoded."""
    return unescape(_TAG.sub(" ", _HIDDEN.sub(" ", html)))


def english_names(app: Flask, tables: Iterable[str]) -> set[str]:
    """The English names of every code of ``tables``, and the codes (when a code is a
    word a reader could take for English: ``square``, ``patrol_car``, not ``HH``)."""
    names: set[str] = set()
    with app.test_request_context(), force_locale("en"):
        for table in tables:
            for code, name in labels.labels_of(table).items():
                names.add(name)
                if re.fullmatch(r"[a-z][a-z_ ]{2,}", code):
                    names.add(code)
    return names


def english_left(text: str, names: Iterable[str], *, allowed: Iterable[str] = ()) -> list[str]:
    """The ``names`` found in ``text`` as whole words (case as given), after removing
    ``allowed`` strings (the data of the page: unit callsigns, place names…)."""
    for data in sorted(allowed, key=len, reverse=True):
        text = text.replace(data, " ")
    return sorted(n for n in names
                  if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text))
