"""The public boards' configuration, checked at start (config/boards.yaml against skpd.yaml, metrics.yaml and
office_days.yaml), and their links as stored: a hash, never the token."""

from __future__ import annotations

from sqlalchemy import select

from scc import boards
from scc.settings import load_settings
from scc.storage import open_storage
from scc.storage.boards import board_links
from tests.core.test_settings import ENV, errors_of, replace


def test_the_shipped_boards_are_the_four_service_offices():
    settings = load_settings(environ=ENV)
    assert {b.skpd for b in settings.boards.boards} == {"dukcapil", "dpmptsp", "dinsos", "rsud"}
    assert settings.boards.board_of("rsud").hours is None  # the calendar keeps it open


def test_a_board_must_name_a_known_unit_its_own_metrics_of_the_right_kind_and_hours(config_dir):
    path = config_dir / "boards.yaml"
    replace(path, "  - skpd: dinsos\n", "  - skpd: dinsos-x\n")
    replace(path, "    queue: dukcapil_queue_length\n", "    queue: dukcapil_ktp_el_printed\n")
    replace(path, "    issued: laside_permits_issued\n", "    issued: dukcapil_ktp_el_printed\n")
    replace(path, '    hours: {opens: "08:00", closes: "15:00"}\n  - skpd: dpmptsp', "  - skpd: dpmptsp")
    found = "\n".join(errors_of(config_dir))
    assert "boards[2].skpd: unknown SKPD 'dinsos-x'" in found
    assert "boards[0].queue: 'dukcapil_ktp_el_printed' is a counter; this needs a gauge" in found
    assert "boards[1].issued: 'dukcapil_ktp_el_printed' is no metric of 'dpmptsp'" in found
    assert "boards[0].hours: required" in found


def test_hours_are_quoted_times_in_order(config_dir):
    path = config_dir / "boards.yaml"
    replace(path, 'hours: {opens: "08:00", closes: "15:00"}', "hours: {opens: 08:00, closes: 15:00}")
    found = "\n".join(errors_of(config_dir))
    assert 'hours.closes: write the time in quotes, as "15:00"' in found  # YAML 1.1 reads 15:00 as 900
    replace(path, "hours: {opens: 08:00, closes: 15:00}", 'hours: {opens: "15:00", closes: "08:00"}')
    assert "closes (08:00) must come after opens (15:00)" in "\n".join(errors_of(config_dir))


def test_only_the_tokens_hash_is_stored(tmp_path):
    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    settings = load_settings(environ=ENV)
    staff = boards.Actor("dukcapil-staff", "skpd", "dukcapil")
    link_id, token = boards.create_link(engine, settings, "dukcapil", "Lobi", staff)
    with engine.connect() as conn:
        row = conn.execute(select(board_links)).one()
    assert token not in str(tuple(row)) and row.token_hash == boards.token_hash(token) != token
    assert boards.lookup(engine, token) == boards.Link(link_id, "dukcapil", False, None)
    assert boards.lookup(engine, token[:-1] + "~") is None and boards.lookup(engine, "") is None
    assert boards.may_manage("skpd", "dukcapil", "dukcapil") and not boards.may_manage("skpd", "dinsos", "dukcapil")
    assert not boards.may_manage("viewer", None, "dukcapil") and not boards.may_manage("operator", None, "dukcapil")
    engine.dispose()


def test_a_link_goes_a_year_after_its_revocation_and_a_live_one_never(tmp_path):
    import time
    from datetime import timedelta

    from sqlalchemy import update

    from scc import housekeeping
    from scc.clock import utcnow

    engine = open_storage(f"sqlite:///{tmp_path / 'scc.db'}")
    settings = load_settings(environ=ENV)
    admin = boards.Actor("admin", "admin", None)
    ids = [boards.create_link(engine, settings, "rsud", label, admin)[0] for label in ("old", "recent", "live")]
    for link_id in ids[:2]:
        boards.revoke_link(engine, settings, link_id, admin)
    now = utcnow()
    with engine.begin() as conn:
        for link_id, days in ((ids[0], 400), (ids[1], 300), (ids[2], 900)):
            conn.execute(
                update(board_links).where(board_links.c.id == link_id).values(created_at=now - timedelta(days=days))
            )
        conn.execute(update(board_links).where(board_links.c.id == ids[0]).values(revoked_at=now - timedelta(days=366)))
    removed: dict[str, int] = {}
    assert housekeeping.prune(engine, settings.retention, now, time.monotonic() + 30, removed)
    assert removed.get("board_links") == 1
    with engine.connect() as conn:
        assert sorted(conn.scalars(select(board_links.c.label))) == ["live", "recent"]
    engine.dispose()
