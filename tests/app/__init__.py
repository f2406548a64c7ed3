"""The Textual app, driven with Pilot."""
