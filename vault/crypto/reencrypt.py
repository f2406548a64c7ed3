"""Page-by-page re-encryption of a SQLCipher 4 file under a new raw key (key rotation).

Each page is authenticated under the old key, decrypted, encrypted again with a fresh random IV
and MACed under the new key and a new salt: what SQLite's backup API makes SQLCipher do, without
SQLite's page cache and b-tree walk. The 1 MiB slices are shared between this process and one
worker process (this file run as a script: `python -I reencrypt.py rekey PID TARGET FD`, keys on
its stdin pipe, never on disk or in its arguments; each takes the next slice from a token pipe), so
both cores work: OpenSSL holds the GIL for part of each call, so two threads gained only 10-13%
(bench/README.md).

This module imports only the standard library and `cryptography` at module level: the worker
runs it without the vault package. Layout (forensics.py): 4096-byte pages, the first 16 bytes of
the file the salt, each page ending in a 16-byte IV and a 64-byte HMAC-SHA512 over ciphertext ||
IV || page number (4 bytes, little-endian).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE_SIZE = 4096
SALT_LEN = 16
HMAC_LEN = 64
IV_AT = PAGE_SIZE - 16 - HMAC_LEN  # the page's IV, then its HMAC
SLICE_PAGES = 256  # 1 MiB read, re-encrypted and written at a time
_ZERO = bytes(16)
_PGNO = struct.Struct("<I")


def mac_key(key: bytes, salt: bytes) -> bytes:
    """SQLCipher 4's HMAC key for a raw key (same as forensics.hmac_key)."""
    return hashlib.pbkdf2_hmac("sha512", key, bytes(b ^ 0x3A for b in salt), 2, 32)


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(16, "little")


def reencrypt_slice(
    data: bytes,
    first: int,
    old_key: bytes,
    old_mac: bytes,
    new_key: bytes,
    new_mac: bytes,
    new_salt: bytes,
) -> bytearray | int:
    """Whole pages (page `first` onward) under the new key, or the number of the first page
    that fails authentication under the old one (nothing of the slice is returned then)."""
    count = len(data) // PAGE_SIZE
    digest = hmac.digest
    for i in range(count):
        at = i * PAGE_SIZE
        pgno = first + i
        start = at + SALT_LEN if pgno == 1 else at
        expected = digest(
            old_mac, data[start : at + PAGE_SIZE - HMAC_LEN] + _PGNO.pack(pgno), "sha512"
        )
        if not hmac.compare_digest(expected, data[at + PAGE_SIZE - HMAC_LEN : at + PAGE_SIZE]):
            return pgno
    # Decrypt the slice as one CBC stream (zero IV): every block comes out right except each
    # page's first, which was chained to the 16 bytes before it instead of the page's IV.
    plain = Cipher(algorithms.AES(old_key), modes.CBC(_ZERO)).decryptor().update(data)
    ivs = os.urandom(16 * count)
    # One encryptor for the slice: a page's first block goes in XORed with its fresh IV and
    # with the chain value (the last ciphertext block out), so it comes out E(P0 ^ IV), as if
    # the page were encrypted on its own.
    encrypt = Cipher(algorithms.AES(new_key), modes.CBC(_ZERO)).encryptor().update
    chain = _ZERO
    out = bytearray()
    for i in range(count):
        pgno = first + i
        at = i * PAGE_SIZE
        start = at + SALT_LEN if pgno == 1 else at
        before = data[start - 16 : start] if start else _ZERO
        fix = _xor(
            _xor(before, data[at + IV_AT : at + IV_AT + 16]), _xor(ivs[16 * i : 16 * i + 16], chain)
        )
        ct = encrypt(_xor(plain[start : start + 16], fix) + plain[start + 16 : at + IV_AT])
        chain = ct[-16:]
        iv = ivs[16 * i : 16 * i + 16]
        if pgno == 1:
            out += new_salt
        out += ct
        out += iv
        out += digest(new_mac, ct + iv + _PGNO.pack(pgno), "sha512")
    return out


