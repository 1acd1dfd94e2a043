"""``gridpatrol import checkpoints`` and ``gridpatrol import passages`` in this process: the
same checks as the API, the exit statuses of every importer, each refused row named."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskCliRunner

from app.errors import PARTLY_WRITTEN
from tests.app.passages.conftest import local


def test_checkpoints_then_passages_from_files(runner: FlaskCliRunner, tmp_path: Path,
                                              connection: sa.Connection) -> None:
    sites = tmp_path / "卡口.csv"
    sites.write_bytes("卡口编号,卡口名称,经度,纬度,方向\nK01,深南大道,114.0683,22.5431,东向西\n"
                      "K02,滨河大道,114.0500,22.5300,\n".encode("gb18030"))
    made = runner.invoke(args=["import", "checkpoints", str(sites), "--reason", "network"])
    assert made.exit_code == 0, made.output
    assert "checkpoints: 2 created, 0 updated, 0 refused (gb18030)" in made.output

    good = f"卡口编号,过车时间,号牌号码,方向\nK01,{local(8)},粤B12345,东向西\n" \
           f"K02,{local(8, 30)},粤B12345,\nK01,{local(9)},无牌,东向西\n"
    export = tmp_path / "过车.csv"
    export.write_text(good + f"K01,{local(9, 5)},粤B1$,东向西\nK01,{local(9, 6)},粤B2,北\n",
                      encoding="utf-8")
    refused = runner.invoke(args=["import", "passages", str(export)])
    assert refused.exit_code == 1
    assert "line 5: plate: '粤B1$' is not a number plate" in refused.output
    assert "line 6: direction: '北' is not a direction of checkpoint K01" in refused.output
    assert "nothing was written" in refused.output and "not changed" in refused.output
    count = "SELECT count(*) FROM passages"
    assert connection.execute(sa.text(count)).scalar_one() == 0

    partly = runner.invoke(args=["import", "passages", str(export), "--skip-bad",
                                 "--reason", "March export"])
    assert partly.exit_code == PARTLY_WRITTEN, partly.output
    assert "passages: 2 written, 0 already stored, 1 unread plates skipped, 2 rows refused" \
        in partly.output
    assert connection.execute(sa.text(count)).scalar_one() == 2
    export.write_text(good, encoding="utf-8")
    again = runner.invoke(args=["import", "passages", str(export), "--tz", "Asia/Shanghai"])
    assert again.exit_code == 0, again.output
    assert "0 written, 2 already stored" in again.output
    zone = runner.invoke(args=["import", "passages", str(export), "--tz", "Mars/Olympus"])
    assert zone.exit_code == 2 and "unknown time zone" in zone.output
