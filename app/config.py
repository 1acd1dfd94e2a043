"""Configuration read from ``GRIDPATROL_*`` environment variables.

Every setting is declared once in :data:`SETTINGS` with its type, default and
meaning; the README's configuration table is checked against this list by a test.
Values are parsed strictly: junk raises :class:`ConfigError` at start-up, and so
does an unknown ``GRIDPATROL_*`` variable (a typo must not be silently ignored).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "GRIDPATROL_"


class ConfigError(ValueError):
    """A configuration value is missing or cannot be parsed."""


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def _parse_positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {raw!r}")
    return value


def _parse_non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"expected 0 or a positive integer, got {raw!r}")
    return value


def _parse_positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


def _parse_gateway(raw: str) -> str:
    if raw == "mqtt":
        return raw
    if raw.startswith(("mqtt://", "mqtts://")):
        return _parse_mqtt_url(raw)
    if not raw.startswith(("file:", "http://", "https://")):
        raise ValueError("expected mqtt (the own broker), an mqtt(s):// URL, "
                         "file:/path/outbox.jsonl or an http(s):// webhook URL")
    return raw


def _parse_file_or_webhook(raw: str) -> str:
    if not raw.startswith(("file:", "http://", "https://")):
        raise ValueError("expected file:/path/outbox.jsonl or an http(s):// webhook URL")
    return raw


def _parse_locale(raw: str) -> str:
    if raw not in SUPPORTED_LOCALES:
        raise ValueError(f"expected one of {', '.join(SUPPORTED_LOCALES)}, got {raw!r}")
    return raw


def _parse_url(raw: str) -> str:
    if not raw.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        raise ValueError("expected a postgresql:// URL")
    return raw.replace("postgres://", "postgresql://", 1)


def _parse_text(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw


def _parse_tile_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")) or not all(
            part in raw for part in ("{z}", "{x}", "{y}")):
        raise ValueError("expected an http(s) URL template with {z}, {x} and {y}")
    return raw


def _parse_timezone(raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not an IANA time zone: {raw!r}") from None
    return raw


def _parse_shifts(raw: str) -> str:
    from patrol.shifts import parse_shifts

    parse_shifts(raw)
    return raw


def _parse_engine(raw: str) -> str:
    if raw not in ("vroom", "ortools"):
        raise ValueError("expected vroom or ortools")
    return raw


def _parse_networks(raw: str) -> Any:
    from app.cameras.fence import parse_networks

    return parse_networks(raw)


def _parse_schemes(raw: str) -> Any:
    from app.cameras.fence import parse_schemes

    return parse_schemes(raw)


def _parse_media_dir(raw: str) -> Any:
    from app.cameras.fence import parse_media_dir

    return parse_media_dir(raw)


def _parse_mqtt_url(raw: str) -> str:
    from app.ingest.target import parse_mqtt_url

    parse_mqtt_url(raw)
    return raw


def _parse_port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError(f"expected a port number from 1 to 65535, got {raw!r}")
    return value


def _parse_absolute_path(raw: str) -> str:
    if not Path(raw).is_absolute():
        raise ValueError(f"expected an absolute path, got {raw!r}")
    return raw


def _parse_folder_or_off(raw: str) -> str:
    if raw.strip().lower() == "off":
        return "off"
    return _parse_absolute_path(raw)


def _parse_tak_targets(raw: str) -> tuple[tuple[str, str, int], ...]:
    """``udp://host:port`` and ``tcp://host:port`` entries, comma-separated."""
    found = []
    for entry in (e.strip() for e in raw.split(",") if e.strip()):
        scheme, sep, rest = entry.partition("://")
        if not sep or scheme not in ("udp", "tcp"):
            raise ValueError(f"{entry!r}: expected udp://host:port or tcp://host:port")
        ((host, port),) = _parse_listen(rest)
        found.append((scheme, host, port))
    if not found:
        raise ValueError("expected at least one udp:// or tcp:// target")
    return tuple(found)


def _parse_endpoints(raw: str) -> tuple[tuple[str, int, str | None], ...]:
    """``host:port[=radio_id]`` entries, comma-separated (IPv6 hosts in brackets)."""
    from dispatch.terminals import valid_radio_id

    found = []
    for entry in (e.strip() for e in raw.split(",") if e.strip()):
        where, _, radio = entry.partition("=")
        host, colon, port = where.rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{entry!r}: expected host:port[=radio_id]")
        if radio and not valid_radio_id(radio):
            raise ValueError(f"{entry!r}: {radio!r} is not a radio id")
        found.append((host.strip("[]"), int(port), radio or None))
    if not found:
        raise ValueError("expected at least one host:port")
    return tuple(found)


