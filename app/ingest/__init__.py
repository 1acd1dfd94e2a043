"""Radio and terminal messages in: the own MQTT broker, the ingest service (journal,
applier), radio assignments and the ingest status; see the README, "Ingest"."""
