"""Encrypted, verified backups (built on `vault`; never imports `tui`)."""
