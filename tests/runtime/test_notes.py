"""A note is its English text, and keeps the template and arguments it was written from."""

from __future__ import annotations

import json

import pytest

from runtime.notes import Note, note_json


def test_a_note_is_its_english_text() -> None:
    trip = Note("%(there)s there and %(back)s back", there="5 min", back="7 min")
    note = Note("%(unit)s needs %(trip)s for %(rows)s rows at 50 %%", unit="P-1", trip=trip,
                rows=12_345)
    assert note == "P-1 needs 5 min there and 7 min back for 12,345 rows at 50 %"
    assert isinstance(note, str) and json.dumps(note) == json.dumps(str(note))
    assert f"{note}!" == str(note) + "!"


def test_its_json_keeps_the_template_and_arguments_nested() -> None:
    trip = Note("%(there)s there and %(back)s back", there="5 min", back="7 min")
    note = Note("%(unit)s needs %(trip)s (%(rows)s rows)", unit="P-1", trip=trip, rows=3)
    assert note_json(note) == {
        "text": "%(unit)s needs %(trip)s (%(rows)s rows)",
        "args": {"unit": "P-1", "rows": 3,
                 "trip": {"text": "%(there)s there and %(back)s back",
                          "args": {"there": "5 min", "back": "7 min"}}}}
    assert note_json("plain text") is None
    assert note_json(Note("queued")) == {"text": "queued", "args": {}}


@pytest.mark.parametrize("value", [1.5, True, None, ["a"]])
def test_an_argument_is_a_text_an_integer_or_a_note(value: object) -> None:
    with pytest.raises(TypeError, match="must be a text, an integer or a note"):
        Note("%(x)s", x=value)  # type: ignore[arg-type]


def test_a_missing_argument_is_refused() -> None:
    with pytest.raises(KeyError):
        Note("%(x)s and %(y)s", x="1")
