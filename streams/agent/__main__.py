"""`python -m streams.agent ...`: the same as `scc-publish ...`, for a copy of this folder without pip."""

from . import cli

raise SystemExit(cli.main())
