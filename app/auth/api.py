"""Users, the signed-in user, and API tokens."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask_login import current_user
from pydantic import Field, StringConstraints

from app.api import bp
from app.api.docs import (
    DATE_TIME,
    NULLABLE_STRING,
    Answer,
    Param,
    StrictBody,
    documented,
    json_object,
    parse_body,
)
from app.auth import users
from app.auth.access import allow, any_user
from app.auth.repository import all_users
from app.db import get_session
from app.models import User

Role = Literal["admin", "dispatcher", "supervisor", "analyst", "viewer", "device",
               "video_operator", "maintainer"]
Locale = Literal["en", "zh_CN"]
# A password is taken as typed: the sign-in form does not strip it either.
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=10,
                                            max_length=200, pattern=r"\S")]


class NewUser(StrictBody):
    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{2,64}$")
    password: Password
    role: Role
    locale: Locale | None = None
    reason: str | None = Field(default=None, max_length=2000)


class UserChange(StrictBody):
    role: Role | None = None
    active: bool | None = None
    locale: Locale | None = None
    password: Password | None = None
    reason: str | None = Field(default=None, max_length=2000)


class MyChange(StrictBody):
    locale: Locale | None = None


class NewToken(StrictBody):
    label: str = Field(default="", max_length=120)
    reason: str | None = Field(default=None, max_length=2000)


USER = json_object(("id", "username", "role", "locale", "active", "created_at"),
                   id={"type": "integer"}, username={"type": "string"},
                   role={"enum": list(Role.__args__)}, locale=NULLABLE_STRING,
                   active={"type": "boolean"},
                   created_at={"anyOf": [DATE_TIME, {"type": "null"}]})


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role_name,
            "locale": user.locale, "active": user.active,
            "created_at": user.created_at.isoformat() if user.created_at else None}


@bp.get("/me")
@any_user
@documented("The signed-in user", tag="users", responses={200: Answer("The user", schema=USER)})
def me() -> dict[str, Any]:
    return user_json(current_user)


@bp.patch("/me")
@any_user
@documented("Change one's own settings (language)", tag="users", body=MyChange,
            responses={200: Answer("The user", schema=USER)})
def change_me() -> dict[str, Any]:
    change = parse_body(MyChange)
    db = get_session()
    users.update_user(db, current_user, **change.model_dump(exclude_unset=True))
    db.commit()
    return user_json(current_user)


@bp.get("/users")
@allow("admin")
@documented("List users", tag="users", responses={200: Answer("{users}", schema=json_object(
    ("users",), users={"type": "array", "items": USER}))})
def list_users() -> dict[str, Any]:
    rows = all_users(get_session())
    return {"users": [user_json(u) for u in rows]}


@bp.post("/users")
@allow("admin")
@documented("Create a user", tag="users", body=NewUser,
            responses={201: Answer("The user", schema=USER), 409: "User name taken"})
def create_user() -> tuple[dict[str, Any], int]:
    new = parse_body(NewUser)
    db = get_session()
    user = users.create_user(db, new.username, new.password, new.role, locale=new.locale,
                             reason=new.reason)
    db.commit()
    return user_json(user), 201


@bp.patch("/users/<username>")
@allow("admin")
@documented("Change a user's role, active flag, language or password", tag="users",
            body=UserChange, params=(Param("username", "user name", location="path"),),
            responses={200: Answer("The user", schema=USER), 404: "No such user"})
def change_user(username: str) -> dict[str, Any]:
    change = parse_body(UserChange)
    db = get_session()
    user = users.get_user(db, username)
    fields = change.model_dump(exclude_unset=True, exclude={"reason"})
    users.update_user(db, user, reason=change.reason, **fields)
    db.commit()
    return user_json(user)


@bp.post("/users/<username>/tokens")
@allow("admin")
@documented("Issue an API token for a user (shown once)", tag="users", body=NewToken,
            params=(Param("username", "user name", location="path"),),
            responses={201: Answer("The token, shown once", schema=json_object(
                ("token", "username"), token={"type": "string", "pattern": "^gp_"},
                username={"type": "string"})), 404: "No such user"})
def create_token(username: str) -> tuple[dict[str, Any], int]:
    new = parse_body(NewToken)
    db = get_session()
    token = users.issue_token(db, users.get_user(db, username), label=new.label,
                              reason=new.reason)
    db.commit()
    return {"token": token, "username": username}, 201
