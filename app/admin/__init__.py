"""Administration: the audit-log and user pages (`pages`)."""
