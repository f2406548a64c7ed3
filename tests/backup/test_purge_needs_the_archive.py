"""A pending purge completes only on the drive that holds the catalogued archive (issue 10,
item 4).

Before: any folder carrying a copy of the drive marker completed it; the certificate recorded
it done and `dispose verify` said PASS while the real stick kept an archive that still opens
with the passphrase of its day.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backup import add_drive, run_backup
from backup.drives import BACKUP_DIR, MARKER
from backup.errors import UntrustedBackupError
from backup.purge import DisposalBackups, process_connected_pending, process_pending_purges
from tests.support.cli import PASSPHRASE
from tests.support.disposal import make_practice
from tui.workflows.disposal import verify as verify_disposal
from vault import Vault


def test_a_copied_marker_completes_no_purge_the_real_drive_does(
    vault: Vault, tmp_path: Path
) -> None:
    ids = make_practice(vault)
    usb = tmp_path / "usb"
    usb.mkdir()
    add_drive(vault, usb)
    old = run_backup(vault, usb).path
    away = tmp_path / "usb-away"
    usb.rename(away)  # the real stick is unplugged
    result = vault.disposal.dispose(
        PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], backups=DisposalBackups()
    )
    assert [p.location for p in result.certificate.backups.pending] == [str(old)]

    # A stick carrying a copy of the marker, mounted where the drive was, with a file of the
    # archive's name that is not the archive; and a plain folder with the marker alone.
    usb.mkdir()
    shutil.copy2(away / MARKER, usb / MARKER)
    (usb / BACKUP_DIR).mkdir()
    (usb / BACKUP_DIR / old.name).write_bytes(
        b"\x01" * (away / BACKUP_DIR / old.name).stat().st_size
    )
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy2(away / MARKER, other / MARKER)
    assert process_connected_pending(vault) == []
    assert process_pending_purges(vault, usb) == []
    assert process_pending_purges(vault, other) == []
    assert [p.location for p in vault.disposal.pending_purges()] == [str(old)]
    cert = vault.disposal.certificate(result.disposal_id)
    assert [p.location for p in cert.backups.pending] == [str(old)]
    assert cert.backups.completed_later == ()
    assert not (other / BACKUP_DIR).exists()  # and no backup was written to the copies
    assert [p.name for p in (usb / BACKUP_DIR).iterdir()] == [old.name]
    verified = verify_disposal(vault, PASSPHRASE, lambda _: None, authenticated=True)
    assert verified.verification.result == "FAIL"  # a file in the archive's place is no proof
    assert any(str(old) in line for line in verified.verification.pending)
    (usb / BACKUP_DIR / old.name).unlink()
    verified = verify_disposal(vault, PASSPHRASE, lambda _: None, authenticated=True)
    assert verified.verification.result == "PASS, with backups pending"
    assert any(str(old) in line for line in verified.verification.pending)

    shutil.rmtree(usb)
    away.rename(usb)  # the real stick: the exact archive is found and overwritten
    assert process_pending_purges(vault, usb) == [str(old)]
    assert not old.exists()
    assert vault.disposal.pending_purges() == []
    cert = vault.disposal.certificate(result.disposal_id)
    assert cert.backups.pending == ()
    assert [c.location for c in cert.backups.completed_later] == [str(old)]
    verified = verify_disposal(vault, PASSPHRASE, lambda _: None, authenticated=True)
    assert verified.verification.result == "PASS"


def test_a_marker_with_an_altered_tag_is_refused(vault: Vault, tmp_path: Path) -> None:
    """The marker carries an HMAC under a key from the vault's record key; the catalog keeps
    it: a marker naming the drive without that tag receives no backup."""
    usb = tmp_path / "usb"
    usb.mkdir()
    add_drive(vault, usb)
    doc = json.loads((usb / MARKER).read_text())
    assert len(doc["tag"]) == 64
    doc["tag"] = "0" * 64
    (usb / MARKER).write_text(json.dumps(doc))
    with pytest.raises(UntrustedBackupError, match="forged or altered"):
        run_backup(vault, usb)
    assert not list((usb / BACKUP_DIR).iterdir())
