"""The own broker's files and secrets, MQTT URLs, and the journal on its own."""

from __future__ import annotations

import base64
import hashlib
import socket
import stat
import time
from pathlib import Path

import pytest

from app.ingest.broker import Broker, BrokerError, password_hash
from app.ingest.repository.journal import Journal, Received
from app.ingest.target import MqttUrlError, parse_mqtt_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_secrets_and_acl(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "mqtt", tmp_path / "secrets", port=18830)
    broker.add_terminal("4711")
    assert broker.terminals() == ["4711"]
    assert mode(tmp_path / "secrets") == 0o700
    assert mode(broker.secrets.path("radio-4711")) == 0o600
    for name in ("passwd", "acl", "mosquitto.conf"):
        assert mode(tmp_path / "mqtt" / name) == 0o600
    passwd = dict(line.split(":", 1) for line in
                  (tmp_path / "mqtt" / "passwd").read_text().splitlines())
    assert set(passwd) == {"gridpatrol-ingest", "gridpatrol-app", "trunk-recorder",
                           "gridpatrol-replay", "radio-4711"}
    secret = broker.secrets.secret("radio-4711")
    assert secret not in (tmp_path / "mqtt" / "passwd").read_text()
    _, _, iterations, salt, digest = passwd["radio-4711"].split("$")
    assert base64.b64encode(hashlib.pbkdf2_hmac(
        "sha512", secret.encode(), base64.b64decode(salt), int(iterations))).decode() == digest
    acl = (tmp_path / "mqtt" / "acl").read_text()
    assert "user radio-4711\ntopic write gridpatrol/units/4711/position\n" in acl
    assert "topic read gridpatrol/units/4711/orders" in acl
    assert "topic write gridpatrol/units/4711/orders" not in acl
    replay = acl.split("user gridpatrol-replay\n", 1)[1].split("\n\n", 1)[0]
    assert "topic write gridpatrol/units/+/nmea" in replay and "orders" not in replay
    conf = (tmp_path / "mqtt" / "mosquitto.conf").read_text()
    assert "listener 18830 127.0.0.1\n" in conf and "allow_anonymous false" in conf
    assert broker.url("radio-4711").startswith("mqtt://radio-4711@127.0.0.1:18830?passfile=")
    assert broker.remove_terminal("4711") and broker.terminals() == []
    assert "radio-4711" not in (tmp_path / "mqtt" / "acl").read_text()


def test_a_taken_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = Broker(tmp_path / "mqtt", tmp_path / "s", port=taken.getsockname()[1])
        with pytest.raises(BrokerError, match="taken by another program"):
            broker.start()
    assert not broker.is_running()


def test_password_hashes_are_salted() -> None:
    assert password_hash("x") != password_hash("x")
    assert password_hash("x", salt=b"0" * 12) == password_hash("x", salt=b"0" * 12)


def test_mqtt_urls(tmp_path: Path) -> None:
    secret = tmp_path / "ingest.secret"
    secret.write_text("s3cret\n")
    target = parse_mqtt_url(f"mqtt://ingest@broker.example:1999?passfile={secret}")
    assert (target.host, target.port, target.username) == ("broker.example", 1999, "ingest")
    assert target.password_now() == "s3cret" and "s3cret" not in target.safe()
    assert parse_mqtt_url("mqtts://u:p@h").port == 8883
    for bad in ("http://h", "mqtt://", "mqtt://h:99999", "mqtt://h?x=1",
                f"mqtt://u:p@h?passfile={secret}"):
        with pytest.raises(MqttUrlError):
            parse_mqtt_url(bad)


def test_the_journal_refuses_repeats_and_keeps_its_place(tmp_path: Path) -> None:
    path = tmp_path / "j" / "journal.sqlite"
    journal = Journal(path)
    now = time.time()
    batch = [Received(f"id-{i}", "t", b"p%d" % i, now - 7200 + i) for i in range(5)]
    assert journal.append(batch) == [True] * 5
    assert journal.append([batch[1], Received("id-9", "t", b"q", now)]) == [False, True]
    assert [e.identity for e in journal.pending(3)] == ["id-0", "id-1", "id-2"]
    journal.mark_applied(journal.pending(3)[-1].seq)
    journal.close()
    reopened = Journal(path)  # after a crash or a restart: the same place
    assert reopened.backlog() == 3 and mode(path) == 0o600
    assert [e.identity for e in reopened.pending(10)] == ["id-3", "id-4", "id-9"]
    assert reopened.prune(keep_s=3600) == 3  # applied and older than an hour
    assert reopened.backlog() == 3
    assert reopened.oldest_pending() == pytest.approx(now - 7200 + 3)
    reopened.close()
