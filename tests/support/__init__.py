"""Helpers shared by the tests (never imported from a test module)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
