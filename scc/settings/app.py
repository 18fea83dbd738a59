"""How this installation runs: database, web server, sign-in policy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .base import Strict
from .cameras_services import CamerasConfig
from .metrics_broker import BrokerConfig
from .metrics_probes import ProbesConfig
from .reports import ReportsConfig

BACKENDS = ("sqlite", "postgresql")


class DatabaseConfig(Strict):
    url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite file scc.db in the data directory.")

    @field_validator("url")
    @classmethod
    def _supported(cls, url: str) -> str:
        if not url:
            return url
        try:
            backend = make_url(url).get_backend_name()
        except ArgumentError:
            raise ValueError("is not a database URL (e.g. postgresql+psycopg://user@host:5432/scc)") from None
        if backend not in BACKENDS:
            raise ValueError(f"database {backend!r} is not supported; use one of {', '.join(BACKENDS)}")
        return url


class TlsConfig(Strict):
    """HTTPS for the LAN: the regency's own certificate, or one `scc setup --self-signed` makes."""

    cert: str = Field(
        default="", description="PEM certificate (chain) file; relative to the data directory. Empty: plain HTTP."
    )
    key: str = Field(default="", description="PEM private key file of the certificate; relative to the data directory.")
    http_redirect_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Also listen on this port with plain HTTP and redirect every request to HTTPS.",
    )

    @field_validator("http_redirect_port", mode="before")
    @classmethod
    def _empty_port_is_unset(cls, value: object) -> object:
        return value or None  # `${SCC_HTTP_REDIRECT_PORT:-}` gives "" when the variable is not set

    @property
    def enabled(self) -> bool:
        return bool(self.cert)


def tls_cert_and_key_go_together(tls: TlsConfig) -> TlsConfig:
    if bool(tls.cert) != bool(tls.key):
        raise ValueError("cert and key are set together, or neither")
    if tls.http_redirect_port and not tls.cert:
        raise ValueError("http_redirect_port needs a certificate: without TLS there is nothing to redirect to")
    return tls


class WebConfig(Strict):
    host: str = Field(default="127.0.0.1", description="Address to listen on; 0.0.0.0 serves the whole LAN.")
    port: int = Field(default=8050, ge=1, le=65535, description="TCP port of the dashboard.")
    workers: int = Field(default=3, ge=1, le=32, description="Web server processes.")
    threads: int = Field(default=4, ge=1, le=64, description="Threads per web server process.")
    secret_key: SecretStr = Field(description="Signs session cookies; from SCC_SECRET_KEY.", min_length=32)
    session_hours: int = Field(default=12, ge=1, le=168, description="A sign-in lasts this long (one shift).")
    cookie_secure: bool = Field(default=False, description="Send cookies over HTTPS only; always on with TLS.")
    refresh_s: int = Field(default=5, ge=1, le=300, description="How often live pages refresh.")
    max_body_kb: int = Field(default=2048, ge=64, le=65536, description="Largest request body accepted, in KiB.")
    tls: TlsConfig = Field(default_factory=TlsConfig, description="HTTPS; off while no certificate is set.")

    @property
    def local_host(self) -> str:
        """Where a process on this machine reaches the server (a wildcard address is no destination)."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host

    @model_validator(mode="after")
    def _tls_consistent(self) -> WebConfig:
        tls_cert_and_key_go_together(self.tls)
        if self.tls.http_redirect_port == self.port:
            raise ValueError("tls.http_redirect_port must differ from port")
        return self


class AuthConfig(Strict):
    max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins allowed per user and address in the window."
    )
    window_s: int = Field(default=300, ge=10, description="Window for counting failed sign-ins, in seconds.")
    admin_password: SecretStr | None = Field(default=None, description="First admin's password; random when unset.")

    @field_validator("admin_password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return value or None  # `${SCC_ADMIN_PASSWORD:-}` gives "" when the variable is not set


class AppConfig(Strict):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    web: WebConfig
    auth: AuthConfig = Field(default_factory=AuthConfig)
    mqtt: BrokerConfig = Field(default_factory=BrokerConfig, description="The broker SKPD units publish to.")
    cameras: CamerasConfig = Field(default_factory=CamerasConfig, description="The camera processes.")
    language: Literal["id", "en"] = Field(default="id", description="Language for new users and the sign-in page.")
    probes: ProbesConfig = Field(default_factory=ProbesConfig, description="Checks of the units' public services.")
    reports: ReportsConfig = Field(
        default_factory=ReportsConfig, description="The daily and weekly reports: when, where, how long kept."
    )
