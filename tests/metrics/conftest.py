"""The command center's own broker, as `scc run` configures it, for the metrics tests.

`scc_broker` writes the real configuration (streams.metrics.broker.write_config)
for a test installation: the shipped config/, free ports on 127.0.0.1 for the
plain and the TLS listener, a self-signed certificate, and a random password
for every account in the environment. Then it starts Debian's Mosquitto with
that configuration (tests/support/services.py) and removes it all afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scc import tls
from scc.settings import Settings, load_settings
from scc.settings.metrics_broker import ADMIN_USER, INGEST_USER, accounts, password_env
from scc.storage import open_storage
from streams.metrics.broker import write_config
from tests.support.mqtt import Client
from tests.support.services import HOST, MosquittoBroker, free_port


class SccBroker:
    """Our broker on 127.0.0.1: `port` (plain), `tls_port`, `ca` (the certificate clients trust), `settings`,
    `directory` (the generated files), `passwords` (user -> password); stop / restart / kill like any broker."""

    def __init__(self, config_dir: Path, data_dir: Path) -> None:
        self.host = HOST
        self.config_dir, self.data_dir = config_dir, data_dir
        self.directory = data_dir / "broker"
        self.ca = data_dir / "tls" / "cert.pem"
        tls.generate_self_signed(self.ca, data_dir / "tls" / "key.pem", [HOST, "localhost"])
        self.settings = self._settings(0, 0)  # replaced with the real ports at the first start
        self.passwords = {user: secrets.token_urlsafe(24) for user in accounts(u.code for u in self.settings.skpd)}
        self.tls_port = 0
        self._port = 0  # the plain port the settings were made for
        self.server = MosquittoBroker(configure=self._configure)

    def _settings(self, port: int, tls_port: int) -> Settings:
        environ = {
            **os.environ,
            "SCC_MQTT_PORT": str(port or 1884),
            "SCC_MQTT_TLS_PORT": str(tls_port or 8883),
            "SCC_TLS_CERT": "tls/cert.pem",
            "SCC_TLS_KEY": "tls/key.pem",
        }
        return load_settings(self.config_dir, self.data_dir, environ)

    def _configure(self, port: int) -> Path:
        if port != self._port:  # a first start, or a port clash: new ports both
            self.tls_port = free_port()
            self.settings = self._settings(port, self.tls_port)
            self._port = port
        return write_config(self.settings, self.directory)

    @property
    def port(self) -> int:
        return self.server.port

    def password(self, user: str) -> str:
        if user not in self.passwords:
            raise KeyError(f"no broker account {user!r}: one per SKPD code in config/skpd.yaml, ingest, admin")
        return self.passwords[user]

    def client(self, user: str | None, *, tls: bool = False, password: str | None = None, **options: object) -> Client:
        """A client signed in as `user` (None: anonymous), with its own password unless another is given."""
        return Client(
            self.tls_port if tls else self.port,
            username=user,
            password=password if password is not None or user is None else self.password(user),
            ca=self.ca if tls else None,
            **options,  # type: ignore[arg-type]
        )

    def connect(self, user: str | None, **options: object) -> Client:
        """`client(...)`, connected."""
        client = self.client(user, **options)  # type: ignore[arg-type]
        client.connect()
        return client

    def ingest(self, **options: object) -> Client:
        return self.connect(INGEST_USER, **options)

    def admin(self, **options: object) -> Client:
        return self.connect(ADMIN_USER, **options)

    def start(self) -> SccBroker:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def kill(self) -> None:
        self.server.kill()

    def restart(self) -> SccBroker:
        self.server.restart()
        return self

    def log_text(self) -> str:
        return self.server.log_text()

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def scc_broker(config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SccBroker]:
    """Our broker with our generated configuration, running; its passwords are in the environment."""
    # The tests reach the TLS listener on 127.0.0.1 only, not on every address as shipped.
    app = config_dir / "scc.yaml"
    shipped = app.read_text()
    assert "tls_host: 0.0.0.0" in shipped
    app.write_text(shipped.replace("tls_host: 0.0.0.0", f"tls_host: {HOST}"))
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    broker = SccBroker(config_dir, data_dir)
    for user, secret in broker.passwords.items():
        monkeypatch.setenv(password_env(user), secret)
    try:
        yield broker.start()
    finally:
        broker.close()


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A fresh SQLite database, migrated: its URL (for a process of its own) and an engine."""
    url = f"sqlite:///{tmp_path / 'scc.db'}"
    engine = open_storage(url)
    yield url, engine
    engine.dispose()
