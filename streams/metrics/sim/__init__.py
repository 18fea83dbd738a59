"""The demo's 38 SKPD units, apart from the real ingest: plausible figures published through the broker
like a real unit's (`units`).

Run as `python -m streams.metrics.sim` (`metrics-sim` in `scc run --demo`); nothing outside this package
imports it.
"""
