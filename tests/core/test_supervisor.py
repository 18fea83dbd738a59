"""The supervisor and `scc run`: real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import requests
from sqlalchemy import func, select

from scc import health
from scc.storage import open_storage
from scc.storage.cameras import camera_state
from scc.storage.platform import process_state
from tests.conftest import free_port
from tests.support.web import ROOT


def wait_for(predicate, timeout=30.0, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def run_supervisor(tmp_path, specs_code: str) -> subprocess.Popen:
    script = tmp_path / "sup.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        from scc.storage import open_storage
        from scc.supervisor import ProcessSpec, Supervisor
        engine = open_storage("sqlite:///{tmp_path / "scc.db"}")
        specs = {specs_code}
        sys.exit(Supervisor(specs, engine, grace_s=3, heartbeat_s=0.5).run())
    """)
    )
    return subprocess.Popen([sys.executable, str(script)], cwd=ROOT)


def health_rows(tmp_path) -> dict:
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    with engine.connect() as conn:
        rows = {r.name: r for r in conn.execute(select(process_state))}
    engine.dispose()
    return rows


def test_dead_worker_is_restarted_and_all_stop_on_sigterm(tmp_path):
    pids = tmp_path / "pids"
    crash = f"import os; open({str(pids)!r}, 'a').write(str(os.getpid()) + chr(10)); raise SystemExit(3)"
    steady = f"import os, time; open({str(tmp_path / 'steady')!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    proc = run_supervisor(
        tmp_path,
        f'[ProcessSpec("crasher", "test", [sys.executable, "-c", {crash!r}]), '
        f'ProcessSpec("steady", "test", [sys.executable, "-c", {steady!r}])]',
    )
    try:
        wait_for(lambda: pids.exists() and len(pids.read_text().split()) >= 3, timeout=30)
        rows = wait_for(lambda: (r := health_rows(tmp_path)).get("crasher") and r["crasher"].restarts >= 2 and r)
        assert "exited with code 3" in rows["crasher"].last_exit
        steady_pid = int(wait_for(lambda: (tmp_path / "steady").exists() and (tmp_path / "steady").read_text()))
        assert rows["steady"].status == "running" and rows["steady"].restarts == 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert not pid_alive(steady_pid)
        rows = health_rows(tmp_path)
        assert rows["steady"].status == "stopped" and rows["supervisor"].status == "stopped"
    finally:
        proc.kill()


def test_supervisor_beats_for_a_program_that_cannot_while_its_probe_succeeds(tmp_path):
    from scc import health

    flag = tmp_path / "working"
    flag.touch()
    probe = f"lambda: (7, 'probed') if __import__('os').path.exists({str(flag)!r}) else 1 / 0"
    sleeper = '[sys.executable, "-c", "import time; time.sleep(600)"]'
    proc = run_supervisor(
        tmp_path,
        f'[ProcessSpec("foreign", "test", {sleeper}, probe={probe}), ProcessSpec("silent", "test", {sleeper})]',
    )
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    try:

        def component(name):
            return next((c for c in health.read_all(engine) if c.name == name), None)

        foreign = wait_for(lambda: (c := component("foreign")) and c.status == "up" and c)
        assert (foreign.backlog, foreign.detail) == (7, "probed")
        assert component("silent").beat_at is None  # it beats for itself, or not at all
        flag.unlink()  # the program runs but no longer works: its heartbeat goes stale
        beat_at = component("foreign").beat_at
        time.sleep(1.5)
        assert component("foreign").beat_at == beat_at
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        proc.kill()
        engine.dispose()


def test_worker_ignoring_sigterm_is_killed_after_grace(tmp_path):
    stubborn = (
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    )
    proc = run_supervisor(tmp_path, f'[ProcessSpec("stubborn", "test", [sys.executable, "-c", {stubborn!r}])]')
    try:
        pid = int(wait_for(lambda: (tmp_path / "pid").exists() and (tmp_path / "pid").read_text()))
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert 2.5 <= time.monotonic() - started < 10
        assert not pid_alive(pid)
    finally:
        proc.kill()


