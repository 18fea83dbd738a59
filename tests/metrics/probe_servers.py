"""Servers on loopback for the probe tests: one that answers, one that hangs, one with a certificate of a
chosen age. Each on a free port, in a daemon thread, closed by the test."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scc.clock import utcnow

HOST = "127.0.0.1"


class Web:
    """An HTTP(S) server answering every GET with `status` and `body`, after `delay_s`."""

    def __init__(self, status: int = 200, body: str = "Selamat datang", delay_s: float = 0.0, tls=None) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(outer.delay_s)
                data = outer.body.encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args) -> None:
                pass

        self.status, self.body, self.delay_s = status, body, delay_s
        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://{HOST}:{self.port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Hanging:
    """Accepts connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((HOST, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}/"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


class LoopbackCA:
    """A CA for 127.0.0.1's certificates: the probe trusts it through `probes.ca_file`, so that a
    certificate it signed is refused for its dates alone."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
        now = utcnow()
        cert = self._builder(self.name, self.key, now - timedelta(days=1), now + timedelta(days=365))
        cert = cert.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        self.cert_path = folder / "ca.pem"
        self.cert_path.write_bytes(cert.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))

    def _builder(self, subject: x509.Name, key, start, end) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
        )

    def issue(self, *, days_from_now: int) -> tuple[Path, Path]:
        """A certificate for 127.0.0.1 ending `days_from_now` days (and half of one) from now; negative:
        expired."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = utcnow()
        end = now + timedelta(days=days_from_now, hours=12)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
        cert = self._builder(subject, key, min(now, end) - timedelta(days=30), end)
        cert = cert.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), False)
        cert_path = self.folder / f"cert{days_from_now}.pem"
        key_path = self.folder / f"key{days_from_now}.pem"
        cert_path.write_bytes(cert.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cert_path, key_path


def tls_server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
