"""`scc-publish` as an SKPD's IT person runs it: separate processes, a real broker, a real subscriber."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import datetime

from streams.agent import contract
from streams.agent.outbox import Outbox
from streams.agent.readers import WITA
from tests.agent.conftest import UNIT, retained_status, run_agent
from tests.support.services import mosquitto_broker
from tests.support.web import ROOT


def wita_ms(*args: int) -> int:
    return round(datetime(*args, tzinfo=WITA).timestamp() * 1000)


def test_send_values_from_arguments(broker, listener, agent_env):
    result = run_agent(
        ["send", "laside_permits_received=12", "laside_permits_issued=9", "--ts", "23/11/2026 08.00"], agent_env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 sent, none left queued"
    [message] = listener.wait_for_messages(1)
    assert message["values"] == {"laside_permits_received": 12, "laside_permits_issued": 9}
    assert message["ts"] == wita_ms(2026, 11, 23, 8)
    assert retained_status(broker) == contract.OFFLINE  # it said goodbye on the way out


def test_csv_export_in_indonesian_shape(broker, listener, agent_env, tmp_path):
    export = tmp_path / "paddare.csv"
    export.write_text(
        "Tanggal;Realisasi PBB;Target PBB\n"
        "20/11/2026;Rp 1.250.000.000;Rp 12.000.000.000\n"
        "21/11/2026;1.312.500.000,50;-\n"
        "22/11/2026;satu miliar;-\n"
        "31/11/2026;1.400.000.000;-\n"
        "23/11/2026 08.00;1.450.000.000;\n",
        encoding="utf-8-sig",  # Excel's UTF-8, with a byte order mark
    )
    result = run_agent(
        [
            "csv",
            str(export),
            "--column",
            "Realisasi PBB=paddare_pbb_collected",
            "--column",
            "target pbb=paddare_pbb_target",
            "--ts-column",
            "Tanggal",
            "--decimal",
            ",",
        ],
        {**agent_env, "SCC_UNIT": "bpkd"},
    )
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert errors[0] == (f"scc-publish: {export} line 4: column 'Realisasi PBB': 'satu miliar' is not a number"), errors
    assert errors[1].startswith(f"scc-publish: {export} line 5: column 'Tanggal': '31/11/2026' is not a date")
    assert errors[2] == "scc-publish: 2 bad row(s) skipped, 3 good one(s) queued"
    received = listener.wait_for_messages(3, unit="bpkd")
    assert [(m["ts"], m["values"]) for m in received] == [
        (wita_ms(2026, 11, 20), {"paddare_pbb_collected": 1250000000, "paddare_pbb_target": 12000000000}),
        (wita_ms(2026, 11, 21), {"paddare_pbb_collected": 1312500000.5}),
        (wita_ms(2026, 11, 23, 8), {"paddare_pbb_collected": 1450000000}),
    ]


def test_json_lines_on_stdin(broker, listener, agent_env):
    lines = [
        {"values": {"sia_attendance_percent": 91.5}, "ts": "2026-11-23 07:45"},
        {"id": "sia-2026-11-23-0800", "ts": wita_ms(2026, 11, 23, 8), "values": {"sia_attendance_percent": 93}},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + '\n{"values": {"sia_attendance_percent": "93%"}}\n'
    result = run_agent(["stdin"], {**agent_env, "SCC_UNIT": "bkpsdm"}, stdin=stdin)
    assert result.returncode == 1
    assert "stdin line 3: sia_attendance_percent: '93%' is not a number" in result.stderr
    first, second = listener.wait_for_messages(2, unit="bkpsdm")
    assert (first["ts"], first["values"]) == (wita_ms(2026, 11, 23, 7, 45), {"sia_attendance_percent": 91.5})
    assert second == lines[1]  # a whole contract message keeps its id


def test_broker_down_queues_on_disk_and_the_next_run_drains_it(broker, listener, agent_env, tmp_path):
    broker.stop()
    for hour in (8, 9, 10):
        result = run_agent(["send", f"laside_permits_received={hour}", "--wait", "0.5"], agent_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith("queued, will send when the link returns")
        assert "cannot reach the broker" in result.stderr
    assert result.stdout.strip() == "3 queued, will send when the link returns"
    assert run_agent(["status"], agent_env).stdout.startswith(f"3 queued for {UNIT}, oldest queued ")
    with Outbox(agent_env["SCC_OUTBOX"]) as outbox:
        queued = [m for _, m in outbox.oldest(10)]
    broker.start()
    result = run_agent(["drain"], agent_env)
    assert result.returncode == 0 and result.stdout.strip() == "3 sent, none left queued", result
    assert listener.wait_for_messages(3) == queued  # oldest first, the ids given when queued
    assert run_agent(["status"], agent_env).stdout.strip() == "0 queued"
    assert run_agent(["drain"], agent_env).stdout.strip() == "nothing queued"


def test_a_killed_publisher_leaves_offline_behind(broker, listener, agent_env):
    script = textwrap.dedent(
        f"""
        import os, time
        from streams.agent.publisher import Publisher
        p = Publisher("{UNIT}", "x", "127.0.0.1", {broker.port}, os.environ["SCC_OUTBOX"])
        p.send({{"service_up": 1}})
        p.flush(10)
        print("delivered", flush=True)
        time.sleep(60)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], env=agent_env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "delivered"
        listener.wait_for_status(contract.ONLINE)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        listener.wait_for_status(contract.OFFLINE)  # the will, published by the broker
        assert retained_status(broker) == contract.OFFLINE
    finally:
        process.kill()
        process.wait()


