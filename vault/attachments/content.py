"""What an attachment may contain: PDF and common image formats, told by their first bytes.

The file's name and extension say nothing (a renamed `.exe` stays refused); the magic bytes
decide. For the inbox, a scanner still writing a file must not have its half-written original
removed, so formats with a known ending are also checked for it (`looks_complete`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError

CHUNK_BYTES = 1 << 20  # one row per MiB: streams in and out without the whole file in memory
MAX_BYTES = 64 << 20  # a scanned 100-page form at 300 dpi is about 20-40 MiB
MAX_FILE_NAME_CHARS = 255


@dataclass(frozen=True)
class Format:
    media_type: str
    label: str
    extension: str  # for a file Confide names itself (the original name is data)


PDF = Format("application/pdf", "PDF", "pdf")
PNG = Format("image/png", "PNG image", "png")
JPEG = Format("image/jpeg", "JPEG image", "jpg")
TIFF = Format("image/tiff", "TIFF image", "tif")
GIF = Format("image/gif", "GIF image", "gif")
WEBP = Format("image/webp", "WebP image", "webp")
HEIC = Format("image/heic", "HEIC image", "heic")
_EXTENSIONS = {f.media_type: f.extension for f in (PDF, PNG, JPEG, TIFF, GIF, WEBP, HEIC)}


def extension_of(media_type: str) -> str:
    """The extension of a stored media type; `bin` for one this version does not know."""
    return _EXTENSIONS.get(media_type, "bin")


ACCEPTED = "PDF, PNG, JPEG, TIFF, GIF, WebP or HEIC"
HEAD_BYTES = 16  # enough for every signature below


def sniff(head: bytes) -> Format | None:
    """The format these first bytes announce, or None for anything else."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heif"):
        return HEIC
    return None


def require_format(head: bytes, where: str) -> Format:
    found = sniff(head)
    if found is None:
        raise UsageError(
            f"{where} is not a PDF or an image Confide accepts ({ACCEPTED}); nothing was added"
        )
    return found


def looks_complete(fmt: Format, tail: bytes) -> bool:
    """Whether the last bytes of a file end it as its format requires (a scanner still writing
    it fails this). Formats without a fixed ending pass."""
    if fmt is PDF:
        return b"%%EOF" in tail[-1024:]
    if fmt is PNG:
        return tail.endswith(b"IEND\xaeB`\x82")
    if fmt is JPEG:
        # Some cameras pad after the end-of-image marker.
        return b"\xff\xd9" in tail[-64:]
    return True


def too_large(size: int, where: str) -> UsageError:
    return UsageError(
        f"{where} is {size / (1 << 20):.1f} MiB; the limit for an attachment is "
        f"{MAX_BYTES >> 20} MiB (split the scan, or scan at a lower resolution); nothing was added"
    )


__all__ = [
    "ACCEPTED",
    "CHUNK_BYTES",
    "HEAD_BYTES",
    "MAX_BYTES",
    "MAX_FILE_NAME_CHARS",
    "Format",
    "looks_complete",
    "require_format",
    "sniff",
    "too_large",
]
