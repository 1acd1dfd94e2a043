"""Orders out and their fate: outbound radio messages (dispatch orders, cancellations,
plan publications, overdue warnings) sent over MQTT or a gateway with a delivery state,
retried with back-off, re-sent when not acknowledged; console alarms for those and for the
status timers. The decisions are in :mod:`dispatch.delivery`."""
