"""The demo's units' websites, on loopback, for the `probes` process to find (`metrics-sites-sim` in
`scc run --demo`, with `probes.simulate`).

Each unit's site is http://127.0.0.1:<simulator_port>/<code>/, a page with its name; a few fail each in
their own way, as the 2018 study found half the units' sites dead: an error, a refused connection, a
site that never answers, a slow one (up), an expired certificate, a parked domain without the unit's name.

    python -m streams.metrics.sim.sites
"""

from __future__ import annotations

import logging
import signal
import socket
import ssl
import tempfile
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scc import boot
from scc.clock import utcnow
from scc.health import Heartbeat
from scc.storage.db import connect

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
HANG_S = 3600
SLOW_S = 3.0
HEARTBEAT_S = 30
# How the failing sites fail; every other unit's site is up.
ROLES = {
    "dlh": "error",  # HTTP 503
    "dispora": "refused",  # redirected to a port that refuses
    "disbudpar": "hanging",  # accepts, never answers
    "dispusip": "slow",  # answers after SLOW_S: up, and slow
    "dppkb": "expired",  # redirected to HTTPS with a certificate expired a week ago
    "kec-ganra": "parked",  # a parked domain's page, without the unit's name
}


def expired_context(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=400))
        .not_valid_after(now - timedelta(days=7))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "expired.pem", folder / "expired.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


class Sites:
    def __init__(self, names: dict[str, str], port: int, folder: Path) -> None:
        self.names = names  # unit code -> the name its page shows
        self.stop = threading.Event()
        # Bound and never listening: a connection to it is refused, and no other program takes the port.
        self._closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._closed.bind((HOST, 0))
        self.http = ThreadingHTTPServer((HOST, port), self._handler())
        self.https = ThreadingHTTPServer((HOST, 0), self._handler())
        self.https.socket = expired_context(folder).wrap_socket(self.https.socket, server_side=True)
        for server in (self.http, self.https):
            server.daemon_threads = True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                code = self.path.strip("/").split("/")[0]
                role = ROLES.get(code, "up")
                if code not in sites.names:
                    return self._page(404, "Not found")
                if role == "hanging":
                    sites.stop.wait(HANG_S)
                    return None
                if role == "slow":
                    sites.stop.wait(SLOW_S)
                if role in ("refused", "expired") and self.server is sites.http:
                    port = sites._closed.getsockname()[1] if role == "refused" else sites.https.server_address[1]
                    scheme = "http" if role == "refused" else "https"
                    self.send_response(301)
                    self.send_header("Location", f"{scheme}://{HOST}:{port}/{code}/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if role == "error":
                    return self._page(503, "Service Unavailable")
                if role == "parked":
                    return self._page(200, "This domain is for sale")
                return self._page(200, f"Pemerintah Kabupaten Soppeng - {sites.names[code]}")

            def _page(self, status: int, text: str) -> None:
                body = f"<!doctype html><title>{text}</title><h1>{text}</h1>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        return Handler

    def serve(self) -> None:
        for server in (self.http, self.https):
            threading.Thread(target=server.serve_forever, name="sites", daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        for server in (self.http, self.https):
            server.shutdown()
            server.server_close()
        self._closed.close()

    def probe(self) -> tuple[int, str]:
        return 0, f"{len(self.names)} sites on port {self.http.server_address[1]}, {len(ROLES)} of them failing"


def main() -> None:
    settings = boot.settings_or_exit()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with tempfile.TemporaryDirectory(prefix="scc-sites-") as folder:
        sites = Sites({u.code: u.short for u in settings.skpd}, settings.app.probes.simulator_port, Path(folder))
        sites.serve()
        engine = connect(settings.database_url, pooled=False)
        beat = Heartbeat(engine, "metrics-sites-sim", HEARTBEAT_S, sites.probe).start()
        log.info("sites: %s", sites.probe()[1])
        stop.wait()
        beat.stop()
        sites.close()


if __name__ == "__main__":
    main()
