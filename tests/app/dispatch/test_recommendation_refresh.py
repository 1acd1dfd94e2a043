"""Once a unit is dispatched (here or to another alert) or goes off duty, it leaves the
alert's "nearest suitable units" for the excluded list, with why; the others keep their
order and travel times as ranked when the alert was raised."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.app.dispatch.support import PLACE, place_units, raise_alert
from tests.conftest import Accounts, bearer


def shown(client: FlaskClient, headers: dict[str, str], alert_id: int,
          **extra: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/alerts/{alert_id}", headers=headers | extra)
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def test_dispatched_units_leave_the_suitable_list(
        client: FlaskClient, london: None, supervisor: dict[str, str],
        dispatcher: dict[str, str], accounts: Accounts, connection: sa.Connection) -> None:
    place_units(client, supervisor, bearer(accounts.create("device")))
    alert = raise_alert(client, dispatcher, *PLACE, kind="robbery")
    ranked = [u["callsign"] for u in alert["units"]]
    assert len(ranked) == 4
    first, second, third = alert["units"][:3]
    assert [u["callsign"] for u in shown(client, dispatcher, alert["id"])["units"]] == ranked

    sent = client.post(f"/api/v1/alerts/{alert['id']}/dispatch",
                       json={"unit_ids": [first["id"]]}, headers=dispatcher)
    assert sent.status_code == 200, sent.json
    after = shown(client, dispatcher, alert["id"])
    assert [u["callsign"] for u in after["units"]] == ranked[1:]
    assert after["units"][0]["eta_s"] == second["eta_s"]  # as ranked at the alert
    assert after["excluded_units"][0] == {"id": first["id"], "callsign": first["callsign"],
                                          "code": "already_assigned",
                                          "reason": "already assigned to this alert"}
    assert [u["callsign"] for u in after["assigned_units"]] == [first["callsign"]]

    # sent to another alert by another console; off duty by the supervisor
    other = raise_alert(client, dispatcher, *PLACE)
    assert client.post(f"/api/v1/alerts/{other['id']}/dispatch",
                       json={"unit_ids": [second["id"]]}, headers=dispatcher).status_code == 200
    assert client.post(f"/api/v1/units/{third['id']}/status",
                       json={"status": "out_of_service"}, headers=supervisor).status_code == 200
    later = shown(client, dispatcher, alert["id"])
    assert [u["callsign"] for u in later["units"]] == ranked[3:]
    why = {u["callsign"]: u["reason"] for u in later["excluded_units"]}
    assert why[second["callsign"]] == "status: Dispatched"
    assert why[third["callsign"]] == "status: Out of service"
    chinese = shown(client, dispatcher, alert["id"], **{"Accept-Language": "zh-CN"})
    assert {u["callsign"]: u["reason"] for u in chinese["excluded_units"]}[
        first["callsign"]] == "已派往本警情"
    # the stored call-up is the record of what was recommended: unchanged
    stored = connection.execute(sa.text("SELECT callup->'units' FROM alerts WHERE id = :a"),
                                {"a": alert["id"]}).scalar_one()
    assert [u["callsign"] for u in stored] == ranked
