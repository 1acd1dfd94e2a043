"""The embedded cluster trusts nobody: every role signs in with the password in its file.

Two clusters of their own (under the test's temporary folder; as root the data goes to
/var/lib/gridpatrol/pg, where the ``postgres`` user can reach it, and the secrets stay in
the instance folder): one made by today's code, one made the way `gridpatrol db start`
made them before passwords (``initdb --auth-local=trust``, roles without passwords), which
today's ``start`` must move to passwords without losing anything.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from app.db.cluster import (
    ADMIN_ROLE,
    APP_ROLE,
    HBA_CONF,
    MAIN_DATABASE,
    OWNER_ROLE,
    ROLES,
    SERVICE_USER,
    Cluster,
    _pg_bindir,
)


def _discard(cluster: Cluster) -> None:
    cluster.stop()
    shutil.rmtree(cluster.root, ignore_errors=True)


def _without_password(cluster: Cluster, role: str, database: str = "postgres") -> str:
    """A connection string with no password at all (not even ~/.pgpass)."""
    return (f"host={cluster.socket_dir} port={cluster.port} user={role} dbname={database} "
            "passfile=/nonexistent")


def _with_password(cluster: Cluster, role: str, password: str) -> str:
    return _without_password(cluster, role) + f" password={password}"


def _make_trusting_cluster(cluster: Cluster) -> None:
    """What `gridpatrol db start` made before passwords: every local connection trusted,
    the owner and app roles without a password, and some data of the owner's."""
    cluster.root.mkdir(parents=True)
    cluster.socket_dir.mkdir()
    cluster._hand_to_service_user(cluster.root)
    os.chmod(cluster.root, 0o700)
    os.chmod(cluster.socket_dir, 0o700)
    cluster._run([str(_pg_bindir() / "initdb"), "-D", str(cluster.data_dir), "-U", ADMIN_ROLE,
                  "--auth-local=trust", "--auth-host=reject", "-E", "UTF8",
                  "--locale=C.UTF-8"])
    cluster._run(["sh", "-c", 'cat >> "$1"', "sh",
                  str(cluster.data_dir / "postgresql.auto.conf")],
                 input_text=cluster.server_settings())
    cluster._pg_ctl("start", "-w", "-t", "60", "-l", str(cluster.log_file))
    with psycopg.connect(_without_password(cluster, ADMIN_ROLE), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(OWNER_ROLE)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(APP_ROLE)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(MAIN_DATABASE), sql.Identifier(OWNER_ROLE)))
    with psycopg.connect(_without_password(cluster, OWNER_ROLE, MAIN_DATABASE)) as conn:
        conn.execute("CREATE TABLE kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('written before passwords')")
    cluster.stop()


@pytest.fixture(scope="module")
def fresh_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = Cluster.for_instance(tmp_path_factory.mktemp("fresh") / "instance")
    cluster.start()
    try:
        yield cluster
    finally:
        _discard(cluster)


