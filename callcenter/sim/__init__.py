"""The demo's call center, apart from the real one: calls ringing now (`live`), the weeks or the year
before (`history`), the call mix both draw from (`callmix`) and the simulated operators (`desk`).

Run as `python -m callcenter.sim` (`callcenter-sim` in `scc run --demo`). It writes through the call
center's own services and storage types; nothing outside this package imports it.
"""
