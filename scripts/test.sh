#!/usr/bin/env bash
# Set up and run the whole test suite (pytest arguments may follow).
# Nothing has to be running: the test session starts its own PostgreSQL cluster and
# Mosquitto brokers on free 127.0.0.1 ports (tests/support/services.py) and removes them
# afterwards. Set SCC_TEST_PG_URL to use an existing PostgreSQL server instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

# Static checks (ruff, mypy) go here, before pytest.

exec .venv/bin/python -m pytest -q "$@"
