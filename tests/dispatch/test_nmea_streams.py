"""NMEA streams cut into receiver epochs and named: a new time of day begins an epoch,
other sentences ride along, a box names itself with @id, sources map to radios."""

from __future__ import annotations

from dispatch.nmea_streams import (
    MAX_EPOCH_LINES,
    EpochSplitter,
    device_line,
    epoch_time,
    source_radio,
)
from tests.conftest import SHARED_DATA

UBLOX = SHARED_DATA / "radio" / "nmea" / "ublox-neo-m9n-nmea.log"


def test_position_sentences_carry_the_epoch_time() -> None:
    assert epoch_time("$GNRMC,223745.00,A,3806.62964,N,12237.61382,W,0.040,,110720,,,D,V*0E"
                      ) == "223745.00"
    assert epoch_time("$BDGGA,074156.799,3114.8950,N,12135.2442,E,1,07*7B") == "074156.799"
    assert epoch_time("$GPGLL,4916.45,N,12311.12,W,225444,A*31") == "225444"
    assert epoch_time("$GNGSA,A,3,29,20*0E") is None
    assert epoch_time("$GNGGA,,,,,,0*44") is None and epoch_time("hello") is None


def test_a_real_log_is_cut_into_its_epochs() -> None:
    lines = [ln for ln in UBLOX.read_text().splitlines() if ln.startswith("$")]
    splitter = EpochSplitter()
    epochs = [e for line in lines for e in splitter.feed(line)] + splitter.flush()
    times = [{epoch_time(ln) for ln in e} - {None} for e in epochs]
    assert all(len(t) == 1 for t in times)  # one time of day per epoch
    assert len(epochs) == len({next(iter(t)) for t in times}) == 61
    assert sum(len(e) for e in epochs) == len(lines)  # nothing lost between them
    assert splitter.flush() == []


def test_a_box_without_times_is_cut_anyway() -> None:
    splitter = EpochSplitter()
    cut = [e for _ in range(MAX_EPOCH_LINES + 1) for e in splitter.feed("$GPGSA,A,3*00")]
    assert [len(e) for e in cut] == [MAX_EPOCH_LINES]


def test_sources_name_their_radio() -> None:
    assert device_line("@AVL-0042\r\n") == "AVL-0042"
    assert device_line("@") is None and device_line("$GPGGA,@x") is None
    mapped = {"AVL-0042": "4711", "10.1.2.3": "4712"}
    assert source_radio("10.9.9.9", "AVL-0042", sources=mapped) == "4711"
    assert source_radio("10.1.2.3", None, sources=mapped) == "4712"
    assert source_radio("10.9.9.9", "AVL-7", sources=mapped) == "AVL-7"
    assert source_radio("10.9.9.9", None, sources=mapped) == "ip-10.9.9.9"
    assert source_radio("fe80::1%eth0", None, sources={}) == "ip-fe80..1.eth0"