def test_scc_run_starts_the_command_center_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "SCC_DATA_DIR": str(tmp_path / "data"),
        "SCC_WEB_PORT": str(port),
        "SCC_WEB_HOST": "127.0.0.1",
        "SCC_WEB_WORKERS": "1",
        "SCC_MQTT_PORT": str(free_port()),
        "SCC_RTSP_PORT": str(free_port()),
        "SCC_RELAY_PORT": str(free_port()),
        "SCC_SITES_PORT": str(free_port()),
    }
    env.pop("SCC_SECRET_KEY", None)  # setup generates it into secrets.env
    proc = subprocess.Popen(
        [sys.executable, "-m", "scc", "run", "--demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy():
            try:
                r = requests.get(base + "/healthz", timeout=2)
            except requests.RequestException:
                return None
            return r.status_code == 200 and r.json()

        doc = wait_for(healthy, timeout=60)
        assert {
            "database",
            "supervisor",
            "web",
            "metrics-broker",
            "metrics-ingest",
            "metrics-sim",
            "callcenter-sim",
        } <= set(doc["components"])
        # The demo's cameras come from the RTSP simulator, read by the camera workers.
        engine = open_storage(f"sqlite:///{tmp_path / 'data' / 'scc.db'}")
        try:
            wait_for(lambda: online_cameras(engine) >= 8, timeout=60)
            beats = {c.name for c in health.read_all(engine) if c.beat_at is not None}
            assert {
                "cameras-sim", "cameras-worker-0", "cameras-worker-1", "cameras-relay", "housekeeping", "alerts",
                "probes", "metrics-sites-sim", "reports",
            } <= beats, beats  # fmt: skip
        finally:
            engine.dispose()
        assert requests.get(base + "/login", timeout=5).status_code == 200
        secrets_file = tmp_path / "data" / "secrets.env"
        assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert f"http://127.0.0.1:{port}/" in out
        for user in ("admin", "operator", "bupati", "dpmptsp"):
            assert f"  {user} " in out, out
        assert "SCC_SECRET_KEY" not in out
        wait_for(lambda: not _listening(port), timeout=10)
    finally:
        proc.kill()


def online_cameras(engine) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(camera_state).where(camera_state.c.status == "online")
        return conn.execute(query).scalar_one()


def _listening(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        return True
    except requests.RequestException:
        return False


def test_program_that_cannot_start_backs_off(tmp_path):
    proc = run_supervisor(tmp_path, '[ProcessSpec("ghost", "test", ["/nonexistent/program"])]')
    try:
        time.sleep(4.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        row = health_rows(tmp_path)["ghost"]
        # Delays 0.5, 1, 2 s...: four or five tries in 4.5 s, not one every half second.
        assert 3 <= row.restarts <= 5, row.restarts
        assert "cannot start" in row.last_exit
    finally:
        proc.kill()


def test_a_process_whose_thread_dies_exits_and_is_restarted(tmp_path):
    """A dead thread would leave its process alive and idle; begun as every process begins, it ends."""
    pids = tmp_path / "pids"
    worker = textwrap.dedent(f"""
        import os, threading, time
        from scc import boot
        boot.begin()
        open({str(pids)!r}, "a").write(str(os.getpid()) + chr(10))
        def work():
            raise RuntimeError("the network loop hit a bug")
        threading.Thread(target=work, name="network-loop").start()
        time.sleep(600)
    """)
    log = tmp_path / "alone.log"
    with open(log, "w") as out:
        alone = subprocess.run([sys.executable, "-c", worker], cwd=ROOT, stderr=out, timeout=30)
    assert alone.returncode == 70
    assert "thread 'network-loop' died; ending the process" in log.read_text()
    assert "RuntimeError: the network loop hit a bug" in log.read_text()
    proc = run_supervisor(tmp_path, f'[ProcessSpec("threaded", "test", [sys.executable, "-c", {worker!r}])]')
    try:
        rows = wait_for(lambda: (r := health_rows(tmp_path)).get("threaded") and r["threaded"].restarts >= 1 and r)
        assert "exited with code 70" in rows["threaded"].last_exit
    finally:
        proc.kill()


def test_a_process_whose_lasting_task_fails_exits(tmp_path):
    """The relay reads each camera in an asyncio task: one that fails ends the process like a dead thread."""
    worker = textwrap.dedent("""
        import asyncio
        from scc import boot
        boot.begin()
        async def read_camera():
            raise RuntimeError("a packet the feed did not expect")
        async def main():
            boot.end_if_it_fails(asyncio.ensure_future(read_camera()))
            await asyncio.sleep(600)
        asyncio.run(main())
    """)
    log = tmp_path / "task.log"
    with open(log, "w") as out:
        done = subprocess.run([sys.executable, "-c", worker], cwd=ROOT, stderr=out, timeout=30)
    assert done.returncode == 70
    assert "died; ending the process" in log.read_text()
    assert "RuntimeError: a packet the feed did not expect" in log.read_text()
