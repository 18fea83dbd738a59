"""The call center: incidents, intake, the dispatch lifecycle, CSV import; the demo's
simulator apart, in `callcenter.sim`.

Owns every write to the tables of `scc.storage.callcenter`; pages read them through
`dashboard.queries.callcenter` and write only through this package's service functions.
"""
