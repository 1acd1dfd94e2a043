"""Which UTF-16 a file is in: with a byte-order mark, or sniffed from where the NULs are."""

from __future__ import annotations

import random

import pytest

from runtime.text import utf16_codec

SAMPLES = ["name,lon,lat\nGate,-0.09,51.51\n", "名称,经度,纬度\n东门,116.39,39.91\n",
           "第一中学,116.39,39.91\n" * 20]  # 一 is U+4E00: a NUL on the low side too


@pytest.mark.parametrize("text", SAMPLES)
def test_utf16_is_recognised_with_and_without_a_byte_order_mark(text: str) -> None:
    assert utf16_codec(text.encode("utf-16")) == "utf-16"
    assert utf16_codec("\ufeff".encode("utf-16-be") + text.encode("utf-16-be")) == "utf-16"
    if "," in text:
        assert utf16_codec(text.encode("utf-16-le")) == "utf-16-le"
        assert utf16_codec(text.encode("utf-16-be")) == "utf-16-be"


@pytest.mark.parametrize("data", [b"", b"ab", "名称,经度\n".encode(), "名称".encode("gb18030"),
                                  random.Random(1).randbytes(4000), b"\x00" * 100,
                                  b"PK\x03\x04" + bytes(200)])
def test_other_bytes_are_not_utf16(data: bytes) -> None:
    assert utf16_codec(data) is None
