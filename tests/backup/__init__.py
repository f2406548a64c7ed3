"""Backups: archives, catalog, restore, drives."""
