"""Dispatch API routes: alerts, units and positions, the radio log."""
