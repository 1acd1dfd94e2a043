"""Dispatch service: alerts and their call-up, units, the radio log and the radio gateways;
the pure decisions live in the top-level `dispatch` package."""
