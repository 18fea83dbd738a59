"""The live sources: one package per pipeline, each owning its writes.

- `streams.cameras`: RTSP simulator, camera workers, WebRTC relay; writes `scc.storage.cameras`.
- `streams.metrics`: MQTT broker set-up, ingest, SKPD simulators; writes `scc.storage.metrics`.
- `streams.agent`: the publisher an SKPD's own system runs; it imports nothing
  but its payload contract, so it installs with Python and paho-mqtt alone.
"""
