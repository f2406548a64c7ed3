"""Crashes, full disks, kills and damaged files."""
