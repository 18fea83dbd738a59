"""Call and incident records, intake, dispatch lifecycle, CSV import.

Empty until the call-center capability lands; it writes the incidents and
incident_events tables in scc/storage/schema.py.
"""
