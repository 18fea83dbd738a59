"""CCTV: the RTSP simulator, camera workers and the WebRTC relay (the camera issue).

Owns every write to the tables of `scc.storage.cameras`; pages read them through
`dashboard.queries.cameras`. Processes are registered in `scc.processes`.
"""
