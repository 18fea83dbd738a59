"""Both languages say everything; Indonesian formats numbers and dates its own way; times are WITA."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from dashboard import i18n

SOURCES = Path(i18n.__file__).parent


def test_catalogs_have_the_same_keys_and_no_blank_texts():
    ind, eng = i18n.catalog("id"), i18n.catalog("en")
    assert set(ind) == set(eng)
    blank_ok = {"unit.count", "unit.flag"}
    assert [k for k, v in {**ind, **eng}.items() if not v and k not in blank_ok] == []


def test_every_key_used_in_code_exists():
    used = set()
    for path in SOURCES.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_]+)["']""", path.read_text()))
        used |= set(re.findall(r"""title_key=["']([a-z_]+\.[a-z_]+)["']""", path.read_text()))
        for pair in re.findall(r"""empty\(["']([a-z_.]+)["'],\s*["']([a-z_.]+)["']""", path.read_text()):
            used |= set(pair)
    for path in (SOURCES / "templates").glob("*.html"):
        used |= set(re.findall(r"""t\('([a-z_]+\.[a-z_]+)'""", path.read_text()))
    assert used - set(i18n.catalog("id")) == set()
    assert len(used) > 50


def test_indonesian_and_english_formats():
    moment = datetime(2026, 11, 23, 1, 5, tzinfo=timezone.utc)
    assert i18n.number(1234.5, "id") == "1.234,5"
    assert i18n.number(1234.5, "en") == "1,234.5"
    assert i18n.number(13161, "id", digits=0) == "13.161"
    assert i18n.date(moment, "id") == "23 Nov 2026"
    assert i18n.datetime_wita(moment, "id") == "23 Nov 2026 09.05 WITA"
    assert i18n.datetime_wita(moment, "en") == "23 Nov 2026 09:05 WITA"
    # 20:30 UTC is already the next day in Soppeng.
    assert i18n.date(datetime(2026, 11, 23, 20, 30, tzinfo=timezone.utc), "id") == "24 Nov 2026"
    assert i18n.t("nav.cameras", "id") == "Kamera" and i18n.t("nav.cameras", "en") == "Cameras"


def test_every_user_error_has_a_text_in_both_languages():
    source = (Path(i18n.__file__).parents[1] / "scc" / "users.py").read_text()
    source += (SOURCES / "pages" / "admin.py").read_text()
    codes = set(re.findall(r'UserError\(\s*"([a-z_]+)"', source))
    assert len(codes) >= 10
    for lang in ("id", "en"):
        assert {f"error.{c}" for c in codes} - set(i18n.catalog(lang)) == set()
