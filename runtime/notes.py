"""Messages that stay translatable after they are written: a template and its arguments.

A long function tells its progress ("3 of 99 permutations"), a solver says why a stop is
left out, a job leaves a line on its record. The pure packages write English; the pages
show the reader's language, which the code writing the message does not know (a worker
has no reader). A :class:`Note` is both: it *is* the English text (a :class:`str`, so every
caller that prints, logs, compares or stores text keeps working) and it keeps the template
— the gettext message id, with ``%(name)s`` placeholders — and the arguments, so that the
app can store them (:meth:`Note.to_json`) and word the message again in any language.

The templates are extracted into the app's catalogue like any other string
(``scripts/translations.py`` looks for ``Note("…")`` in every package).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Union

NoteArg = Union[str, int, "Note"]
"""An argument: a number (written with thousands separators), a text (data: a callsign,
a time, a file name, written as it is) or a note (worded in the reader's language too)."""


class Note(str):
    """An English message with the template and arguments it was written from.

    Parameters
    ----------
    template : str
        The message in English with ``%(name)s`` placeholders (``%%`` for a percent sign);
        it is the gettext message id.
    **args : str, int or Note
        The values of the placeholders.

    Raises
    ------
    KeyError
        When the template names a placeholder not given.
    TypeError
        When an argument is neither a text, an integer nor a note.
    """

    template: str
    args: Mapping[str, NoteArg]

    def __new__(cls, template: str, /, **args: NoteArg) -> Note:
        """Write ``template`` with ``args`` in English."""
        for name, value in args.items():
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise TypeError(f"Note argument {name!r} must be a text, an integer or a "
                                f"note, not {type(value).__name__}")
        note = super().__new__(cls, template % {k: english(v) for k, v in args.items()})
        note.template = template
        note.args = MappingProxyType(dict(args))
        return note

    def to_json(self) -> dict[str, Any]:
        """The note as JSON: ``{"text": template, "args": {name: value or note}}``."""
        return {"text": self.template,
                "args": {name: value.to_json() if isinstance(value, Note) else value
                         for name, value in self.args.items()}}


def english(value: NoteArg) -> str:
    """An argument as the English text writes it: an integer with thousands separators."""
    if isinstance(value, str):
        return str.__str__(value)
    return f"{value:,}"


def note_json(message: str) -> dict[str, Any] | None:
    """The JSON of ``message`` when it is a :class:`Note`, else None."""
    return message.to_json() if isinstance(message, Note) else None
