"""Synthetic scanned forms for attachment tests: real PDF and image byte layouts, fake people."""

from __future__ import annotations

import os
from pathlib import Path


def fake_pdf(marker: str, size: int = 4096) -> bytes:
    """A PDF-shaped file of about `size` bytes carrying `marker` (so a test can look for it);
    the filler is random, so chunk boundaries and compression cannot hide a leak."""
    head = b"%PDF-1.7\n% synthetic scanned form\n"
    body = f"BT /F1 12 Tf ({marker}) Tj ET\n".encode()
    tail = b"\n%%EOF\n"
    filler = max(0, size - len(head) - len(body) * 2 - len(tail))
    return head + body + os.urandom(filler) + body + tail


def fake_png(size: int = 2048) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + os.urandom(max(0, size - 20)) + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
