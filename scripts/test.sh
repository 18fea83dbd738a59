#!/usr/bin/env bash
# Set up and run the whole test suite (pytest arguments may follow).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
pg_url=${SCC_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
if ! .venv/bin/python - "$pg_url" <<'PY'
import sys
from sqlalchemy import create_engine, text
try:
    with create_engine(sys.argv[1]).connect() as c:
        c.execute(text("select 1"))
except Exception as exc:
    print(f"PostgreSQL is not reachable at {sys.argv[1]}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "The storage tests run against PostgreSQL too. Start it (Debian: apt-get install postgresql)" >&2
  echo "with trust auth for 127.0.0.1 and a database 'test', or set SCC_TEST_PG_URL." >&2
  exit 1
fi
exec .venv/bin/python -m pytest -q "$@"
