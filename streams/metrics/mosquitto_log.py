"""Mosquitto's log as the broker process reads it: what to pass on, and the refusals in it.

Mosquitto 2.0 names a publish its ACL refused only at debug level, where it also
logs every packet of every message; so the broker logs everything (`log_type
all`) into this reader, which counts the refusals for the admin and passes on
all but the per-packet lines. The lines it reads (Mosquitto 2.0.11, with
`log_timestamp_format %Y-%m-%dT%H:%M:%S`):

    ...: Denied PUBLISH from dpmptsp (d0, q1, r0, m1, 'scc/v1/skpd/bpkd/telemetry', ... (1 bytes))
    ...: dpmptsp 128 scc/#                          a refused subscription (128: MQTT 3.1.1, 135: MQTT 5)
    ...: New connection from 10.0.0.5:40022 on port 8883.
    ...: New client connected from 10.0.0.5:40022 as dpmptsp (p5, c1, k60, u'dpmptsp').
    ...: Sending CONNACK to 10.0.0.5 (0, 5)         a refused sign-in

A refused sign-in is logged with the address it came from (or, for a client that
sent no id, the id Mosquitto made up for it), never with the account it tried:
those are counted per address. The client id is the account (`use_username_as_clientid`),
so a refused publish or subscription names the unit.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable
from datetime import datetime

from scc import refusals
from scc.clock import utcnow
from scc.storage.platform import RefusalKind, RefusalReason

# One line or more per message at debug level: they would flood the supervisor's log.
CHATTER = re.compile(
    rb"^[0-9T:-]*:? ?(?:Received|Sending) (?:PUBLISH|PUBACK|PUBREC|PUBREL|PUBCOMP|PINGREQ|PINGRESP)\b[^\n]*\n",
    re.MULTILINE,
)
DENIED_PUBLISH = re.compile(r"Denied PUBLISH from (?P<id>.+?) \(d\d, q\d, r\d, m\d+, '(?P<topic>.*)', \.\.\. \(")
SUBSCRIBED = re.compile(r"(?P<id>\S+) (?P<code>\d+) (?P<topic>.+)")
NEW_CONNECTION = re.compile(r"New connection from (?P<peer>.+) on port (?P<listener>\d+)\.")
CONNECTED = re.compile(r"New client connected from (?P<peer>\S+) as ")
CONNACK = re.compile(r"Sending CONNACK to (?P<to>\S+) \(\d, (?P<code>\d+)\)")
REFUSED_SUBSCRIPTION = {128, 135}
# Bad user name or password, not authorised (MQTT 3.1.1: 4, 5; MQTT 5: 134, 135).
REFUSED_SIGNIN = {4, 5, 134, 135}
PENDING_S = 10.0  # a connection that has not sent CONNECT by then is of no use for telling who was refused
MAX_PENDING = 1000
MAX_LINE = 1 << 20  # a "line" longer than this is passed on as it is, so memory stays bounded


class BrokerLog:
    """Feed it Mosquitto's output as it comes; it returns what to pass on and adds refusals to `tally`."""

    def __init__(
        self,
        tally: refusals.Tally,
        now: Callable[[], datetime] = utcnow,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tally = tally
        self._now, self._clock = now, clock
        self._partial = b""
        # Connections accepted and not yet answered: "address:port" -> (address, listener port, when).
        self._pending: dict[str, tuple[str, str, float]] = {}

    def feed(self, chunk: bytes) -> bytes:
        """The complete lines of `chunk` (after what came before) to pass on; a partial last line waits."""
        data = self._partial + chunk
        end = data.rfind(b"\n") + 1
        if end == 0:
            self._partial = b"" if len(data) > MAX_LINE else data
            return data if len(data) > MAX_LINE else b""
        self._partial = data[end:]
        kept = CHATTER.sub(b"", data[:end])
        for line in kept.splitlines():
            self.line(line.decode("utf-8", "replace"))
        return kept

    def rest(self) -> bytes:
        """What is left of a last line without its line break (at the end of the output)."""
        rest, self._partial = self._partial, b""
        return rest

    def line(self, text: str) -> None:
        """One line, its timestamp included or not."""
        head, sep, tail = text.partition(": ")
        content = tail if sep and not head.strip("0123456789T:-") else text
        if content.startswith("Denied PUBLISH"):
            if m := DENIED_PUBLISH.match(content):
                self._refused("publish", "acl", m["id"], "", m["topic"])
        elif content.startswith("New connection from "):
            if m := NEW_CONNECTION.match(content):
                self._connecting(m["peer"], m["listener"])
        elif content.startswith("New client connected from "):
            if m := CONNECTED.match(content):
                self._pending.pop(m["peer"], None)
        elif content.startswith("Sending CONNACK to "):
            if (m := CONNACK.match(content)) and int(m["code"]) in REFUSED_SIGNIN:
                address, listener = self._answered(m["to"])
                detail = f"port {listener}" if listener else ""
                self._refused("signin", "not_authorised", refusals.UNKNOWN, address, detail)
        elif (m := SUBSCRIBED.fullmatch(content)) and int(m["code"]) in REFUSED_SUBSCRIPTION:
            self._refused("subscribe", "acl", m["id"], "", m["topic"])

    def _refused(self, kind: RefusalKind, reason: RefusalReason, account: str, address: str, detail: str) -> None:
        self.tally.add(refusals.refusal("broker", kind, reason, account, address, detail, self._now()))

    def _connecting(self, peer: str, listener: str) -> None:
        now = self._clock()
        while self._pending:  # oldest first: a dict keeps the order of insertion
            oldest = next(iter(self._pending))
            if len(self._pending) < MAX_PENDING and self._pending[oldest][2] >= now - PENDING_S:
                break
            del self._pending[oldest]
        self._pending.pop(peer, None)
        self._pending[peer] = (peer.rsplit(":", 1)[0], listener, now)

    def _answered(self, to: str) -> tuple[str, str]:
        """(address, listener port) of the connection a refusing CONNACK went to.

        Mosquitto names the address, except for a client that sent no id: then the id it made up,
        and the address is known only if every connection still waiting came from one address.
        """
        now = self._clock()
        waiting = [(peer, v) for peer, v in self._pending.items() if v[2] >= now - PENDING_S]
        if _is_address(to):
            mine = [(peer, v) for peer, v in waiting if v[0] == to]
        else:
            mine = waiting if len({v[0] for _, v in waiting}) == 1 else []
        if not mine:
            return (to if _is_address(to) else "?"), ""
        peer, (address, listener, _) = mine[0]
        del self._pending[peer]
        return address, listener


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
