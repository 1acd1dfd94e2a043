"""Tests of dispatch.planning."""
