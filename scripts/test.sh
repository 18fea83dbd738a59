#!/usr/bin/env bash
# Set up and run the whole test suite (pytest arguments may follow).
# Nothing has to be running: the test session starts its own PostgreSQL cluster and
# Mosquitto brokers on free 127.0.0.1 ports (tests/support/services.py) and removes them
# afterwards. Set SCC_TEST_PG_URL to use an existing PostgreSQL server instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

# Lint, format, types and the import contracts between rooms are tests too
# (tests/core/test_code_quality.py, tests/core/test_boundaries.py).
# Quick loop without PostgreSQL and the browser:  scripts/test.sh -m "not postgres and not browser"
# Two workers (pytest-xdist), a test module each at a time: most of the suite waits on servers,
# browsers and timeouts, so two cores run it in about 60% of the time. `-n 0` runs it in one process.
exec .venv/bin/python -m pytest -q -n "${SCC_TEST_WORKERS:-2}" --dist loadfile "$@"
