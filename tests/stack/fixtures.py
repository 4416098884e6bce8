"""Fixtures for the stack suite (filled in by its issue)."""
