"""SKPD metrics over MQTT: broker set-up and ingest; the demo's units apart, in `streams.metrics.sim`.

Owns every write to the tables of `scc.storage.metrics`; pages read them through
`dashboard.queries.metrics`. The payload contract (docs/design.md §3.1) lives in
`streams.agent.contract`, which the publisher and this ingest share.
"""
