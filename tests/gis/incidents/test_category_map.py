"""An analyst's category map file: read back, checked, and written for unmapped values."""

from __future__ import annotations

from pathlib import Path

import pytest

from gis.errors import CategoryTableError
from gis.incidents import category_map_csv, read_category_map


def test_the_unmapped_file_filled_in_reads_back(tmp_path: Path) -> None:
    text = category_map_csv({"Knitting": 3, "THEFT PLAIN - PETTY": 10, "Juggling": 1})
    assert text.splitlines() == ["source_category,count,category", "THEFT PLAIN - PETTY,10,",
                                 "Knitting,3,", "Juggling,1,"]
    filled = text.replace("Knitting,3,", "Knitting,3,Anti_Social_Behaviour").replace(
        "PETTY,10,", "PETTY,10,theft")
    path = tmp_path / "map.csv"
    path.write_text(filled, encoding="utf-8")
    assert read_category_map(path) == {"THEFT PLAIN - PETTY": "theft",
                                       "Knitting": "anti_social_behaviour"}


def test_chinese_headers_gb18030_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_bytes("源类别;类别\n偷电瓶;theft\n".encode("gb18030"))
    assert read_category_map(path) == {"偷电瓶": "theft"}


@pytest.mark.parametrize(("text", "message"), [
    ("value,code\nx,theft\n", "needs a header with the columns source_category"),
    ("source_category,category\nx,housebreaking\n", "line 2: unknown category 'housebreaking'"),
    ("source_category,category\nx,theft\nX ,fraud\n", "line 3: 'X' is mapped to 'theft' on line 2"),
])
def test_bad_maps_are_refused_with_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "map.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CategoryTableError, match=message):
        read_category_map(path)