def test_the_agent_runs_from_a_copy_of_its_folder_alone(broker, listener, agent_env, tmp_path):
    """What an SKPD installs: Python, paho-mqtt and the streams/agent folder; nothing else of the project."""
    site = tmp_path / "skpd-pc"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "streams" / "agent", site / "streams" / "agent", ignore=skip)
    (site / "streams" / "__init__.py").write_text("")
    guard = site / "run_agent.py"
    guard.write_text(
        textwrap.dedent(
            """
            import runpy, sys
            FORBIDDEN = ("scc", "dashboard", "callcenter", "sqlalchemy", "pydantic", "yaml", "pandas", "tests")

            class Guard:
                def find_spec(self, name, path=None, target=None):
                    if name.split(".")[0] in FORBIDDEN or name.startswith(("streams.metrics", "streams.cameras")):
                        raise ImportError(f"the agent imported {name}")
                    return None

            sys.meta_path.insert(0, Guard())
            runpy.run_module("streams.agent", run_name="__main__", alter_sys=True)
            """
        )
    )
    env = {**agent_env, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, str(guard), "send", "laside_permits_received=5", "-v"],
        env=env,
        cwd=site,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert listener.wait_for_messages(1)[0]["values"] == {"laside_permits_received": 5}
    check = subprocess.run(
        [sys.executable, "-c", "import streams.agent.cli as c; print(c.__file__)"],
        env=env,
        cwd=site,
        capture_output=True,
        text=True,
    )
    assert check.stdout.strip().startswith(str(site))


def test_bad_usage_gets_one_line_and_no_traceback(broker, agent_env, tmp_path):
    no_password = {k: v for k, v in agent_env.items() if k != "SCC_MQTT_PASSWORD"}
    export = tmp_path / "sia.csv"
    export.write_text("Tanggal,Persen Hadir\n23/11/2026,95\n")
    cases = [
        (["send", "service_up=1"], no_password, "no password: set SCC_MQTT_PASSWORD or give --password-file FILE"),
        (["send", "service_up=1", "--password", "x"], agent_env, "no --password: arguments show in `ps`"),
        (["send", "service_up=1", "--password-file", str(tmp_path / "none")], no_password, "cannot read"),
        (["send", "Layanan=1"], agent_env, "'Layanan' is not a metric key"),
        (["send", "service_up=1", "--ts", "besok"], agent_env, "'besok' is not a date"),
        (["send", "service_up=1", "--unit", "DPMPTSP"], agent_env, "'DPMPTSP' is not an SKPD code"),
        (["send", "service_up=1", "--cafile", str(tmp_path / "none.pem")], agent_env, "does not exist"),
        (["csv", str(export), "--column", "Hadir=sia_attendance_percent"], agent_env, "no column 'Hadir'"),
        (["csv", str(tmp_path / "none.csv"), "--column", "a=service_up"], agent_env, "cannot read"),
    ]
    for args, env, expected in cases:
        result = run_agent(args, env)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr, (args, result.stderr)
    assert not os.path.exists(agent_env["SCC_OUTBOX"])  # nothing was queued by a refused command


def test_password_file_and_a_refused_login(tmp_path, agent_env):
    passwords = tmp_path / "passwords"
    passwords.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), UNIT, "kata-sandi"], check=True)
    acl = tmp_path / "acl"
    acl.write_text("pattern readwrite scc/v1/skpd/%u/#\n")
    config = [f"password_file {passwords}", f"acl_file {acl}"]
    with mosquitto_broker(allow_anonymous=False, extra_config=config) as secured:
        env = {k: v for k, v in agent_env.items() if k != "SCC_MQTT_PASSWORD"}
        env["SCC_MQTT_PORT"] = str(secured.port)
        secret = tmp_path / "mqtt-password"
        secret.write_text("salah\n")
        secret.chmod(0o600)
        refused = run_agent(["send", "service_up=1", "--password-file", str(secret), "--wait", "1"], env)
        assert refused.returncode == 3
        assert refused.stdout.strip() == "1 queued, will send when the link returns"
        assert "refused the connection: Not authorized" in refused.stderr and "salah" not in refused.stderr
        secret.write_text("kata-sandi\n")
        accepted = run_agent(["drain", "--password-file", str(secret)], env)
        assert accepted.returncode == 0 and accepted.stdout.strip() == "1 sent, none left queued", accepted
