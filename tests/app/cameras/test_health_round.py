"""The health round on real PostGIS, run by `gridpatrol cameras check`: states and their
history, baselines and references kept, tickets opened after a fault persists, sent out
through the gateway, closed by themselves or by hand; the health and ticket API, and what
a maintainer may see (its own tickets; no units, alerts or incidents)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.app.cameras.conftest import ClipSet, Rig
from tests.conftest import bearer, login


def status_history(connection: sa.Connection, camera_id: int) -> list[tuple[str, str]]:
    return [(r.from_status, r.to_status) for r in connection.execute(sa.text(
        "SELECT from_status, to_status FROM camera_status_changes WHERE camera_id = :c "
        "ORDER BY id"), {"c": camera_id})]


def test_a_fault_over_two_checks_opens_a_ticket_that_closes_itself(
        rig: Rig, clip_set: ClipSet, connection: sa.Connection) -> None:
    assert "1 cameras checked" in rig.check()
    baseline = connection.execute(sa.text(
        "SELECT checks, reference_png IS NOT NULL AS has_reference FROM camera_baselines "
        "WHERE camera_id = :c"), {"c": rig.camera_id}).one()
    assert baseline.checks == 1 and baseline.has_reference
    rig.show(clip_set.clip("freeze").path)
    assert "degraded — frozen" in rig.check("-v")
    assert rig.client.get("/api/v1/tickets", headers=rig.supervisor).json["tickets"] == []
    rig.check()
    tickets = rig.client.get("/api/v1/tickets", headers=rig.supervisor).json["tickets"]
    assert [(t["status"], t["faults"], t["maintainer"]["code"]) for t in tickets] == [
        ("open", ["frozen"], "MT-EQ")]
    ticket = tickets[0]
    assert ticket["sla"]["response"] == "running" and ticket["delivered"] is True
    assert ticket["findings"][0]["measure"] == "motion"
    [message] = rig.sent()
    assert message["message_id"] == f"ticket-{ticket['id']}-open"
    assert message["callsign"] == "MT-EQ" and message["talkgroup"] == "tg-9"
    assert "画面冻结" in message["text"] and "frozen" in message["text"]
    rig.show(clip_set.clip("clean").path)
    rig.check()
    rig.check()
    assert rig.client.get(f"/api/v1/tickets/{ticket['id']}",
                          headers=rig.supervisor).json["status"] == "open"
    rig.check()
    closed = rig.client.get(f"/api/v1/tickets/{ticket['id']}", headers=rig.supervisor).json
    assert (closed["status"], closed["close_how"]) == ("closed", "auto")
    assert closed["sla"]["repair"] == "met"
    assert [m["message_id"] for m in rig.sent()][-1] == f"ticket-{ticket['id']}-close"
    assert status_history(connection, rig.camera_id) == [
        ("unknown", "online"), ("online", "degraded"), ("degraded", "online")]
    actions = connection.execute(sa.text(
        "SELECT action FROM audit_log WHERE action LIKE 'ticket.%' OR (action = "
        "'camera.status' AND object_id = :c) ORDER BY id"), {"c": str(rig.camera_id)}
    ).scalars().all()
    assert actions == ["camera.status", "camera.status", "ticket.open", "camera.status",
                       "ticket.close"]
    history = rig.client.get(f"/api/v1/cameras/{rig.camera_id}/health?limit=3",
                             headers=rig.supervisor).json
    assert [c["verdict"] for c in history["checks"]] == ["online"] * 3
    assert history["uptime"]["online_share"] is not None


def test_an_unreachable_camera_goes_offline_and_maintenance_holds(
        rig: Rig, connection: sa.Connection) -> None:
    rig.link.unlink()  # the stream's file is gone: nothing to open
    rig.check()
    health = rig.client.get("/api/v1/cameras/health", headers=rig.supervisor).json
    [row] = [c for c in health["cameras"] if c["id"] == rig.camera_id]
    assert row["status"] == "offline" and row["faults"] == ["unreachable"]
    assert health["counts"]["offline"] >= 1
    patched = rig.client.patch(f"/api/v1/cameras/{rig.camera_id}", headers=rig.supervisor,
                               json={"status": "maintenance", "reason": "pole replaced"})
    assert patched.status_code == 200, patched.json
    rig.check()
    rig.check()
    assert rig.client.get("/api/v1/tickets", headers=rig.supervisor).json["tickets"] == []
    still = rig.client.get(f"/api/v1/cameras/{rig.camera_id}", headers=rig.supervisor).json
    assert still["status"] == "maintenance"


def test_the_health_list_filters_and_the_faults_layer_has_places(
        rig: Rig, clip_set: ClipSet) -> None:
    rig.show(clip_set.clip("noise").path)
    rig.check()
    get = rig.client.get
    noisy = get("/api/v1/cameras/health?fault=noise", headers=rig.supervisor).json["cameras"]
    assert [c["id"] for c in noisy] == [rig.camera_id]
    assert noisy[0]["findings"][0]["fault"] == "noise" and noisy[0]["lon"] is not None
    assert get("/api/v1/cameras/health?fault=frozen",
               headers=rig.supervisor).json["cameras"] == []
    maintainer_id = get("/api/v1/maintainers", headers=rig.supervisor).json[
        "maintainers"][0]["id"]
    assert [c["id"] for c in get(f"/api/v1/cameras/health?maintainer={maintainer_id}",
                                 headers=rig.supervisor).json["cameras"]] == [rig.camera_id]
    assert get("/api/v1/cameras/health?fault=smoke", headers=rig.supervisor).status_code == 422


def test_a_maintainer_sees_its_own_tickets_and_nothing_of_policing(
        rig: Rig, clip_set: ClipSet) -> None:
    rig.show(clip_set.clip("black").path)
    rig.check()
    rig.check()
    worker = rig.accounts.create("maintainer")
    other = rig.accounts.create("maintainer")
    for account, code in ((worker, "MT-EQ"), (other, "MT-PWR")):
        if code == "MT-PWR":
            rig.client.post("/api/v1/maintainers", headers=rig.supervisor, json={
                "code": code, "name": "Power Co", "kind": "power", "response_h": 4,
                "repair_h": 48})
        joined = rig.client.post(f"/api/v1/maintainers/{code}/members",
                                 headers=rig.supervisor, json={"username": account["username"]})
        assert joined.status_code == 200, joined.json
    mine, theirs = bearer(worker), bearer(other)
    [ticket] = rig.client.get("/api/v1/tickets", headers=mine).json["tickets"]
    assert ticket["faults"] == ["black"]
    assert rig.client.get("/api/v1/tickets", headers=theirs).json["tickets"] == []
    assert rig.client.get(f"/api/v1/tickets/{ticket['id']}", headers=theirs).status_code == 404
    assert rig.client.post(f"/api/v1/tickets/{ticket['id']}/close", headers=theirs,
                           json={"note": "not ours"}).status_code == 404
    for path in ("/api/v1/units", "/api/v1/alerts", "/api/v1/incident-times",
                 "/api/v1/grids", "/"):
        assert rig.client.get(path, headers=mine).status_code == 403, path
    for path in ("/api/v1/cameras", "/api/v1/cameras/health", f"/api/v1/cameras/{rig.camera_id}",
                 "/api/v1/me"):
        assert rig.client.get(path, headers=mine).status_code == 200, path
    acked = rig.client.post(f"/api/v1/tickets/{ticket['id']}/acknowledge", headers=mine,
                            json={})
    assert acked.json["sla"]["response"] == "met"
    closed = rig.client.post(f"/api/v1/tickets/{ticket['id']}/close", headers=mine,
                             json={"note": "lens cap removed"})
    assert (closed.json["status"], closed.json["close_how"], closed.json["close_note"]) == (
        "closed", "manual", "lens cap removed")
    again = rig.client.post(f"/api/v1/tickets/{ticket['id']}/close", headers=mine,
                            json={"note": "twice"})
    assert again.status_code == 409
    assert rig.client.post(f"/api/v1/tickets/{ticket['id']}/close", headers=mine,
                           json={"note": " "}).status_code == 422


def test_maintainer_fields_are_checked(rig: Rig) -> None:
    post = rig.client.post
    bad = post("/api/v1/maintainers", headers=rig.supervisor, json={
        "code": "X", "name": "n", "kind": "plumbing", "response_h": 1, "repair_h": 1})
    assert bad.status_code == 422 and bad.json["field"] == "kind"
    zero = post("/api/v1/maintainers", headers=rig.supervisor, json={
        "code": "X", "name": "n", "kind": "power", "response_h": 0, "repair_h": 1})
    assert zero.status_code == 422 and zero.json["field"] == "response_h"
    both = post("/api/v1/maintainers/MT-EQ/cameras", headers=rig.supervisor,
                json={"camera_ids": [rig.camera_id], "area": "Centre"})
    assert both.status_code == 422
    missing = post("/api/v1/maintainers/MT-EQ/cameras", headers=rig.supervisor,
                   json={"camera_ids": [2**31 - 1]})
    assert missing.json["error"] == "unknown_camera"
    assert post("/api/v1/maintainers/NOPE/cameras", headers=rig.supervisor,
                json={"camera_ids": [rig.camera_id]}).status_code == 404
    viewer = bearer(rig.accounts.create("viewer"))
    assert post("/api/v1/maintainers/MT-EQ/members", headers=rig.supervisor,
                json={"username": rig.accounts.create("viewer")["username"]}
                ).json["error"] == "not_a_maintainer"
    assert post("/api/v1/maintainers", headers=viewer, json={}).status_code == 403


def test_the_scheduler_runs_a_health_round(rig: Rig) -> None:
    result = rig.app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "camera health: 1 cameras checked" in result.output


def test_forgetting_the_reference_takes_a_new_one(rig: Rig, clip_set: ClipSet,
                                                  connection: sa.Connection) -> None:
    rig.check()
    rig.show(clip_set.clip("shifted").path)
    rig.check()
    assert rig.client.get(f"/api/v1/cameras/{rig.camera_id}/health",
                          headers=rig.supervisor).json["checks"][0]["fault_codes"] == ["moved"]
    forgot = rig.client.post(f"/api/v1/cameras/{rig.camera_id}/health/forget-reference",
                             headers=rig.supervisor, json={"reason": "re-aimed at the gate"})
    assert forgot.json == {"camera_id": rig.camera_id, "bands": 1}
    rig.check()
    assert rig.client.get(f"/api/v1/cameras/{rig.camera_id}/health",
                          headers=rig.supervisor).json["checks"][0]["fault_codes"] == []


def test_a_maintainer_lands_on_the_faults_list_with_its_tickets(
        rig: Rig, clip_set: ClipSet) -> None:
    rig.client.patch(f"/api/v1/cameras/{rig.camera_id}", headers=rig.supervisor,
                     json={"name": "Gate <script>x</script>"})
    rig.show(clip_set.clip("freeze").path)
    rig.check()
    rig.check()
    worker = rig.accounts.create("maintainer")
    rig.client.post("/api/v1/maintainers/MT-EQ/members", headers=rig.supervisor,
                    json={"username": worker["username"]})
    browser = rig.app.test_client()
    signed_in = login(browser, worker)
    assert signed_in.headers["Location"] == "/video/faults"
    page = browser.get("/video/faults", headers={"Accept-Language": "zh-CN"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "画面冻结" in text and "未关闭工单" in text and "计时中" in text
    assert "Gate &lt;script&gt;x&lt;/script&gt;" in text and "<script>x" not in text
    assert 'href="/"' not in text.split("</nav>")[0]  # no console in the menu or brand
    assert browser.get("/").status_code == 403
    filtered = browser.get("/video/faults?fault=noise").get_data(as_text=True)
    assert "No camera matches." in filtered
    operator = rig.app.test_client()
    login(operator, rig.accounts.create("video_operator"))
    listed = operator.get("/video/faults").get_data(as_text=True)
    assert f'href="/video/live/{rig.camera_id}"' in listed and "Open tickets" not in listed
