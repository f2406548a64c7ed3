"""Issue 10 item 4, the gap left: a copy of the whole drive, archive and all, completes no purge.

Before: a clone of the drive's files (rsync to another stick or folder) carried the marker and
the exact archive (same id, size, digest), so the purge there was "done" while the real stick
kept an archive that opens with that day's passphrase. Now the archive's place (inode, device)
is catalogued when written and must be found again; a marker with an altered tag is refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backup import add_drive, run_backup
from backup.drives import MARKER
from backup.errors import UntrustedBackupError
from backup.purge import DisposalBackups, process_pending_purges
from tests.support.cli import PASSPHRASE
from tests.support.disposal import make_practice
from vault import Vault


def _pending_after_disposal(vault: Vault, tmp_path: Path) -> tuple[Path, Path, Path]:
    make = make_practice(vault)
    usb = tmp_path / "usb"
    usb.mkdir()
    add_drive(vault, usb)
    old = run_backup(vault, usb).path
    away = tmp_path / "usb-away"
    usb.rename(away)  # the real stick is unplugged
    result = vault.disposal.dispose(
        PASSPHRASE, [make["gone"]], ["Quillon Zabriskie"], backups=DisposalBackups()
    )
    assert [p.location for p in result.certificate.backups.pending] == [str(old)]
    return usb, away, old


def test_a_full_copy_of_the_drive_completes_no_purge(vault: Vault, tmp_path: Path) -> None:
    usb, away, old = _pending_after_disposal(vault, tmp_path)
    shutil.copytree(away, usb)  # rsync -a of the whole stick, mounted where it was
    assert (usb / old.relative_to(usb)).read_bytes() == (away / old.relative_to(usb)).read_bytes()
    assert process_pending_purges(vault, usb) == []
    assert [p.location for p in vault.disposal.pending_purges()] == [str(old)]
    assert (usb / old.relative_to(usb)).exists()  # nothing was destroyed on the copy
    shutil.rmtree(usb)
    away.rename(usb)  # the real stick: its very file is found and overwritten
    assert process_pending_purges(vault, usb) == [str(old)]
    assert vault.disposal.pending_purges() == []


def test_a_purge_on_a_drive_whose_marker_was_altered_is_refused(
    vault: Vault, tmp_path: Path
) -> None:
    usb, away, old = _pending_after_disposal(vault, tmp_path)
    away.rename(usb)
    doc = json.loads((usb / MARKER).read_text())
    doc["tag"] = "f" * 64
    (usb / MARKER).write_text(json.dumps(doc))
    with pytest.raises(UntrustedBackupError, match="forged or altered"):
        process_pending_purges(vault, usb)
    assert [p.location for p in vault.disposal.pending_purges()] == [str(old)]
    assert old.exists()
