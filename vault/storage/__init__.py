"""Storage: the SQLCipher database, schema migrations, durable file operations, the one-process
lock.
"""
