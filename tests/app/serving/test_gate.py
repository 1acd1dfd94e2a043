"""The app's side of the event stream: it answers the events service who is asking (with
its usual sign-in and role rules) and refuses to hold a stream itself."""

from __future__ import annotations

from flask.testing import FlaskClient

from app.events.gate import EVENTS_PATH, GATE_HEADER
from tests.conftest import Accounts, bearer, login


def test_the_gate_names_the_user_for_every_role(client: FlaskClient,
                                                accounts: Accounts) -> None:
    for role in ("viewer", "device", "dispatcher"):
        account = accounts.create(role)
        answer = client.get(EVENTS_PATH, headers={**bearer(account), GATE_HEADER: "1"})
        assert answer.status_code == 200, answer.json
        assert answer.json is not None
        assert (answer.json["username"], answer.json["role"]) == (account["username"], role)
        assert isinstance(answer.json["user_id"], int)


def test_the_gate_refuses_who_may_not_see_events(client: FlaskClient,
                                                 accounts: Accounts) -> None:
    anonymous = client.get(EVENTS_PATH, headers={GATE_HEADER: "1"})
    assert anonymous.status_code == 401 and anonymous.json["error"] == "unauthorized"
    revoked = client.get(EVENTS_PATH, headers={"Authorization": "Bearer gp_nope",
                                               GATE_HEADER: "1"})
    assert revoked.status_code == 401


def test_a_session_cookie_passes_the_gate(client: FlaskClient, accounts: Accounts) -> None:
    account = accounts.create("viewer")
    assert login(client, account).status_code == 302
    answer = client.get(EVENTS_PATH, headers={GATE_HEADER: "1"})
    assert answer.status_code == 200 and answer.json["username"] == account["username"]


def test_asked_directly_the_app_server_says_where_streams_are(client: FlaskClient,
                                                              accounts: Accounts) -> None:
    answer = client.get(EVENTS_PATH, headers=bearer(accounts.create("viewer")))
    assert answer.status_code == 421
    assert answer.json["error"] == "misdirected" and "gridpatrol serve" in answer.json["message"]
    assert client.get(EVENTS_PATH, headers={**bearer(accounts.create("viewer")),
                                            GATE_HEADER: "yes"}).status_code == 421
