"""Sign-in, sign-out, tokens, CSRF and login rate limiting."""

from __future__ import annotations

from typing import Literal

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from app.auth import security
from tests.conftest import Accounts, bearer, csrf_token, login


def test_passwords_are_stored_as_argon2id(accounts: Accounts, connection: sa.Connection) -> None:
    account = accounts.create("viewer")
    stored = connection.execute(sa.text("SELECT password_hash FROM users WHERE username = :u"),
                                {"u": account["username"]}).scalar_one()
    assert stored.startswith("$argon2id$") and account["password"] not in stored


def test_sign_in_and_out(client: FlaskClient, accounts: Accounts) -> None:
    account = accounts.create("dispatcher")
    response = login(client, account)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me").json["username"] == account["username"]
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_is_refused(client: FlaskClient, accounts: Accounts) -> None:
    account = accounts.create("viewer")
    response = login(client, {**account, "password": "not the password"})
    assert response.status_code == 401
    assert b"wrong password" in response.data
    assert client.get("/api/v1/me").status_code == 401


def test_next_only_follows_local_paths(client: FlaskClient, accounts: Accounts) -> None:
    account = accounts.create("viewer")
    token = csrf_token(client)
    response = client.post("/login", data={"username": account["username"],
                                           "password": account["password"],
                                           "csrf_token": token, "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_forms_need_a_csrf_token(client: FlaskClient, accounts: Accounts) -> None:
    account = accounts.create("viewer")
    response = client.post("/login", data={"username": account["username"],
                                           "password": account["password"]})
    assert response.status_code == 400
    assert b"form has expired" in response.data
    login(client, account)
    assert client.patch("/api/v1/me", json={"locale": "en"}).json["error"] == "csrf_failed"
    token = csrf_token(client, "/")
    ok = client.patch("/api/v1/me", json={"locale": "en"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200


def test_login_is_rate_limited(app: Flask, client: FlaskClient, accounts: Accounts,
                               connection: sa.Connection) -> None:
    account = accounts.create("viewer")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login(client, {**account, "password": "guess"}).status_code == 401
    blocked = login(client, account)  # even the right password is refused now
    assert blocked.status_code == 429
    assert client.get("/api/v1/me").status_code == 401
    actions = connection.execute(sa.text(
        "SELECT action, count(*) FROM audit_log WHERE object_id = :u GROUP BY action"),
        {"u": account["username"]}).all()
    assert dict(actions) == {"user.create": 1, "auth.login_failed": limit,
                             "auth.login_blocked": 1}


class CountingHasher(PasswordHasher):
    """The real argon2id hasher, noting every hash it verifies against."""

    def __init__(self) -> None:
        super().__init__()
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


def _cost(argon2_hash: str) -> str:
    return argon2_hash.split("$")[3]  # m=…,t=…,p=…: memory, passes and lanes


def test_sign_in_costs_one_argon2_check_whoever_asks(client: FlaskClient, accounts: Accounts,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Unknown names, wrong passwords and inactive users all take the same path: exactly
    one argon2id verification with the same cost, so timing cannot tell names apart."""
    hasher = CountingHasher()
    monkeypatch.setattr(security, "_hasher", hasher)
    known, inactive = accounts.create("viewer"), accounts.create("viewer")
    admin = accounts.create("admin")
    client.patch(f"/api/v1/users/{inactive['username']}", headers=bearer(admin),
                 json={"active": False})
    hasher.verified.clear()
    attempts = {"unknown name": {"username": "nobody-by-this-name", "password": "whatever pw"},
                "empty name": {"username": "", "password": "whatever pw"},
                "wrong password": {**known, "password": "not the password"},
                "inactive user": inactive}
    for what, account in attempts.items():
        before = len(hasher.verified)
        assert login(client, account).status_code == 401, what
        assert len(hasher.verified) == before + 1, what
    stored = hasher.verified[2]  # the known user's real hash
    assert all(h.startswith("$argon2id$") and _cost(h) == _cost(stored)
               for h in hasher.verified)
    assert login(client, known).status_code == 302 and len(hasher.verified) == 5


def test_bearer_tokens(client: FlaskClient, accounts: Accounts) -> None:
    account = accounts.create("analyst")
    assert client.get("/api/v1/me", headers=bearer(account)).json["role"] == "analyst"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer gp_nope"})
    assert bad.status_code == 401 and bad.json["error"] == "unauthorized"


def test_deactivated_users_lose_their_tokens(client: FlaskClient, accounts: Accounts) -> None:
    admin, viewer = accounts.create("admin"), accounts.create("viewer")
    client.patch(f"/api/v1/users/{viewer['username']}", headers=bearer(admin),
                 json={"active": False, "reason": "left the force"})
    assert client.get("/api/v1/me", headers=bearer(viewer)).status_code == 401
    assert login(client, viewer).status_code == 401


def test_admin_pages_create_users_and_change_roles(client: FlaskClient, accounts: Accounts,
                                                   connection: sa.Connection) -> None:
    admin = accounts.create("admin")
    login(client, admin)
    token = csrf_token(client, "/admin/users")
    client.post("/admin/users", data={"username": "form.user", "password": "long enough pw",
                                      "role": "viewer", "reason": "test", "csrf_token": token})
    client.post("/admin/users/form.user/role", data={"role": "analyst", "reason": "promoted",
                                                     "csrf_token": token})
    role = connection.execute(sa.text("SELECT role FROM users WHERE username = 'form.user'"))
    assert role.scalar_one() == "analyst"
