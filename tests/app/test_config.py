from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.config import SETTINGS, ConfigError, load_secret_key, read_environment

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_when_nothing_is_set() -> None:
    values = read_environment({})
    assert values["DATABASE_URL"] is None
    assert values["LOGIN_MAX_FAILURES"] == 5


def test_values_are_parsed() -> None:
    values = read_environment({"GRIDPATROL_LOGIN_MAX_FAILURES": "3",
                               "GRIDPATROL_SESSION_COOKIE_SECURE": "yes",
                               "GRIDPATROL_DATABASE_URL": "postgres://u@h/db"})
    assert values["LOGIN_MAX_FAILURES"] == 3
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["DATABASE_URL"] == "postgresql://u@h/db"


@pytest.mark.parametrize(("name", "raw"), [
    ("GRIDPATROL_LOGIN_MAX_FAILURES", "five"),
    ("GRIDPATROL_LOGIN_MAX_FAILURES", "0"),
    ("GRIDPATROL_SESSION_COOKIE_SECURE", "maybe"),
    ("GRIDPATROL_DEFAULT_LOCALE", "fr"),
    ("GRIDPATROL_DATABASE_URL", "mysql://x"),
    ("GRIDPATROL_LOGIN_WINDOW", "60"),
])
def test_junk_and_unknown_settings_raise(name: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=name):
        read_environment({name: raw})


def test_secret_key_is_required(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no secret key"):
        load_secret_key(tmp_path, None)
    (tmp_path / "secret_key").write_text("short")
    with pytest.raises(ConfigError, match="shorter than 32"):
        load_secret_key(tmp_path, None)
    (tmp_path / "secret_key").write_text("k" * 40)
    assert load_secret_key(tmp_path, None) == "k" * 40


def test_readme_documents_every_setting() -> None:
    documented = set(re.findall(r"`GRIDPATROL_([A-Z_]+)`", README.read_text()))
    assert {s.name for s in SETTINGS} <= documented
    assert documented <= {s.name for s in SETTINGS}, "README names settings that do not exist"
