"""Dispatch service: alerts and their call-up, units, the radio log and the radio gateways;
every query in `repository`, the pure decisions in the top-level `dispatch` package."""