@pytest.fixture(scope="module")
def trusting_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A cluster made the old way, stopped (as a developer's instance/pg after a pull)."""
    cluster = Cluster.for_instance(tmp_path_factory.mktemp("trusting") / "instance")
    try:
        _make_trusting_cluster(cluster)
        yield cluster
    finally:
        _discard(cluster)


def _assert_every_role_needs_its_password(cluster: Cluster) -> None:
    for role in ROLES:
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(_without_password(cluster, role)).close()
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(_with_password(cluster, role, "not-the-password")).close()
        with psycopg.connect(cluster.conninfo(role, "postgres")) as conn:
            assert conn.execute("SELECT current_user").fetchone() == (role,)


def _assert_secrets_are_private(cluster: Cluster) -> None:
    folder = cluster.credentials.folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert folder.stat().st_uid == os.geteuid()
    for role in ROLES:
        info = cluster.passfile(role).stat()
        assert stat.S_IMODE(info.st_mode) == 0o600, role
        assert info.st_uid == os.geteuid(), role  # whoever runs gridpatrol reads it
        assert len(cluster.credentials.secret(role)) >= 43  # 256 random bits
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{r}.pgpass" for r in ROLES)


def test_a_new_cluster_wants_a_password_from_every_role(fresh_cluster: Cluster) -> None:
    _assert_every_role_needs_its_password(fresh_cluster)
    _assert_secrets_are_private(fresh_cluster)


def test_pg_hba_allows_the_socket_with_scram_only(  # also for a streaming replica
        fresh_cluster: Cluster) -> None:
    assert (fresh_cluster.data_dir / "pg_hba.conf").read_text() == HBA_CONF
    with psycopg.connect(fresh_cluster.conninfo(ADMIN_ROLE, "postgres")) as conn:
        rules = conn.execute("SELECT type, database, user_name, auth_method, error "
                             "FROM pg_hba_file_rules").fetchall()
        listen = conn.execute("SHOW listen_addresses").fetchone()
    assert rules == [("local", ["all"], ["all"], "scram-sha-256", None),
                     ("local", ["replication"], ["all"], "scram-sha-256", None)]
    assert listen == ("",)


def test_as_root_the_data_belongs_to_postgres_and_the_secrets_to_root(
        fresh_cluster: Cluster) -> None:
    data_owner = fresh_cluster.data_dir.stat().st_uid
    if os.geteuid() == 0:
        import pwd

        assert data_owner == pwd.getpwnam(SERVICE_USER).pw_uid
        assert not fresh_cluster.credentials.folder.is_relative_to(fresh_cluster.root)
    else:
        assert data_owner == os.geteuid()
    assert not (fresh_cluster.root / "initdb-password").exists()


def test_no_secret_reaches_the_server_log(fresh_cluster: Cluster) -> None:
    fresh_cluster.rotate_password(APP_ROLE)  # an ALTER ROLE after start, too
    log = fresh_cluster.log_file.read_text(errors="replace")
    for role in ROLES:
        assert fresh_cluster.credentials.secret(role) not in log


def test_start_moves_a_trusting_cluster_to_passwords(trusting_cluster: Cluster) -> None:
    assert not trusting_cluster.hba_is_managed()
    assert not trusting_cluster.credentials.folder.exists()

    trusting_cluster.start()

    assert trusting_cluster.hba_is_managed()
    _assert_every_role_needs_its_password(trusting_cluster)
    _assert_secrets_are_private(trusting_cluster)
    owner_url = trusting_cluster.conninfo(OWNER_ROLE, MAIN_DATABASE)
    with psycopg.connect(owner_url) as conn:
        assert conn.execute("SELECT note FROM kept").fetchall() == [("written before passwords",)]


def test_starting_again_changes_nothing(trusting_cluster: Cluster) -> None:
    trusting_cluster.start()  # moved by the test above, or now
    secrets_before = {r: trusting_cluster.passfile(r).read_text() for r in ROLES}
    hba_before = (trusting_cluster.data_dir / "pg_hba.conf").stat().st_mtime_ns

    trusting_cluster.start()
    assert trusting_cluster.secure() is False

    assert {r: trusting_cluster.passfile(r).read_text() for r in ROLES} == secrets_before
    assert (trusting_cluster.data_dir / "pg_hba.conf").stat().st_mtime_ns == hba_before
    _assert_every_role_needs_its_password(trusting_cluster)


def test_a_running_trusting_cluster_is_moved_too(trusting_cluster: Cluster) -> None:
    """Someone put `trust` back (or a cluster of before is still running): start fixes it
    on the running server, with no restart."""
    trusting_cluster.start()
    trusting_cluster._run(["sh", "-c", 'echo "local all all trust" > "$1"', "sh",
                           str(trusting_cluster.data_dir / "pg_hba.conf")])
    trusting_cluster._pg_ctl("reload")
    pid = trusting_cluster.data_dir.joinpath("postmaster.pid").read_text().split()[0]

    trusting_cluster.start()

    assert trusting_cluster.data_dir.joinpath("postmaster.pid").read_text().split()[0] == pid
    _assert_every_role_needs_its_password(trusting_cluster)


def test_a_lost_admin_secret_is_named(trusting_cluster: Cluster, tmp_path: Path) -> None:
    from app.db.cluster import ClusterError

    trusting_cluster.start()
    elsewhere = Cluster(trusting_cluster.root, trusting_cluster.port, tmp_path / "none")
    with pytest.raises(ClusterError, match="cannot sign in .* as gridpatrol_admin"):
        elsewhere.start()
    assert not (tmp_path / "none" / f"{OWNER_ROLE}.pgpass").exists()


def test_rotating_a_password_retires_the_old_one(trusting_cluster: Cluster) -> None:
    trusting_cluster.start()
    old = trusting_cluster.credentials.secret(OWNER_ROLE)
    with psycopg.connect(trusting_cluster.conninfo(OWNER_ROLE, MAIN_DATABASE)) as before:
        trusting_cluster.rotate_password(OWNER_ROLE)
        # a connection made before the rotation carries on
        assert before.execute("SELECT count(*) FROM kept").fetchone() == (1,)
    new = trusting_cluster.credentials.secret(OWNER_ROLE)
    assert new != old
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(_with_password(trusting_cluster, OWNER_ROLE, old)).close()
    with psycopg.connect(trusting_cluster.conninfo(OWNER_ROLE, MAIN_DATABASE)) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (1,)
    _assert_secrets_are_private(trusting_cluster)
