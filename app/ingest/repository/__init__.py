"""Every SQL statement of the ingest area: the local journal (SQLite), inbound message
outcomes and counters, radio assignments (PostgreSQL)."""
