"""A CSV export's layout from its header alone: the same answer as reading the whole file
(the real exports), the same refusals, and the decoding rules of the reader on a cut
head of the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gis.errors import IncidentFileError, MissingColumnError, UnknownIncidentLayoutError
from gis.incidents import parse_mapping, read_incidents
from gis.incidents.peek import HEAD_BYTES, check_csv_layout, csv_headers
from tests.gis.incidents.test_reader import HEADER, police_row
from tests.gis.incidents.test_real_exports import LONDON, SF


def test_the_real_exports_are_recognised_from_their_header_as_when_read() -> None:
    for path in [SF, *sorted(LONDON.glob("*.csv"))[:3]]:
        data = path.read_bytes()
        assert len(data) > HEAD_BYTES  # only the head is looked at
        preset = check_csv_layout(data, name=path.name)
        assert preset == read_incidents(path).layouts[path.name] is not None


def test_the_header_refuses_what_the_reader_would() -> None:
    custom = "编号,发生时间,类别,经度,纬度\nA1,2024-03-01 08:30,盗窃,-0.095,51.515\n"
    data = custom.encode("gb18030")
    with pytest.raises(UnknownIncidentLayoutError, match="发生时间"):
        check_csv_layout(data, name="警情.csv")
    mapping = parse_mapping("id=编号,datetime=发生时间,category=类别,lon=经度,lat=纬度")
    assert check_csv_layout(data, name="警情.csv", mapping=mapping) is None
    wrong = parse_mapping("id=编号,datetime=时间,category=类别,lon=经度,lat=纬度")
    with pytest.raises(MissingColumnError, match="'时间'"):
        check_csv_layout(data, name="警情.csv", mapping=wrong)
    with pytest.raises(IncidentFileError, match="empty"):
        check_csv_layout(b"\n\n  \n", name="blank.csv")
    with pytest.raises(IncidentFileError, match="binary"):
        check_csv_layout(b"PK\x03\x04\x00\x00", name="sheet.csv")
    with pytest.raises(IncidentFileError, match="not utf-8 text"):
        check_csv_layout(b"\xff\xfe\xfd,a\n", name="odd.csv", encoding="utf-8")


def test_a_head_cut_inside_a_character_and_other_encodings(tmp_path: Path) -> None:
    row = police_row("a1", location="On or near Straße 中文") + "\n"
    body = HEADER + "\n" + row * (HEAD_BYTES // len(row.encode()) + 5)
    for encoding in ("utf-8-sig", "gb18030", "utf-16"):
        data = body.encode(encoding)
        # the head ends inside a multi-byte character somewhere: still read
        assert csv_headers(data, name="x.csv")[:2] == ("Crime ID", "Month"), encoding
        assert check_csv_layout(data, name="x.csv") == "police_uk", encoding
    semicolons = b"Crime ID;Month;Longitude;Latitude;Crime type\n"
    assert csv_headers(semicolons, name="s.csv")[-1] == "Crime type"
    assert csv_headers(b'"Crime, ID",x\n', name="q.csv") == ("Crime, ID", "x")
