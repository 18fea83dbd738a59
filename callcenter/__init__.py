"""The call center: incidents, intake, the dispatch lifecycle, CSV import, KPIs, the call simulator.

Owns every write to the tables of `scc.storage.calls`; pages read them through
`dashboard.queries.calls` and write only through this package's service functions.
"""
