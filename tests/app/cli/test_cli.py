"""The gridpatrol command groups."""

from __future__ import annotations

from flask.testing import FlaskClient, FlaskCliRunner

from tests.conftest import bearer


def test_users_commands(runner: FlaskCliRunner, client: FlaskClient) -> None:
    created = runner.invoke(args=["users", "create", "cli.user", "--role", "dispatcher",
                                  "--password-stdin", "--reason", "night shift"],
                            input="a long password\n")
    assert created.exit_code == 0, created.output
    listed = runner.invoke(args=["users", "list"]).output
    assert "cli.user" in listed and "dispatcher" in listed
    moved = runner.invoke(args=["users", "set-role", "cli.user", "supervisor"])
    assert moved.exit_code == 0
    token = runner.invoke(args=["users", "token", "cli.user"]).output.strip()
    assert token.startswith("gp_")
    me = client.get("/api/v1/me", headers=bearer({"token": token})).json
    assert (me["username"], me["role"]) == ("cli.user", "supervisor")
    audit = runner.invoke(args=["users", "deactivate", "cli.user"])
    assert audit.exit_code == 0
    assert client.get("/api/v1/me", headers=bearer({"token": token})).status_code == 401


def test_users_commands_explain_bad_input(runner: FlaskCliRunner) -> None:
    short = runner.invoke(args=["users", "create", "x.user", "--role", "viewer",
                                "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    ghost = runner.invoke(args=["users", "token", "ghost"])
    assert ghost.exit_code != 0 and "No user named 'ghost'" in ghost.output
    role = runner.invoke(args=["users", "set-role", "ghost", "chief"])
    assert role.exit_code != 0 and "chief" in role.output
