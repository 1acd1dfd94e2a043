"""The demo's terminal simulator: the demo units driven along roads (their patrol routes,
towards the alerts they are sent to), publishing positions, statuses, receipts and
acknowledgements over MQTT as their terminals would, through the real ingest path."""