def reencrypt_range(
    src: int,
    dst: int,
    first: int,
    last: int,
    old_key: bytes,
    new_key: bytes,
    new_salt: bytes,
    parent: int | None = None,
    tokens: int | None = None,
) -> int | None:
    """Re-encrypt pages `first`..`last` (1-based, inclusive) of the file open as `src` into the
    same places of `dst`. Returns the first page that failed authentication, or None. With
    `tokens` (a pipe's read end holding each slice's first page, 4 bytes each, shared with
    the other process), the slices are taken from it as they come, so neither process waits
    for a slower other half. With `parent`, stops (returning 0) as soon as that process is
    gone: a worker never outlives the disposal that started it."""
    old_salt = os.pread(src, SALT_LEN, 0)
    old_mac, new_mac = mac_key(old_key, old_salt), mac_key(new_key, new_salt)
    page = first
    while True:
        if tokens is not None:
            token = os.read(tokens, TOKEN.size)  # whole tokens: all written before we started
            if not token:
                return None
            (page,) = TOKEN.unpack(token)
        if page > last:
            return None
        if parent is not None and os.getppid() != parent:
            return 0
        count = min(SLICE_PAGES, last - page + 1)
        offset = (page - 1) * PAGE_SIZE
        data = os.pread(src, count * PAGE_SIZE, offset)
        if len(data) != count * PAGE_SIZE:
            return page + len(data) // PAGE_SIZE  # the file shrank under us: not a copy
        out = reencrypt_slice(data, page, old_key, old_mac, new_key, new_mac, new_salt)
        if isinstance(out, int):
            return out
        view = memoryview(out)
        start = offset
        while view:
            n = os.pwrite(dst, view, offset)
            view, offset = view[n:], offset + n
        # Start writing the slice to the disk now (its pages are dirty, so they stay cached):
        # the final fsync has little left to wait for.
        os.posix_fadvise(dst, start, offset - start, os.POSIX_FADV_DONTNEED)
        page += count


def failed_pages(
    src: int, first: int, last: int, key: bytes, parent: int | None = None
) -> list[int]:
    """The pages among `first`..`last` of the file open as `src` whose HMAC does not verify
    under `key` (verification's check, the half a worker takes). With `parent`, stops (with
    page 0 reported failed) as soon as that process is gone."""
    mac = mac_key(key, os.pread(src, SALT_LEN, 0))
    digest = hmac.digest
    failed: list[int] = []
    page = first
    while page <= last:
        if parent is not None and os.getppid() != parent:
            return [0]
        count = min(SLICE_PAGES, last - page + 1)
        data = os.pread(src, count * PAGE_SIZE, (page - 1) * PAGE_SIZE)
        whole = len(data) // PAGE_SIZE
        for i in range(whole):
            at = i * PAGE_SIZE
            pgno = page + i
            start = at + SALT_LEN if pgno == 1 else at
            expected = digest(
                mac, data[start : at + PAGE_SIZE - HMAC_LEN] + _PGNO.pack(pgno), "sha512"
            )
            if not hmac.compare_digest(expected, data[at + PAGE_SIZE - HMAC_LEN : at + PAGE_SIZE]):
                failed.append(pgno)
        if whole < count:  # the file is shorter than it was: the missing pages fail
            failed.extend(range(page + whole, last + 1))
            break
        page += count
    return failed


# Worker protocol: the parent writes one message on stdin and closes it, the worker answers
# one line. Its arguments: the mode, the parent's process id, and for `rekey` the target and
# the token pipe (`reencrypt_range`) it inherits. `rekey`: first, last, old key, new key, new
# salt, then the source's path; `check`: first, last, key, then the path; it answers the pages
# that failed.
REQUEST = struct.Struct("<II32s32s16s")
CHECK = struct.Struct("<II32s")
TOKEN = struct.Struct("<I")  # a slice's first page, in the token pipe


def _worker(mode: str, parent: int, target: str | None, tokens: int | None = None) -> int:
    # `parent` is given, not read with getppid() here: a parent killed before this line ran
    # would leave init's process id, and the worker would never notice.
    request = sys.stdin.buffer.read()
    if mode == "check":
        first, last, key = CHECK.unpack_from(request)
        src = os.open(os.fsdecode(request[CHECK.size :]), os.O_RDONLY)
        try:
            failed = failed_pages(src, first, last, key, parent)
        finally:
            os.close(src)
        sys.stdout.write(" ".join(["failed", *map(str, failed)]) + "\n")
        sys.stdout.flush()
        return 0
    assert target is not None
    first, last, old_key, new_key, new_salt = REQUEST.unpack_from(request)
    source = os.fsdecode(request[REQUEST.size :])
    src = os.open(source, os.O_RDONLY)
    dst = os.open(target, os.O_WRONLY)
    try:
        bad = reencrypt_range(src, dst, first, last, old_key, new_key, new_salt, parent, tokens)
    finally:
        os.close(src)
        os.close(dst)
    sys.stdout.write("ok\n" if bad is None else f"bad {bad}\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(
        _worker(
            sys.argv[1],
            int(sys.argv[2]),
            sys.argv[3] if len(sys.argv) > 3 else None,
            int(sys.argv[4]) if len(sys.argv) > 4 else None,
        )
    )
