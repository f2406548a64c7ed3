"""Run in a child process: use a vault, lock it, then search this process's own memory.

    python -m tests.support.memscan FOLDER

Prints JSON: for each secret, how many copies of it are in readable memory after `lock()`.
Every readable mapping of /proc/self/maps is read through /proc/self/mem into one private mmap
buffer (excluded from the search, and never copied into a Python object); the needles' own
bytes objects are excluded by address.

The passphrase is built from code points and holds a non-ASCII Latin-1 letter: CPython keeps
such a `str` one byte per character (é is 0xE9), so its UTF-8 form (0xC3 0xA9) appears in memory
only where Confide encoded it. The caller's own `str` cannot be wiped by anyone; that copy is
not what this looks for.
"""

from __future__ import annotations

import binascii
import ctypes
import gc
import json
import mmap
import os
import sys
from pathlib import Path

CHUNK = 8 << 20
# "correct horse battery clé": built from numbers so the source holds no UTF-8 form of it.
CODE_POINTS = [
    99,
    111,
    114,
    114,
    101,
    99,
    116,
    32,
    104,
    111,
    114,
    115,
    101,
    32,
    98,
    97,
    116,
    116,
    101,
    114,
    121,
    32,
    99,
    108,
    233,
]
_BYTES_HEADER = sys.getsizeof(b"") - 1  # offset of a bytes object's data from its id()


def scan(needles: dict[str, bytes]) -> dict[str, int]:
    buf = mmap.mmap(-1, CHUNK)
    view = memoryview(buf)
    own = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    skip = {id(n) + _BYTES_HEADER for n in needles.values()}
    overlap = max(len(n) for n in needles.values()) - 1
    counts = dict.fromkeys(needles, 0)
    with open("/proc/self/maps", encoding="ascii") as f:
        maps = f.read().splitlines()
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("r") or (
                len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]", "[vvar_vclock]")
            ):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if start <= own < end:
                continue
            offset = start
            while offset < end:
                size = min(CHUNK, end - offset)
                try:
                    got = os.preadv(fd, [view[:size]], offset)
                except OSError:
                    break
                for name, needle in needles.items():
                    at = buf.find(needle, 0, got)
                    while at != -1:
                        if offset + at not in skip:
                            counts[name] += 1
                        at = buf.find(needle, at + 1, got)
                if offset + size >= end or got < size:
                    break
                offset += size - overlap
    finally:
        os.close(fd)
        view.release()
        buf.close()
    return counts


def main(folder: Path) -> dict[str, int]:
    from vault import TEST_PRESET, Vault
    from vault.crypto.keyslots import KeyName, wipe_keys

    passphrase = "".join(map(chr, CODE_POINTS))
    vault, _recovery = Vault.create(folder, passphrase, TEST_PRESET)
    vault.lock()
    vault = Vault.unlock(folder, passphrase)
    client = vault.clients.add("Memory Scanwell").id
    note = vault.notes.create(client, "soap", body="Subjective: slept well this week.")
    vault.search("slept")
    vault.notes.get(note.id)
    pnotes = vault.open_psychotherapy_notes(passphrase)
    pnotes.add(client, "process impressions", session_date="2026-01-10")
    keys = vault.key_file.unwrap_with_passphrase(passphrase, [KeyName.RECORD, KeyName.PNOTES])
    raw = {name: keys[name].reveal() for name in keys}
    wipe_keys(keys)
    vault.lock()
    del vault, pnotes, keys
    gc.collect()
    # A positive control: a value known to be alive in memory must be found.
    canary = [bytes(reversed(b"kramyranacnacsmem"))]
    needles = {
        "canary (alive)": b"memscancanarymark",
        "record key hex": binascii.hexlify(raw[KeyName.RECORD]),
        "pnotes key hex": binascii.hexlify(raw[KeyName.PNOTES]),
        "record key HEX": binascii.hexlify(raw[KeyName.RECORD]).upper(),
        "passphrase utf-8": passphrase.encode("utf-8"),
    }
    found = scan(needles)
    del canary
    return found


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
