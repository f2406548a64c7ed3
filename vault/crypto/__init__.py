"""Keys and cryptography: Argon2id, key slots, sealing, secrets in memory, key rotation, page-level
forensics.
"""
