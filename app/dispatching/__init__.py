"""The dispatch workflow against the database: camera coverage and call-up, units,
alerts, dispatch orders and the radio log. Pure rules live in ``dispatch/``; this package
loads, decides through them, writes with an audit row, commits, then talks outside."""
