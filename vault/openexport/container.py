"""The container: a POSIX tar archive (pax format), built in memory, encrypted with age
(https://age-encryption.org/v1) to a passphrase (scrypt recipient) through `pyrage`.

Only the ciphertext is ever written: the tar exists as bytes in memory, is encrypted there,
and the encrypted bytes go to the path the user named (`disclosures.writer.write_export`). Any
age implementation opens it (`age -d FILE > export.tar`, then `tar -xf export.tar`).
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Sequence

from ..errors import AuthenticationError, DamagedFileError, UsageError
from .parts import ROOT, ExportFile

AGE_MAGIC = b"age-encryption.org/v1\n"
# Bounds on what an import reads: a hostile archive must not fill memory with one member.
MAX_MEMBER_BYTES = 1 << 30
MAX_MEMBERS = 1_000_000


def build_tar(files: Sequence[ExportFile], mtime: int) -> bytes:
    """The archive: every file under `confide-export/`, owned by nobody, mode 0644, the export's
    time as every member's time (no local user names or umask leak into it)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for f in files:
            info = tarfile.TarInfo(f"{ROOT}/{f.path}")
            info.size = len(f.data)
            info.mtime = mtime
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(f.data))
    return out.getvalue()


def read_tar(data: bytes) -> dict[str, bytes]:
    """Every regular file of the archive by its path under `confide-export/`."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for count, member in enumerate(tar):
                if count >= MAX_MEMBERS:
                    raise DamagedFileError("the export holds too many files to be a Confide export")
                if not member.isfile():
                    continue  # folders, links and devices carry nothing we read
                if member.size > MAX_MEMBER_BYTES:
                    raise DamagedFileError(f"{member.name} in the export is too large")
                name = member.name
                if not name.startswith(ROOT + "/"):
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                found[name[len(ROOT) + 1 :]] = handle.read()
    except tarfile.TarError as e:
        raise DamagedFileError(f"the export's archive is damaged ({e})") from None
    return found


def encrypt(plaintext: bytes, passphrase: str) -> bytes:
    import pyrage  # loaded only for an export or an import

    try:
        return pyrage.passphrase.encrypt(plaintext, passphrase)
    except pyrage.EncryptError as e:
        raise UsageError(f"the export could not be encrypted ({e})") from None


def decrypt(ciphertext: bytes, passphrase: str) -> bytes:
    import pyrage

    if not ciphertext.startswith(AGE_MAGIC):
        raise DamagedFileError("this file is not an age-encrypted Confide export")
    try:
        return pyrage.passphrase.decrypt(ciphertext, passphrase)
    except pyrage.DecryptError as e:
        if str(e) == "Decryption failed":
            # age cannot tell a wrong passphrase from a damaged header: both fail the MAC.
            raise AuthenticationError(
                "wrong export passphrase (or the export file is damaged)"
            ) from None
        raise DamagedFileError(f"the export file is damaged ({e})") from None
