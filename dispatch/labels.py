"""Codes with console labels: one enum base for the values shown in English and Chinese.

Unit statuses and kinds and camera kinds and statuses are stable codes (stored in the
database and sent over the API) that the console shows by a label in the user's language.
They all derive from :class:`LabelledEnum`, whose members are declared with their value and
both labels in one place::

    class CameraStatus(LabelledEnum):
        ONLINE = "online", "Online", "在线"

A member is its value: it is a :class:`str` equal to (and hashing like) its code, and
``str()``, ``format()`` and :func:`json.dumps` give the code, as for a plain
:class:`~enum.StrEnum`. The labels are read-only properties.

Names accepted on entry and import (each code and label, plus extra synonyms) come from
:meth:`LabelledEnum.alias_map`; :func:`parse_alias` looks a name up in such a map.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Self, TypeVar

_L = TypeVar("_L", bound="LabelledEnum")


def _new_labelled_member(cls: type[_L], value: str, label_en: str, label_zh: str) -> _L:
    # Builds one member from its declaration (``NAME = value, label_en, label_zh``); the
    # enum machinery calls it only while the class is created.
    for name, text in (("value", value), ("label_en", label_en), ("label_zh", label_zh)):
        if not isinstance(text, str):
            raise TypeError(f"{cls.__name__}: {name} must be a str, got {text!r}")
        if not text.strip():
            raise ValueError(f"{cls.__name__}: {name} is blank for value {value!r}")
    member = str.__new__(cls, value)
    member._value_ = value
    member._label_en = label_en
    member._label_zh = label_zh
    return member


class LabelledEnum(StrEnum):
    """A string enum whose members carry an English and a Chinese (zh-CN) console label.

    Declare each member as ``NAME = "value", "English label", "中文标签"``. The value is the
    stable code; lookup by value (``Kind("code")``), iteration order, equality with the
    code, hashing, pickling and JSON are those of :class:`~enum.StrEnum`.

    Raises
    ------
    TypeError
        At class creation, when a value or a label is not a string.
    ValueError
        At class creation, when a value or a label is empty or blank.
    """

    _value_: str
    _label_en: str
    _label_zh: str

    # Once the class exists, ``Kind("code")`` looks a member up by its value: that is the
    # call type checkers should see. The three-argument builder is hidden from them, so
    # that they also take ``.value`` to be the ``str`` declared in ``_value_``.
    if TYPE_CHECKING:
        def __new__(cls, value: str) -> Self:
            """Look up the member whose value is ``value``."""
            ...
    else:
        __new__ = _new_labelled_member

    @property
    def label_en(self) -> str:
        """English label shown on the console."""
        return self._label_en

    @property
    def label_zh(self) -> str:
        """Chinese (zh-CN) label shown on the console."""
        return self._label_zh

    def label(self, locale: str | None) -> str:
        """Return the label in the language of ``locale``.

        Parameters
        ----------
        locale : str or None
            A locale name such as ``"zh_CN"``, ``"zh-Hans-CN"``, ``"zh"`` or ``"en"``
            (``str()`` of a Babel locale will do); None for the default.

        Returns
        -------
        str
            :attr:`label_zh` for any Chinese locale (its language part is ``zh``, in any
            case), otherwise :attr:`label_en`.
        """
        if locale is not None and locale.replace("-", "_").split("_")[0].casefold() == "zh":
            return self._label_zh
        return self._label_en

    @classmethod
    def alias_map(cls, extra: Mapping[str, Self] | None = None) -> Mapping[str, Self]:
        """Return the names accepted for the members, keyed by their case-folded form.

        Parameters
        ----------
        extra : Mapping[str, Self] or None
            Synonyms beyond the codes and labels (e.g. ``{"bullet": CameraKind.FIXED}``);
            their keys are trimmed and case-folded too.

        Returns
        -------
        Mapping[str, Self]
            A read-only map from each member's value, English label and Chinese label, and
            each extra name, trimmed and case-folded, to its member.

        Raises
        ------
        ValueError
            When one name would stand for two different members.
        """
        names: dict[str, Self] = {}
        pairs = [(text, member) for member in cls
                 for text in (member.value, member._label_en, member._label_zh)]
        if extra:
            pairs.extend(extra.items())
        for text, member in pairs:
            key = text.strip().casefold()
            known = names.setdefault(key, member)
            if known is not member:
                raise ValueError(
                    f"{cls.__name__}: {text!r} names both {known.name} and {member.name}"
                )
        return MappingProxyType(names)


def parse_alias(value: object, aliases: Mapping[str, _L]) -> _L | object:
    """Return the member a name stands for, else ``value`` unchanged.

    Parameters
    ----------
    value : object
        What was entered or imported; only a string is looked up.
    aliases : Mapping[str, LabelledEnum]
        Case-folded names to members, as built by :meth:`LabelledEnum.alias_map`.

    Returns
    -------
    LabelledEnum or object
        The member ``aliases`` maps the trimmed, case-folded ``value`` to; ``value`` itself
        when it is not a string or not a known name (so that a validator can reject it
        with its own message).
    """
    if isinstance(value, str):
        return aliases.get(value.strip().casefold(), value)
    return value
