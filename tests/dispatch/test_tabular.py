"""The text of an imported file whatever its encoding, and binary files refused."""

from __future__ import annotations

import random

import pytest

from dispatch.tabular import UnreadableText, decode_text

TEXT = "名称,经度,纬度\n东门,116.39,39.91\n"


@pytest.mark.parametrize(("data", "encoding"), [
    (TEXT.encode(), "utf-8"),
    (TEXT.encode("utf-8-sig"), "utf-8"),
    (TEXT.encode("gb18030"), "gb18030"),
    (TEXT.encode("utf-16"), "utf-16"),
    ("name,lon\nGate,1\n".encode("utf-16-le"), "utf-16"),
    (TEXT.encode() + b"\x1a", "utf-8"),  # a DOS end-of-file mark is dropped
])
def test_text_is_read_in_any_of_its_usual_encodings(data: bytes, encoding: str) -> None:
    text, used = decode_text(data)
    assert used == encoding
    assert text.rstrip("\n").split("\n")[0] in (TEXT.split("\n")[0], "name,lon")


def test_a_stray_control_character_is_left_to_the_cell_that_holds_it() -> None:
    assert decode_text(b"name,note\nA,ring \x07 bell\n")[0].endswith("\x07 bell\n")


@pytest.mark.parametrize(("data", "message"), [
    (random.Random(3).randbytes(2000), "binary, not text (it holds NUL bytes)"),
    (b"PK\x03\x04\x14\x00\x06\x00" + b"x" * 100, "binary, not text (it holds NUL bytes)"),
    (b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 10, "control characters"),
    (b"\xff\xfe\xff" + b"a" * 10 + b"\xd8", "not valid UTF-16"),
    (b"\x81\x20abc\xff", "neither UTF-8 nor GB18030 nor UTF-16 text"),
])
def test_binary_or_undecodable_files_are_refused_naming_why(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableText, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_text(data)
