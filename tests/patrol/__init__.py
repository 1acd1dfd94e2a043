"""Tests of patrol."""
