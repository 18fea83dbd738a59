#!/usr/bin/env bash
# Set up and run the whole command center on its embedded defaults (SQLite in ./var).
# Prints the URL and, the first time, the sign-in passwords. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
exec .venv/bin/scc run --demo "$@"
