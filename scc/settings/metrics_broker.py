"""The MQTT broker (Mosquitto) the SKPD units publish to, and how ingest reads it."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable

from pydantic import Field, SecretStr, field_validator, model_validator

from .base import Strict

INGEST_USER = "scc-ingest"
ADMIN_USER = "scc-admin"
# The alerts process publishes every alert's raised, acknowledged and resolved on ALERTS_TOPIC/<severity>
# (docs/design.md §3.7); the reader is the one account other systems are given to read them, and only them.
ALERTS_USER = "scc-alerts"
ALERTS_READER_USER = "scc-alerts-reader"
ALERTS_TOPIC = "scc/v1/alerts"
SERVICE_USERS = (INGEST_USER, ADMIN_USER, ALERTS_USER, ALERTS_READER_USER)


def password_env(user: str) -> str:
    """The environment variable holding a broker account's password (`scc setup` generates them)."""
    return "SCC_MQTT_PASSWORD_" + user.upper().replace("-", "_")


def password(user: str) -> SecretStr | None:
    value = os.environ.get(password_env(user))
    return SecretStr(value) if value else None


def accounts(skpd_codes: Iterable[str]) -> tuple[str, ...]:
    """Every broker user: one per SKPD (its code), then ingest, admin, the alerts publisher and its reader."""
    return (*skpd_codes, *SERVICE_USERS)


class BrokerConfig(Strict):
    """Mosquitto, as the demo starts it and as ingest and the publishers reach it."""

    host: str = Field(default="127.0.0.1", description="Plain MQTT listener; loopback only (ingest, simulators).")
    port: int = Field(default=1884, ge=1, le=65535, description="Plain MQTT port on the loopback address.")
    tls_host: str = Field(default="0.0.0.0", description="Address of the TLS listener that units on the LAN use.")
    tls_port: int | None = Field(
        default=8883,
        ge=1,
        le=65535,
        description="MQTT over TLS with the installation's certificate (web.tls); off while no certificate is set.",
    )
    max_queued_messages: int = Field(
        default=500_000,
        ge=1000,
        description="Messages kept for an offline persistent subscriber (ingest); Mosquitto's default is 1000.",
    )
    peak_rate_per_unit: float = Field(
        default=1.0, gt=0, description="Messages per second one SKPD sends at its busiest (sizes the queue)."
    )
    max_payload_kb: int = Field(default=64, ge=1, le=1024, description="Largest message accepted, in KiB.")
    batch_ms: int = Field(default=100, ge=10, le=250, description="Ingest commits what it has at least this often.")
    max_future_s: int = Field(default=300, ge=0, description="A timestamp this far ahead of the clock is rejected.")
    max_past_days: int = Field(
        default=14, ge=1, description="A timestamp older than this is rejected (a backlog after a long outage is not)."
    )

    @field_validator("host")
    @classmethod
    def _loopback_only(cls, value: str) -> str:
        try:
            loopback = value == "localhost" or ipaddress.ip_address(value).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            # Passwords cross this listener in clear text: nothing beyond this machine may reach it.
            raise ValueError(
                f"the plain MQTT listener must stay on a loopback address (127.0.0.1 or ::1), not {value!r}; "
                "units on the LAN connect over TLS to tls_host:tls_port"
            )
        return value

    @field_validator("tls_port", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return value or None  # `${SCC_MQTT_TLS_PORT:-}` gives "" to switch the TLS listener off

    @model_validator(mode="after")
    def _ports_differ(self) -> BrokerConfig:
        if self.tls_port == self.port:
            raise ValueError("tls_port must differ from port")
        return self

    @property
    def max_payload_bytes(self) -> int:
        return self.max_payload_kb * 1024


def queue_holds_an_hour(broker: BrokerConfig, units: int) -> str | None:
    """The broker must keep an hour of every unit at its peak rate for ingest while it is down."""
    needed = int(3600 * units * broker.peak_rate_per_unit)
    if broker.max_queued_messages < needed:
        return (
            f"max_queued_messages {broker.max_queued_messages} holds less than one hour of {units} units at "
            f"{broker.peak_rate_per_unit} message/s (needs {needed})"
        )
    return None
