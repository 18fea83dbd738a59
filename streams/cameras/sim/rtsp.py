"""The demo's and the tests' cameras: a real RTSP server (GStreamer's, from Debian) painting synthetic streams.

`python -m streams.cameras.sim [--port P] [--control-port C] [--test-mounts]`
serves, for every active camera of the settings, `/<id>/main` (1280x720, 10 fps)
and `/<id>/sub` (640x360, 5 fps): H.264 constrained baseline, a keyframe every
second, RTSP Basic auth with the camera's own user name and password. Each mount
is a shared, on-demand media: no pipeline runs until a client asks, one pipeline
serves every client of a mount, and it stops when the last one leaves, so an
unwatched demo costs nothing (0% idle, ~13% with 16 sub readers: docs/field-notes.md
"On-demand shared mounts cost nothing unwatched").

Radio cameras drop on the rain schedule (sim.rain). With `--control-port`, a
loopback HTTP port lets tests and operators break cameras on purpose
(sim.control): down (mounts gone, clients closed), freeze (sessions stay, frames
stop), up. `--test-mounts` adds `/test/h265` and `/test/mjpeg` (no auth), streams
the relay cannot pass through, for the fault tests.

Log lines name camera ids, never a URL or a password.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

from scc import boot  # noqa: E402
from scc.settings import Settings  # noqa: E402
from scc.settings.cameras import Camera  # noqa: E402
from streams.cameras.sim.control import start as start_control  # noqa: E402
from streams.cameras.sim.media import MAIN, SUB, TEST_H265, TEST_MJPEG, Painter, StreamSpec, launch  # noqa: E402
from streams.cameras.sim.rain import RainSchedule  # noqa: E402

log = logging.getLogger("scc.cameras.sim")

ANONYMOUS = "anonymous"
# Vanished clients are dropped only when the session pool is swept
# (docs/field-notes.md "Vanished clients are dropped only when the session pool is swept").
CLEANUP_S = 2
RAIN_TICK_MS = 200


@dataclass
class Mount:
    path: str
    spec: StreamSpec
    title: str
    subtitle: str
    role: str | None  # None: no password (test mounts)
    factory: GstRtspServer.RTSPMediaFactory | None = None
    media: list[Any] = field(default_factory=list)  # prepared media of this mount (one while shared and playing)


@dataclass
class SimCamera:
    camera: Camera
    mounts: list[Mount]
    manual: str = "up"  # up | down | frozen, as the control port set it
    rain: bool = False
    state: str = "up"  # what is in force: the manual state, else the rain's, else up


class Simulator:
    def __init__(self, settings: Settings, host: str, port: int, test_mounts: bool = False) -> None:
        self.config = settings.app.cameras.simulator
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(host)
        self.server.set_service(str(port))
        # A thread per client, not one for all: a request that waits on its media (a DESCRIBE of a frozen camera
        # waits for a first frame that never comes) would otherwise hold every other client's requests too.
        self.server.get_thread_pool().set_max_threads(-1)
        self.mount_points = self.server.get_mount_points()
        self.auth = GstRtspServer.RTSPAuth()
        self.server.set_auth(self.auth)
        anonymous = GstRtspServer.RTSPToken()
        anonymous.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ANONYMOUS)
        self.auth.set_default_token(anonymous)
        self.roles: dict[tuple[str, str], str] = {}
        self.cameras: dict[str, SimCamera] = {}
        for camera in settings.cameras:
            if camera.status != "active":
                continue
            role = self._role(camera) if camera.username else None  # no user name: an open camera
            mounts = [
                Mount(f"/{camera.id}/{spec.kind}", spec, camera.name, f"{camera.site} · {spec.kind}", role)
                for spec in (MAIN, SUB)
            ]
            self.cameras[camera.id] = SimCamera(camera, mounts)
        self.test_mounts = (
            [
                Mount("/test/h265", TEST_H265, "TEST H.265", "codec fault", None),
                Mount("/test/mjpeg", TEST_MJPEG, "TEST MJPEG", "codec fault", None),
            ]
            if test_mounts
            else []
        )
        for sim in self.cameras.values():
            for mount in sim.mounts:
                self._mount(mount)
        for mount in self.test_mounts:
            self._mount(mount)
        radio = [sim.camera.uplink for sim in self.cameras.values() if sim.camera.link == "radio"]
        self.rain = RainSchedule(self.config.rain, radio)
        self.started = time.monotonic()

    def _role(self, camera: Camera) -> str:
        """One role per distinct credential pair: RTSPAuth maps each Basic credential to one token."""
        user = camera.username or ""
        password = camera.password.get_secret_value() if camera.password else ""
        key = (user, password)
        if key not in self.roles:
            role = f"camera-user-{len(self.roles)}"
            self.roles[key] = role
            token = GstRtspServer.RTSPToken()
            token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, role)
            self.auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        return self.roles[key]

    def _mount(self, mount: Mount) -> None:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch(mount.spec, mount.path))
        factory.set_shared(True)
        perms = GstRtspServer.RTSPPermissions()
        if mount.role is None:
            perms.add_role(ANONYMOUS)
            perms.add_permission_for_role(ANONYMOUS, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
            perms.add_permission_for_role(ANONYMOUS, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        else:
            # Anonymous may see that the mount exists but not play it: FFmpeg then gets a 401 and retries
            # with the password (granting nothing would answer 404 to the right password too).
            perms.add_role(ANONYMOUS)
            perms.add_permission_for_role(ANONYMOUS, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
            perms.add_permission_for_role(ANONYMOUS, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, False)
            perms.add_role(mount.role)
            perms.add_permission_for_role(mount.role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
            perms.add_permission_for_role(mount.role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(perms)
        factory.connect("media-configure", self._configure, mount)
        mount.factory = factory
        self.mount_points.add_factory(mount.path, factory)

    def _configure(self, _factory: Any, media: Any, mount: Mount) -> None:
        """A client asked for a mount that was not playing: paint it, and freeze it if it should be."""
        element = media.get_element()
        painter = Painter(mount.title, mount.subtitle, mount.spec)
        element.get_by_name("overlay").connect("draw", painter.draw)
        element.get_by_name("pay0").get_static_pad("src").add_probe(Gst.PadProbeType.QUERY_UPSTREAM, _live_only)
        media.connect("new-state", self._new_state)
        media.connect("unprepared", self._unprepared, mount)
        mount.media.append(media)
        sim = self._owner(mount)
        if sim is not None and sim.state == "frozen":
            element.get_by_name("valve").set_property("drop", True)
        log.info("%s: stream started", mount.path)

    @staticmethod
    def _new_state(media: Any, state: int) -> None:
        """Send each packet as soon as it is made: the server's RTP sink otherwise waits on the clock for the
        pipeline's latency, which held every frame 400 ms at the sub stream's 5 fps (200 ms at 10 fps)."""
        if state != Gst.State.PLAYING:
            return
        iterator = media.get_element().get_parent().iterate_recurse()
        while True:
            result, element = iterator.next()
            if result != Gst.IteratorResult.OK:
                break
            if element.get_factory().get_name() == "appsink" and element.get_property("sync"):
                element.set_property("sync", False)

    def _unprepared(self, media: Any, mount: Mount) -> None:
        if media in mount.media:
            mount.media.remove(media)
        log.info("%s: stream stopped (no clients)", mount.path)

    def _owner(self, mount: Mount) -> SimCamera | None:
        camera_id = mount.path.split("/")[1]
        return self.cameras.get(camera_id)

    # --- breaking cameras on purpose (control port, rain) ---------------------

    def set_manual(self, camera_id: str, state: str) -> dict[str, Any]:
        sim = self.cameras[camera_id]
        sim.manual = state
        self._apply(sim)
        return self.camera_state(sim)

    def _apply(self, sim: SimCamera) -> None:
        want = sim.manual if sim.manual != "up" else ("up" if not sim.rain else self._rain_state())
        if want == sim.state:
            return
        before, sim.state = sim.state, want
        if before == "down":
            for mount in sim.mounts:
                self._mount(mount)
        if want == "down":
            self._take_down(sim)
        for mount in sim.mounts:
            for media in mount.media:
                media.get_element().get_by_name("valve").set_property("drop", want == "frozen")
        log.info("%s: %s -> %s%s", sim.camera.id, before, want, " (rain)" if sim.rain and sim.manual == "up" else "")

    def _rain_state(self) -> str:
        return "frozen" if self.config.rain.mode == "freeze" else "down"

    def _take_down(self, sim: SimCamera) -> None:
        """Like a host that vanished: the mounts answer 404 and every client of the camera is disconnected."""
        for mount in sim.mounts:
            self.mount_points.remove_factory(mount.path)
        media = [m for mount in sim.mounts for m in mount.media]
        for client in self.server.client_filter(None):
            sessions = client.session_filter(None)
            if any(sm.get_media() in media for session in sessions for sm in session.filter(None)):
                client.close()
        for m in media:
            m.unprepare()

    def _rain_tick(self) -> bool:
        elapsed = time.monotonic() - self.started
        for sim in self.cameras.values():
            rain = sim.camera.link == "radio" and self.rain.at(sim.camera.uplink, elapsed).down
            if rain != sim.rain:
                sim.rain = rain
                self._apply(sim)
        return True

    def camera_state(self, sim: SimCamera) -> dict[str, Any]:
        shower = self.rain.at(sim.camera.uplink, time.monotonic() - self.started)
        return {
            "state": sim.state,
            "manual": sim.manual,
            "rain": sim.rain,
            "link": sim.camera.link,
            "uplink": sim.camera.uplink,
            "rain_change_in_s": None if shower.next_change_s == float("inf") else round(shower.next_change_s, 2),
            "playing": {m.spec.kind: len(m.media) for m in sim.mounts},
        }

    def state(self) -> dict[str, Any]:
        rain = self.config.rain
        return {
            "uptime_s": round(time.monotonic() - self.started, 2),
            "rain": {"enabled": rain.enabled, "every_s": rain.every_s, "down_s": rain.down_s, "mode": rain.mode},
            "cameras": {cid: self.camera_state(sim) for cid, sim in self.cameras.items()},
            "test_mounts": {m.path: len(m.media) for m in self.test_mounts},
        }

    # --- running -------------------------------------------------------------

    def attach(self) -> None:
        if not self.server.attach(None):
            raise OSError(f"cannot listen on RTSP port {self.server.get_service()}")
        pool = self.server.get_session_pool()
        GLib.timeout_add_seconds(CLEANUP_S, lambda: pool.cleanup() >= 0)
        GLib.timeout_add(RAIN_TICK_MS, self._rain_tick)


def _live_only(_pad: Any, info: Any) -> Any:
    """Answer "not seekable", as a camera would. FFmpeg asks each PLAY for `Range: npt=0-`; on a seekable
    media the server then seeks the shared pipeline back to 0, which flushes every other client of the mount
    and holds the server until the pipeline prerolls again: 20 s, its timeout, when the camera is frozen."""
    query = info.get_query()
    if query is not None and query.type == Gst.QueryType.SEEKING:
        return Gst.PadProbeReturn.HANDLED  # a fresh seeking query reads "not seekable" until someone fills it
    return Gst.PadProbeReturn.OK


def on_main_loop(fn: Callable[[], Any], timeout_s: float = 5.0) -> Any:
    """Run `fn` on GLib's main loop (where the server lives) from another thread, and return its result."""
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def call() -> bool:
        try:
            future.set_result(fn())
        except Exception as exc:  # handed to the caller's thread
            future.set_exception(exc)
        return False

    GLib.idle_add(call)
    return future.result(timeout=timeout_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.cameras.sim", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="RTSP port (default: cameras.simulator.port of the settings)")
    parser.add_argument("--control-port", type=int, help="loopback HTTP port to break cameras on purpose")
    parser.add_argument("--test-mounts", action="store_true", help="also serve /test/h265 and /test/mjpeg")
    args = parser.parse_args(argv)
    settings = boot.settings_or_exit()
    Gst.init(None)
    config = settings.app.cameras.simulator
    port = args.port or config.port
    simulator = Simulator(settings, config.host, port, test_mounts=args.test_mounts)
    try:
        simulator.attach()
    except OSError as exc:
        log.error("%s", exc)
        return 2
    control = None
    if args.control_port:
        control = start_control(simulator, on_main_loop, args.control_port)
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    log.info(
        "serving %d cameras on rtsp://%s:%d/<id>/main|sub%s%s",
        len(simulator.cameras),
        config.host,
        port,
        f"; control on 127.0.0.1:{args.control_port}" if control else "",
        "; test mounts" if args.test_mounts else "",
    )
    loop.run()
    if control is not None:
        control.shutdown()
    log.info("stopped")
    return 0
