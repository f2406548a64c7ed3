"""Disposal verification never hangs on a device planted where a backup used to be."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backup import add_drive, run_backup
from backup.purge import DisposalBackups
from tests.support.cli import PASSPHRASE
from tests.support.disposal import make_practice
from vault import UsageError, Vault
from vault.crypto.keyslots import KeyName, wipe_keys


def test_fifo_in_place_of_a_catalogued_backup_is_refused_not_read(
    vault: Vault, tmp_path: Path
) -> None:
    """A FIFO swapped in for an archive gives a clear error instead of blocking forever."""
    make_practice(vault)
    usb = tmp_path / "usb"
    usb.mkdir()
    add_drive(vault, usb, label="usb")
    archive = run_backup(vault, usb, rotate=False).path
    archive.unlink()
    os.mkfifo(archive)
    keys = vault.key_file.unwrap_with_passphrase(PASSPHRASE, list(KeyName))
    try:
        with pytest.raises(UsageError, match="not a backup file"):
            for _, chunks in DisposalBackups().remaining_plaintext(vault, keys):
                for _ in chunks:
                    pass
    finally:
        wipe_keys(keys)


def test_unknown_category_error_quotes_only_a_short_prefix() -> None:
    """A mistyped marker that swallowed note text does not repeat that text in the error."""
    from vault import MarkupError, parse_omissions

    secret = "client disclosed an affair with a colleague at the firm"
    with pytest.raises(MarkupError) as info:
        parse_omissions("{{omit:" + secret + "}}x{{/omit}}")
    assert "colleague" not in str(info.value)
    assert "unknown omission category" in str(info.value)