def _parse_listen(raw: str) -> tuple[tuple[str, int], ...]:
    """``host:port`` addresses to listen on, comma-separated."""
    found = []
    for host, port, radio in _parse_endpoints(raw):
        if radio:
            raise ValueError(f"{host}:{port}: expected host:port, without a radio id")
        found.append((host, port))
    return tuple(found)


def _parse_radio_map(raw: str) -> dict[str, str]:
    """``name=radio_id`` entries, comma-separated."""
    from dispatch.terminals import valid_radio_id

    found = {}
    for entry in (e.strip() for e in raw.split(",") if e.strip()):
        name, equals, radio = entry.rpartition("=")
        if not equals or not name or not valid_radio_id(radio):
            raise ValueError(f"{entry!r}: expected name=radio_id")
        found[name] = radio
    return found


def _parse_time_source(raw: str) -> str:
    if raw not in ("receiver", "received"):
        raise ValueError("expected receiver or received")
    return raw


def _parse_topic_prefixes(raw: str) -> tuple[str, ...]:
    prefixes = tuple(p.strip().rstrip("/") for p in raw.split(",") if p.strip())
    if not prefixes or any(c in p for p in prefixes for c in "#+") or any(
            p.startswith("gridpatrol") for p in prefixes):
        raise ValueError("expected comma-separated topic prefixes without wildcards, outside "
                         "gridpatrol/")
    return prefixes


