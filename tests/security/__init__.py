"""Attacks on every promise: plaintext, forensics, leaks, keys, layers."""
