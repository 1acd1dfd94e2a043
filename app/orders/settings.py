"""Where outbound messages go and how hard the system tries, from the configuration."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from app.dispatch.gateways import RadioGateway, gateway_from_config
from app.ingest.broker import APP_CLIENT
from app.ingest.settings import own_broker
from app.ingest.target import MqttUrlError, parse_mqtt_url
from dispatch.delivery import DeliveryPolicy
from dispatch.status import UnitStatus

OWN_BROKER = "mqtt"
"""``GRIDPATROL_RADIO_GATEWAY`` value (and default) for the own broker."""


def gateway_setting(app: Flask) -> str:
    """The configured gateway, ``mqtt`` (the own broker) when unset."""
    return str(app.config.get("RADIO_GATEWAY") or OWN_BROKER)


def sends_over_mqtt(app: Flask) -> bool:
    return gateway_setting(app).split(":", 1)[0] in ("mqtt", "mqtts")


def build_gateway(app: Flask) -> RadioGateway:
    """The gateway the setting names. ``mqtt`` is the own broker as ``gridpatrol-app``
    (with ``GRIDPATROL_MQTT_URL`` set, name the orders client's URL instead)."""
    value = gateway_setting(app)
    if not sends_over_mqtt(app):
        return gateway_from_config(value, token=app.config.get("RADIO_GATEWAY_TOKEN"))
    from app.orders.mqtt import MqttGateway

    if value == OWN_BROKER:
        if app.config.get("MQTT_URL"):
            raise MqttUrlError("GRIDPATROL_MQTT_URL names another broker: set "
                               "GRIDPATROL_RADIO_GATEWAY=mqtt://<orders user>@host:port"
                               "?passfile=… for the orders (or a file: or http(s) gateway)")
        value = own_broker(app).url(APP_CLIENT)
    return MqttGateway(parse_mqtt_url(value), expiry_s=delivery_policy(app).lifetime_s)


def outbox_file(app: Flask) -> Path | None:
    """The file the gateway appends to, when it is a file."""
    value = gateway_setting(app)
    if not value.startswith("file:"):
        return None
    path = value[len("file:"):]
    return Path(path[2:] if path.startswith("//") else path)


def delivery_policy(app: Flask) -> DeliveryPolicy:
    return DeliveryPolicy(ack_timeout_s=float(app.config["ORDER_ACK_TIMEOUT_S"]),
                          resends=int(app.config["ORDER_RESENDS"]),
                          max_attempts=int(app.config["ORDER_MAX_ATTEMPTS"]),
                          lifetime_s=float(app.config["ORDER_LIFETIME_S"]))


def timer_limits(app: Flask) -> dict[UnitStatus, timedelta]:
    """The status timers that alarm the console (dispatch.status's limits by default)."""
    return {UnitStatus.EN_ROUTE: timedelta(minutes=float(app.config["EN_ROUTE_LIMIT_MIN"])),
            UnitStatus.ON_SCENE: timedelta(minutes=float(app.config["ON_SCENE_LIMIT_MIN"]))}
