"""CCTV: camera workers and the WebRTC relay; the demo's RTSP simulator apart, in `streams.cameras.sim`.

Owns every write to the tables of `scc.storage.cameras`; pages read them through
`dashboard.queries.cameras`. Processes are registered in `scc.processes`.
"""
