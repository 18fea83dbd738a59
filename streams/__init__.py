"""Camera workers, the WebRTC relay and MQTT ingest of SKPD metrics.

Empty until the CCTV and SKPD-metrics capabilities land; they register their
processes in scc/processes.py and write to the tables in scc/storage/schema.py.
"""
