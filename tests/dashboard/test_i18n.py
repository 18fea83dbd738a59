"""Both languages say everything; Indonesian formats numbers and dates its own way; times are WITA."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import i18n
from dashboard.components import status
from dashboard.components.metrics_figures import UNITLESS
from scc.clock import utcnow
from scc.settings.cameras import Camera
from scc.settings.metrics import Unit
from scc.users import ROLES

SOURCES = Path(i18n.__file__).parent
ROOT = SOURCES.parent
# A literal key: t("nav.cameras"), i18n.t('error.too_long', ...), title_key="nav.admin", empty("a.b", "c.d").
KEY = r"""["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']"""
USES = [
    re.compile(r"\bt\(\s*" + KEY),
    re.compile(r"\btitle_key=\s*" + KEY),
    re.compile(r"\bempty\(\s*" + KEY + r",\s*" + KEY),
]


def used_keys() -> dict[str, set[str]]:
    """Every catalog key written literally in the dashboard's code and templates -> the files using it."""
    files = [*SOURCES.rglob("*.py"), *(SOURCES / "templates").glob("*.html")]
    used: dict[str, set[str]] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        for pattern in USES:
            for match in pattern.finditer(text):
                for key in match.groups():
                    used.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return used


def test_catalogs_have_the_same_keys_and_no_empty_text():
    ind, eng = i18n.catalog("id"), i18n.catalog("en")
    assert set(ind) ^ set(eng) == set()
    empty = sorted(
        f"{lang}: {key}" for lang, cat in (("id", ind), ("en", eng)) for key, v in cat.items() if not v.strip()
    )
    assert empty == [], "a text may not be empty (t() would show nothing, or used to show the key)"


def test_every_key_used_in_code_exists():
    used = used_keys()
    assert len(used) > 100, "the scan found too few keys: did the patterns break?"
    for lang in i18n.LANGUAGES:
        missing = {key: sorted(files) for key, files in used.items() if key not in i18n.catalog(lang)}
        assert missing == {}, f"keys used in code but missing from locales/{lang}.json"


def test_every_status_role_link_and_unit_has_its_words():
    """Keys the code builds from a value (t("camera." + status)) exist for every value the types allow."""
    built = {
        **{f"{domain}.{value}": domain for domain, tones in status.DOMAINS.items() for value in tones},
        **{f"tone.{tone}": "tone" for tone in status.TONES},
        **{f"role.{role}": "role" for role in ROLES},
        **{f"link.{link}": "link" for link in get_args(Camera.model_fields["link"].annotation)},
        **{f"unit.{unit}": "unit" for unit in get_args(Unit) if unit not in UNITLESS},
    }
    assert len(built) > 40
    for lang in i18n.LANGUAGES:
        assert sorted(k for k in built if k not in i18n.catalog(lang)) == [], lang


def test_every_refusal_of_a_units_figures_has_its_words():
    """What streams.metrics.intake refuses, each kind said in both languages (own.err_<code>), and a figure
    too large for Babel's rounding still written."""
    from streams.metrics.intake import ProblemCode

    codes = get_args(ProblemCode)
    assert len(codes) >= 8
    for lang in i18n.LANGUAGES:
        assert sorted(c for c in codes if f"own.err_{c}" not in i18n.catalog(lang)) == [], lang
    assert i18n.number(7.78e34, "id") == "7,78E34" and i18n.number(10**400, "en") == "1E400"


def test_a_unit_without_symbol_shows_nothing_not_its_key():
    from dashboard.components.metrics_figures import unit_text

    for unit in UNITLESS:
        assert f"unit.{unit}" not in i18n.catalog("id"), "a unit without symbol has no (empty) text"
        assert unit_text(unit) == ""
    assert unit_text("percent") == "%" and unit_text("idr") == "Rp"
    # t() never hides an existing text, and shows a missing key as itself (so tests and eyes catch it).
    assert i18n.t("unit.percent", "id") == "%"
    assert i18n.t("no.such_key", "id") == "no.such_key"


def test_indonesian_and_english_formats():
    moment = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)
    assert i18n.number(1234.5, "id") == "1.234,5"
    assert i18n.number(1234.5, "en") == "1,234.5"
    assert i18n.number(13161, "id", digits=0) == "13.161"
    assert i18n.date(moment, "id") == "23 Nov 2026"
    assert i18n.datetime_wita(moment, "id") == "23 Nov 2026 09.05 WITA"
    assert i18n.datetime_wita(moment, "en") == "23 Nov 2026 09:05 WITA"
    # 20:30 UTC is already the next day in Soppeng.
    assert i18n.date(datetime(2026, 11, 23, 20, 30, tzinfo=UTC), "id") == "24 Nov 2026"
    assert i18n.t("nav.cameras", "id") == "Kamera" and i18n.t("nav.cameras", "en") == "Cameras"
    # The wall's short forms: today's times without a date, big figures short (M = miliar).
    assert i18n.when(utcnow(), "id").endswith(" WITA") and len(i18n.when(utcnow(), "id")) == len("09.05 WITA")
    assert re.fullmatch(r"\d+ \w+ \d\d:\d\d WITA", i18n.when(utcnow() - timedelta(days=3), "en"))
    assert i18n.figure(2_624_964_910, "id") == "2,62\xa0M" and i18n.figure(2_624_964_910, "en") == "2.62B"
    assert i18n.figure(1386, "id", digits=0) == "1.386"


def test_wording_for_the_wall():
    """Words the wall's users use: the bupati is "Pimpinan", faults are "gangguan", no MQTT for him."""
    ind = i18n.catalog("id")
    assert ind["role.viewer"] == "Pimpinan"
    assert "baca saja" not in " ".join(ind.values()).lower()
    assert not [k for k, v in ind.items() if "galat" in v.lower() or "pekerja kamera" in v.lower()]
    assert "terbuka" not in ind["overview.calls_open"].lower()
    assert "MQTT" not in ind["metrics.empty_hint"] and "MQTT" not in i18n.catalog("en")["metrics.empty_hint"]


def test_every_user_error_has_a_text_in_both_languages():
    source = (ROOT / "scc" / "users.py").read_text()
    source += "".join(p.read_text() for p in (SOURCES / "pages").glob("*.py"))
    codes = set(re.findall(r'UserError\(\s*"([a-z_]+)"', source))
    assert len(codes) >= 10
    for lang in ("id", "en"):
        assert {f"error.{c}" for c in codes} - set(i18n.catalog(lang)) == set()


FIGURES = st.one_of(
    st.integers(min_value=-(10**14), max_value=10**14),
    st.floats(min_value=-1e14, max_value=1e14, allow_nan=False),
    st.sampled_from([0.05, 0.15, 0.25, 0.35, 2.5, 3.5, -2.5, -0.04, -0.0, 123456789.95, 1e14 - 0.05]),
)


@settings(max_examples=3000, deadline=None)
@given(FIGURES, st.sampled_from(i18n.LANGUAGES), st.integers(min_value=0, max_value=2))
def test_numbers_are_written_as_babel_writes_them(value, lang, digits):
    """`number` writes figures itself (Babel's pattern engine was most of a year chart's time): whatever
    the figure, it says what Babel's `#,##0.#` says, rounding half to even included."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    assert i18n.number(value, lang, digits) == format_decimal(value, pattern, locale=lang)


def test_figures_beyond_numbers_keep_babels_words():
    for lang in i18n.LANGUAGES:
        assert i18n.number(float("nan"), lang) == format_decimal(float("nan"), "#,##0.#", locale=lang)
        assert i18n.number(float("-inf"), lang) == format_decimal(float("-inf"), "#,##0.#", locale=lang)
