"""Fixtures for the image suite (filled in by its issue)."""