SUPPORTED_LOCALES = ("en", "zh_CN")


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", _parse_url, None,
            "PostgreSQL/PostGIS URL the web app uses. Unset: the embedded cluster under "
            "instance/pg (started by `gridpatrol db start`)."),
    Setting("MIGRATION_DATABASE_URL", _parse_url, None,
            "URL of the schema owner, for migrations and grants. Defaults to DATABASE_URL "
            "(or the embedded cluster's owner role)."),
    Setting("READ_DATABASE_URL", _parse_url, None,
            "URL of a streaming replica (hot standby) for heavy reads: hot spots, near "
            "repeat, time tables, plan versus actual. Unset: those read the primary."),
    Setting("READ_MAX_LAG_S", _parse_positive_float, 30.0,
            "A replica further behind than this many seconds is not used; its reads go to "
            "the primary until it catches up."),
    Setting("SECRET_KEY", _parse_text, None,
            "Signs sessions and CSRF tokens. Unset: read from instance/secret_key, which "
            "`make demo`/`make test` create once with random bytes."),
    Setting("DEFAULT_LOCALE", _parse_locale, "en",
            "Interface language when neither the user nor the browser chooses one (en, zh_CN)."),
    Setting("LOGIN_MAX_FAILURES", _parse_positive_int, 5,
            "Failed logins allowed per user name and per client address within the window."),
    Setting("LOGIN_WINDOW_S", _parse_positive_int, 900,
            "Length in seconds of the login rate-limiting window."),
    Setting("SESSION_COOKIE_SECURE", _parse_bool, False,
            "Send the session cookie over HTTPS only (set true behind TLS)."),
    Setting("PG_PORT", _parse_positive_int, 5432,
            "Port number of the embedded cluster (it listens on a unix socket only)."),
    Setting("BIND", _parse_text, "127.0.0.1:5000",
            "Address `gridpatrol serve` listens on."),
    Setting("WORKERS", _parse_positive_int, 2,
            "Worker processes of `gridpatrol serve`."),
    Setting("THREADS", _parse_positive_int, 8,
            "Threads per worker process of `gridpatrol serve` (requests served at once)."),
    Setting("EVENTS_PER_USER", _parse_positive_int, 10,
            "Open event streams (consoles) one user may hold; beyond: 429."),
    Setting("EVENTS_MAX_STREAMS", _parse_positive_int, 2000,
            "Open event streams the events service holds in all; beyond: 503."),
    Setting("EVENTS_REPLAY", _parse_positive_int, 10000,
            "Recent events kept for a reconnecting console (Last-Event-ID); older: resync."),
    Setting("EVENTS_BACKLOG", _parse_positive_int, 1000,
            "Events a console may fall behind before it is cut off with a resync."),
    Setting("EVENTS_HEARTBEAT_S", _parse_positive_float, 15.0,
            "Seconds between keep-alive comments on an idle event stream."),
    Setting("ONLINE_TILES_URL", _parse_tile_url, None,
            "An online raster tile layer offered beside the own basemap, e.g. OSM's or "
            "Tianditu's ({z}/{x}/{y} template, with its key). Unset (default): none, and the "
            "map makes no request off this server."),
    Setting("ONLINE_TILES_ATTRIBUTION", _parse_text, None,
            "Attribution shown for the online tile layer."),
    Setting("HOME_AREA", _parse_text, None,
            "Name of the area a console opens on (before the user has a view of their "
            "own). Unset: the area with the most patrol grid cells, then alerts."),
    Setting("RADIO_GATEWAY", _parse_gateway, None,
            "Where orders and other outbound radio messages go: `mqtt` (the own broker, "
            "to gridpatrol/units/<radio_id>/orders), an `mqtt(s)://user@host:port?passfile=` "
            "URL of another broker, `file:/path/outbox.jsonl` (one JSON line per message) "
            "or an http(s) webhook of the radio gateway. Unset: `mqtt`."),
    Setting("RADIO_GATEWAY_TOKEN", _parse_text, None,
            "Bearer token sent to the radio gateway webhook."),
    Setting("TICKET_GATEWAY", _parse_file_or_webhook, None,
            "Where maintenance tickets go to the contractors: `file:/path/outbox.jsonl` or "
            "an http(s) webhook (a mail or SMS gateway). Unset: the radio gateway when that "
            "is a file or webhook, else instance/ticket-outbox.jsonl (contractors hold no "
            "police radio)."),
    Setting("MQTT_URL", _parse_mqtt_url, None,
            "The MQTT broker `gridpatrol ingest` reads from: `mqtt://user@host:port?passfile="
            "/path` (or mqtts:// for TLS). Unset: the project's own Mosquitto under "
            "instance/mqtt."),
    Setting("MQTT_BIND", _parse_text, "127.0.0.1",
            "Address the own broker listens on (loopback by default; a radio network's "
            "address to let terminals in)."),
    Setting("MQTT_PORT", _parse_port, 1884,
            "Port of the own broker (not 1883, which Debian's mosquitto service takes)."),
    Setting("SERVE_INGEST", _parse_bool, True,
            "`gridpatrol serve` also runs the own MQTT broker (when MQTT_URL is unset) and "
            "`gridpatrol ingest`, restarting them if they end."),
    Setting("DEMO_SIMULATOR", _parse_bool, True,
            "`make demo` (`gridpatrol demo run`) also runs the terminal simulator that drives "
            "the demo units over MQTT."),
    Setting("INGEST_JOURNAL", _parse_absolute_path, None,
            "The ingest journal (an SQLite file). Unset: instance/ingest/journal.sqlite."),
    Setting("INGEST_BACKLOG", _parse_positive_int, 50000,
            "Messages journaled but not yet applied beyond which ingest stops taking more "
            "from the broker (which keeps them) until the database catches up."),
    Setting("ORDER_ACK_TIMEOUT_S", _parse_positive_float, 60.0,
            "Seconds an order or cancellation may stay unacknowledged after it was sent "
            "before the console is alarmed and it is sent again."),
    Setting("ORDER_RESENDS", _parse_non_negative_int, 3,
            "How many times an unacknowledged order is sent again (every "
            "ORDER_ACK_TIMEOUT_S)."),
    Setting("ORDER_MAX_ATTEMPTS", _parse_positive_int, 6,
            "Failed transport attempts (2, 4, 8 … 60 s apart) before a message is a dead "
            "letter (failed, alarmed)."),
    Setting("ORDER_LIFETIME_S", _parse_positive_float, 1800.0,
            "Seconds after which a message still unacknowledged, or never sent, expires "
            "(also the MQTT message expiry)."),
    Setting("EN_ROUTE_LIMIT_MIN", _parse_positive_float, 20.0,
            "Minutes a unit may be en route before the console is alarmed."),
    Setting("ON_SCENE_LIMIT_MIN", _parse_positive_float, 60.0,
            "Minutes a unit may be on scene without an update (a status, a text) before the "
            "console is alarmed (a welfare check)."),
    Setting("GPSD", _parse_endpoints, (),
            "gpsd daemons `gridpatrol ingest` watches: `host:port[=radio_id]`, comma-separated "
            "(a radio id: every device of that daemon reports for that radio)."),
    Setting("GPSD_DEVICES", _parse_radio_map, {},
            "gpsd devices mapped to radios: `device=radio_id`, comma-separated; the device "
            "as gpsd names it (`/dev/ttyUSB0`) or with its daemon (`host:port//dev/ttyUSB0`)."),
    Setting("GPSD_TIME", _parse_time_source, "receiver",
            "Date gpsd fixes by the receiver's clock (`receiver`) or by their arrival "
            "(`received`: for receivers with a week-rollover bug, and replayed logs)."),
    Setting("NMEA_UDP", _parse_listen, (),
            "Addresses `gridpatrol ingest` takes NMEA 0183 datagrams on (AVL boxes): "
            "`host:port`, comma-separated."),
    Setting("NMEA_TCP", _parse_listen, (),
            "Addresses `gridpatrol ingest` takes NMEA 0183 line streams on: `host:port`, "
            "comma-separated."),
    Setting("NMEA_SOURCES", _parse_radio_map, {},
            "NMEA sources mapped to radios: `device_id=radio_id` or `address=radio_id`, "
            "comma-separated. Unmapped: the device id, else `ip-<address>`, is the radio."),
    Setting("STATUS_CODES", _parse_absolute_path, None,
            "A status code table (JSON) whose entries override the defaults in "
            "data/radio_status_codes.json."),
    Setting("TRUNK_RECORDER_TOPICS", _parse_topic_prefixes, ("trunk-recorder",),
            "Topic prefixes trunk-recorder's MQTT status plugin publishes under "
            "(comma-separated)."),
    Setting("CALL_FOLDER", _parse_folder_or_off, None,
            "Folder `gridpatrol ingest` takes trunk-recorder call files from (the call JSON "
            "and the audio of the same name): an absolute path, or `off`. Unset: "
            "instance/radio-calls/inbox."),
    Setting("CALL_ARCHIVE", _parse_absolute_path, None,
            "Folder the taken call files are kept in (audio/, rejected/, duplicates/); the "
            "web app serves recordings from its audio/. Unset: instance/radio-calls."),
    Setting("TAK_TCP", _parse_listen, (),
            "Addresses `gridpatrol ingest` takes TAK clients' TCP connections on "
            "(`host:port`, comma-separated): they get units and open alerts as "
            "Cursor-on-Target events, and their users' positions come in."),
    Setting("TAK_UDP", _parse_listen, (),
            "Addresses `gridpatrol ingest` takes CoT datagrams on (`host:port`, comma-"
            "separated; a multicast group such as 239.2.3.1:6969 is joined)."),
    Setting("TAK_TARGETS", _parse_tak_targets, (),
            "Where units and alerts go as CoT besides the TCP clients: `udp://host:port` "
            "(unicast or multicast, TAK's SA default udp://239.2.3.1:6969) and "
            "`tcp://host:port` (a TAK Server's streaming input), comma-separated."),
    Setting("TAK_INTERVAL_S", _parse_positive_float, 10.0,
            "Seconds between two sendings of every unit and open alert to TAK (changes go "
            "out at once)."),
    Setting("TAK_STALE_S", _parse_positive_float, 60.0,
            "Seconds after which a TAK client drops a unit or alert not sent again (the "
            "CoT stale time); more than TAK_INTERVAL_S."),
    Setting("SNAPSHOT_TIMEOUT_S", _parse_positive_float, 3.0,
            "Longest wait in seconds for a camera frame; a camera that does not answer in "
            "time is shown offline."),
    Setting("CAMERA_NETWORKS", _parse_networks, None,
            "Networks the server may fetch camera streams from: comma-separated CIDRs; "
            "every address a stream host resolves to must lie inside one. Loopback and "
            "link-local addresses need a listed loopback or link-local network. Unset: the "
            "private ranges 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and fc00::/7."),
    Setting("CAMERA_SCHEMES", _parse_schemes, None,
            "Stream URL schemes allowed, comma-separated, from rtsp, rtsps, http, https and "
            "file. Unset: all five."),
    Setting("MEDIA_DIR", _parse_media_dir, None,
            "Absolute folder that file streams (recorded video, test images) must lie in. "
            "Unset: no file streams."),
    Setting("STALE_POSITION_S", _parse_positive_float, 300.0,
            "A unit position older than this many seconds is flagged stale."),
    Setting("TIMEZONE", _parse_timezone, "UTC",
            "The jurisdiction's IANA time zone: shifts, windows and plans are in its local "
            "time."),
    Setting("SHIFTS", _parse_shifts, None,
            "The shift pattern, e.g. `day=08:00-16:00,evening=16:00-24:00,night=00:00-08:00` "
            "(the default, 三班倒)."),
    Setting("PLAN_ENGINE", _parse_engine, "vroom",
            "Route solver for patrol plans: vroom or ortools."),
    Setting("PLAN_TIME_LIMIT_S", _parse_positive_float, 30.0,
            "Longest a patrol-plan solve may take per shift, in seconds."),
    Setting("VISIT_RADIUS_M", _parse_positive_float, 50.0,
            "A unit within this many metres of a must-visit point is visiting it."),
    Setting("POSITION_RETENTION_DAYS", _parse_positive_int, 400,
            "Days of unit position history kept: monthly partitions wholly older than this "
            "are dropped by `gridpatrol scheduler` and `gridpatrol db upgrade`."),
    Setting("PASSAGE_RETENTION_DAYS", _parse_positive_int, 180,
            "Days of checkpoint passages (过车记录) kept: daily partitions wholly older than "
            "this are dropped by `gridpatrol scheduler` and `gridpatrol db upgrade`."),
    Setting("OVERDUE_WARN_MIN", _parse_positive_float, 15.0,
            "Minutes before a must-visit window closes unvisited that the scheduler warns."),
    Setting("JOBS_CONCURRENCY", _parse_positive_int, 2,
            "Jobs one `gridpatrol jobs worker` runs at once (plans, near repeat, hot spots)."),
    Setting("JOBS_PER_USER", _parse_positive_int, 5,
            "Jobs one user may have queued or running; one more is answered 429."),
    Setting("JOBS_KEEP_DAYS", _parse_positive_int, 30,
            "Days a finished job (and its stored result) is kept."),
    Setting("HEALTH_INTERVAL_S", _parse_positive_int, 600,
            "Seconds between camera health rounds of `gridpatrol scheduler` (every camera "
            "with a stream is checked once a round)."),
    Setting("HEALTH_WORKERS", _parse_positive_int, 8,
            "Cameras sampled at once in a health round (one FFmpeg process each)."),
    Setting("HEALTH_SAMPLE_S", _parse_positive_float, 2.0,
            "Seconds of video decoded per health check."),
    Setting("HEALTH_OPEN_TIMEOUT_S", _parse_positive_float, 5.0,
            "Longest wait for a camera's stream to open in a health check; the whole "
            "check is cut off at this plus the sample plus 2 s."),
    Setting("HEALTH_RETENTION_DAYS", _parse_positive_int, 90,
            "Days of health-check history kept (each camera's latest check and its state "
            "changes are kept regardless)."),
    Setting("TICKET_OPEN_AFTER", _parse_positive_int, 2,
            "Consecutive checks a fault must be found in before a maintenance ticket opens."),
    Setting("TICKET_CLOSE_AFTER", _parse_positive_int, 3,
            "Consecutive healthy checks after which a camera's ticket closes itself."),
    Setting("LIVE_MAX_CONVERSIONS", _parse_positive_int, 16,
            "Cameras converted to live HLS at once on this host (one FFmpeg each); one "
            "more is answered 503 live_busy."),
    Setting("LIVE_IDLE_S", _parse_positive_float, 30.0,
            "Seconds without a viewer after which a camera's live conversion stops."),
    Setting("LIVE_DIR", _parse_absolute_path, None,
            "Folder (absolute) the live HLS conversions write into, shared by every server "
            "process on the host. Unset: instance/live."),
    Setting("LIVE_START_TIMEOUT_S", _parse_positive_float, 10.0,
            "Longest wait for a live conversion's first segment before the camera is "
            "answered offline."),
    Setting("LIVE_MAX_MJPEG", _parse_positive_int, 8,
            "Live MJPEG streams (for browsers without HLS) the front serves at once, each "
            "decoding its camera's HLS with an FFmpeg of its own; one more is answered 503 "
            "live_busy."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def read_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parse every ``GRIDPATROL_*`` variable; raise :class:`ConfigError` on junk."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    for key, raw in environ.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX):]
        setting = _BY_NAME.get(name)
        if setting is None:
            known = ", ".join(PREFIX + s.name for s in SETTINGS)
            raise ConfigError(f"unknown setting {key}; known settings: {known}")
        try:
            values[name] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{key}: {exc}") from None
    return values


def load_secret_key(instance_path: Path, configured: str | None) -> str:
    """The configured secret, or the one in ``instance/secret_key``."""
    if configured:
        return configured
    key_file = instance_path / "secret_key"
    if key_file.is_file():
        secret = key_file.read_text().strip()
        if len(secret) >= 32:
            return secret
        raise ConfigError(f"{key_file} is shorter than 32 characters")
    raise ConfigError(
        f"no secret key: set {PREFIX}SECRET_KEY or run `make demo` once to create {key_file}"
    )
