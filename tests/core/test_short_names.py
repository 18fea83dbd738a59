"""Short names in config/: required, short, and never two alike where they stand side by side.

Pages show them whole where space is short, instead of cutting the long name
with an ellipsis ("Damkar Mari..." was Marioriawa or Marioriwawo).
"""

from __future__ import annotations

from scc.settings import load_settings
from tests.core.test_settings import ENV, errors_of, line_of, replace


def test_the_shipped_short_names_tell_alike_places_apart():
    s = load_settings(environ=ENV)
    lines = {line.code: line.short for line in s.call_lines}
    assert lines["damkar-marioriawa"] == "Damkar Marioriawa"
    assert lines["damkar-marioriwawo"] == "Damkar Marioriwawo"
    assert lines["polres-110"] == "Polres 110"
    prices = {m.key: m.short.id for m in s.metrics if m.skpd == "perdagangan"}
    assert prices["price_rice_medium"] == "Beras" and prices["price_red_chili"] == "Cabai"
    sites = {c.id: c.site_short for c in s.cameras}
    assert sites["dinsos-ruang-tunggu"] == "Dinsos" and sites["rsud-igd"] == "RSUD"


def test_a_missing_short_name_is_named_with_its_line(config_dir):
    path = config_dir / "districts.yaml"
    replace(path, "    short: Ganra\n", "")
    (error,) = errors_of(config_dir)
    assert error == f"{path}:{line_of(path, 'code: ganra')}: districts[2].short: required key is missing"


def test_a_long_short_name_is_refused(config_dir):
    path = config_dir / "call_lines.yaml"
    replace(path, "short: Damkar Citta", "short: Pemadam Kebakaran Citta")
    (error,) = errors_of(config_dir)
    assert error.startswith(f"{path}:{line_of(path, 'Pemadam Kebakaran Citta')}: call_lines[4].short: ")
    assert "at most 20 characters" in error


def test_two_districts_or_lines_may_not_read_alike(config_dir):
    districts, lines = config_dir / "districts.yaml", config_dir / "call_lines.yaml"
    replace(districts, "short: Marioriawa", "short: Marioriwawo")
    replace(lines, "short: Damkar Marioriawa", "short: Damkar Marioriwawo")
    replace(lines, 'short: "Truk Citta"', 'short: "Truk Ganra"')
    errors = errors_of(config_dir)
    assert errors == [
        f"{districts}:{line_of(districts, 'short: Marioriwawo', 2)}: districts[7].short: "
        "duplicate short 'Marioriwawo' (first at districts[6])",
        f"{lines}:{line_of(lines, 'short: Damkar Marioriwawo', 2)}: call_lines[8].short: "
        "duplicate short 'Damkar Marioriwawo' (first at call_lines[7])",
        f"{lines}:{line_of(lines, 'Truk Ganra', 2)}: units[6].short: duplicate short 'Truk Ganra' (first at units[5])",
    ]


def test_one_units_metrics_may_not_read_alike_on_its_tile(config_dir):
    path = config_dir / "metrics.yaml"
    replace(path, "short: {id: Cabai, en: Chili}", "short: {id: Beras, en: Chili}")
    (error,) = errors_of(config_dir)
    assert "short.id: 'Beras' already names metrics[" in error and "for 'perdagangan'" in error
    # the same short name on two units' tiles is no clash
    replace(path, "short: {id: Izin masuk, en: Permits in}", "short: {id: Pasien IGD, en: Permits in}")
    assert errors_of(config_dir) == [error]


def test_a_camera_site_has_one_short_name_and_no_other_site_shares_it(config_dir):
    path = config_dir / "cameras.yaml"
    replace(path, "site_short: RSUD\n", "site_short: Rumah Sakit\n", 2)  # lobby and IGD, not the other two
    replace(path, "site_short: SMA 1\n", "site_short: Dinsos\n")
    errors = errors_of(config_dir)
    for i in (2, 3):  # the first camera of a site sets its short name; each that differs is named
        problem = f"cameras[{i}].site_short: 'RSUD Latemmamala' is called 'Rumah Sakit' elsewhere"
        assert any(problem in e for e in errors)
    assert any("site_short: 'Dinsos' already names 'Kantor Dinas Sosial'" in e for e in errors)
    assert len(errors) == 3
