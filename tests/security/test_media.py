"""Issue 10 item 5: a filesystem that keeps old blocks (ext4 data=journal) defeats overwriting.

The attack: the vault lives on ext4 mounted `data=journal`; after disposal the journal still
holds the old key file and old pages, and an examiner recovers the disposed clients while the
certificate said PASS. Disposal must say so before (the queue), on the certificate (a media
line and a qualified result) and in `dispose verify`: never a bare PASS there.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli
from tests.support.disposal import make_practice
from tests.support.fsimage import make_image, mount_image, mounted_image, needs_root, unmount
from vault import TEST_PRESET, Vault
from vault.retention.certificate import render_text

pytestmark = [pytest.mark.root, needs_root]


def _dispose_there(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str, str, str]:
    """(certificate text, its verification result, `dispose --due` text, `dispose verify`)."""
    vault, _ = Vault.create(folder, PASSPHRASE, TEST_PRESET)
    try:
        ids = make_practice(vault)
    finally:
        vault.lock()
    cli = Cli(folder, tmp_path, capsys)
    queue = cli("dispose", "--due")
    assert queue.code == 0, queue.stderr
    vault = Vault.unlock(folder, PASSPHRASE)
    try:
        result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
        assert result.verification.ok, render_text(result.certificate)
        text = render_text(result.certificate)
    finally:
        vault.lock()
    verify = cli("dispose", "verify")
    assert verify.code == 0, verify.stdout + verify.stderr
    return text, result.verification.result, queue.stdout, verify.stdout


def test_data_journal_is_named_everywhere_and_no_bare_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with mounted_image(tmp_path, size_mb=64, name="journal", options="data=journal") as mount:
        cert, result, queue, verify = _dispose_there(mount / "vault", tmp_path, capsys)
    finding = "journals data"
    assert result.startswith("PASS with limits:") and finding in result
    assert "Overwrite:" in cert and finding in cert and "ON THESE MEDIA" in cert
    assert "not a cryptographic erase" in cert
    assert "WARNING:" in queue and finding in queue
    assert "Disposal verification: PASS with limits:" in verify and finding in verify
    assert "verification: PASS\n" not in cert.replace("): PASS\n", "")


def test_superblock_default_journal_data_is_detected_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tune2fs -o journal_data`: mountinfo shows nothing, /proc/fs/ext4/<dev>/options does."""
    image = make_image(tmp_path / "sb.img", 64)
    subprocess.run(["tune2fs", "-o", "journal_data", str(image)], check=True, capture_output=True)
    mount = tmp_path / "sb-mnt"
    mount_image(image, mount)
    try:
        line = [
            x for x in Path("/proc/self/mountinfo").read_text().splitlines() if f" {mount} " in x
        ]
        assert line and "data=journal" not in line[0]
        _, result, _, verify = _dispose_there(mount / "vault", tmp_path, capsys)
    finally:
        unmount(mount)
    assert result.startswith("PASS with limits:") and "journals data" in result
    assert "journals data" in verify


def test_ordinary_ext4_gets_a_plain_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with mounted_image(tmp_path, size_mb=64, name="plain") as mount:
        cert, result, queue, verify = _dispose_there(mount / "vault", tmp_path, capsys)
    assert result == "PASS"
    assert "journals data" not in cert + queue + verify and "WARNING" not in queue
    assert "ON THESE MEDIA" not in cert
    assert "Overwrite:" in cert and "overwrites in place" in cert
    assert "Disposal verification: PASS (" in verify
