"""Recording URL templates: the NVR forms filled by hand, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatch.cameras.recording import (
    InvalidRecordingTemplate,
    check_recording_template,
    fill_recording_template,
)

START = datetime(2025, 3, 1, 21, 14, 0, tzinfo=UTC)
END = datetime(2025, 3, 1, 21, 19, 30, 250_000, tzinfo=UTC)


def test_hikvision_dahua_iso_unix_and_strftime_forms() -> None:
    hik = ("rtsp://admin:pw@10.0.0.5:554/Streaming/tracks/101?starttime={start:hikvision}"
           "&endtime={end:hikvision}")
    assert fill_recording_template(hik, start=START, end=END) == (
        "rtsp://admin:pw@10.0.0.5:554/Streaming/tracks/101?starttime=20250301T211400Z"
        "&endtime=20250301T211931Z")
    dahua = ("rtsp://10.0.0.6:554/cam/playback?channel=1&subtype=0&starttime={start:dahua}"
             "&endtime={end:dahua}")
    assert fill_recording_template(dahua, start=START, end=END,
                                   local_zone="Asia/Shanghai") == (
        "rtsp://10.0.0.6:554/cam/playback?channel=1&subtype=0"
        "&starttime=2025_03_02_05_14_00&endtime=2025_03_02_05_19_31")
    web = "https://vms.example/play?cam=3&from={start}&to={end}&t={start:unix}"
    assert fill_recording_template(web, start=START, end=END) == (
        "https://vms.example/play?cam=3&from=2025-03-01T21:14:00Z&to=2025-03-01T21:19:31Z"
        "&t=1740863640")
    own = "http://nvr/x?a={start:%Y%m%d%H%M}&b={end:local}"
    assert fill_recording_template(own, start=START, end=END, local_zone="Europe/Berlin") == (
        "http://nvr/x?a=202503012214&b=2025-03-01T22:19:31")


@pytest.mark.parametrize("template", [
    "rtsp://nvr/x?s={start}",  # no end
    "rtsp://nvr/x?s={begin}&e={end}",  # unknown placeholder
    "rtsp://nvr/x?s={start:julian}&e={end}",  # unknown form
    "rtsp://nvr/x?s={start}&e={end}&{x",  # stray brace
    "ftp://nvr/x?s={start}&e={end}",  # scheme
    "rtsp:///x?s={start}&e={end}",  # no host
    "rtsp://nvr/x y?s={start}&e={end}",  # space
    "javascript:alert(1)//{start}{end}",
])
def test_refused_templates(template: str) -> None:
    with pytest.raises(InvalidRecordingTemplate):
        check_recording_template(template)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidRecordingTemplate):
        fill_recording_template("rtsp://nvr/?s={start}&e={end}",
                                start=START.replace(tzinfo=None), end=END)
