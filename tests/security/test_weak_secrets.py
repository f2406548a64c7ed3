"""Issue 10 item 10: guessable secrets are refused (zxcvbn), with a diceware-style suggestion;
a protected PDF grants only reading, printing and accessibility extraction."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest
from pypdf.constants import UserAccessPermissions as Perm

from tests.support.cli import PASSPHRASE, Cli, secret_file
from vault import TEST_PRESET, UsageError, Vault
from vault.crypto.strength import check_passphrase, check_pdf_password, suggestion
from vault.disclosures.document import Document, Section
from vault.disclosures.pdf import render_pdf

WEAK = [
    "password",
    "12345678",
    "qwertyui",
    "confide2026",
    "Summer2026!",
    "iloveyou12",
    "confidevault",
]
STRONG_PDF = "harbor lantern tidal quartz"


@pytest.mark.parametrize("weak", WEAK)
def test_vault_refuses_a_guessable_passphrase(tmp_path: Path, weak: str) -> None:
    """`password`, `12345678` and friends are refused at creation, with a suggestion."""
    folder = tmp_path / "vault"
    with pytest.raises(UsageError, match="too easy to guess") as caught:
        Vault.create(folder, weak, TEST_PRESET)
    message = str(caught.value)
    assert "\n" not in message
    offered = message.rsplit("for example: ", 1)[1]
    assert len(offered.split()) == 5
    check_passphrase(offered)  # the suggestion itself passes
    assert not folder.exists() or not any(folder.iterdir())


def test_realistic_passphrases_pass() -> None:
    """Three unrelated words (the suite's own passphrase) and a diceware suggestion pass."""
    check_passphrase(PASSPHRASE)
    check_passphrase("gravel tundra mosaic")
    for _ in range(20):
        offered = suggestion()
        check_passphrase(offered)
        check_pdf_password(offered)


def test_change_to_a_weak_passphrase_is_refused_and_the_old_one_still_works(vault: Vault) -> None:
    with pytest.raises(UsageError, match="too easy to guess"):
        vault.change_passphrase(PASSPHRASE, "12345678")
    vault.verify_passphrase(PASSPHRASE)


def test_recovery_to_a_weak_passphrase_is_refused(new_vault: tuple[Vault, str]) -> None:
    vault, recovery = new_vault
    folder = vault.folder
    vault.lock()
    pending = Vault.recover(folder, recovery)
    try:
        with pytest.raises(UsageError, match="too easy to guess"):
            pending.set_new_passphrase("password")
    finally:
        pending.abandon()
    Vault.unlock(folder, PASSPHRASE).lock()


def test_cli_init_with_a_weak_passphrase_fails_cleanly(cli: Cli) -> None:
    secret_file(cli.passphrase_file, "password\n")
    result = cli("init", "--kdf", "test-insecure")
    assert result.code == 2 and result.stderr.count("\n") == 1
    assert "too easy to guess" in result.stderr and "for example:" in result.stderr
    assert not (cli.vault_dir / "keys.confide").exists()


def _document() -> Document:
    return Document(
        "R-000001",
        "Release of records",
        ("Practice Example",),
        (("Client", "C-00001"),),
        ("Nothing was withheld.",),
        (
            Section(
                "N-000001  SOAP progress note",
                ("Signed: 2026-01-10",),
                "Subjective: sleeping better.",
            ),
        ),
        "R-000001 C-00001",
    )


@pytest.mark.parametrize("weak", ["12345678", "password1", "copy-password-99", "release-pass-1234"])
def test_weak_pdf_password_is_refused(weak: str) -> None:
    """A PDF is checked with a fast hash, so its password must be stronger than 10^12."""
    with pytest.raises(UsageError, match="PDF password is too easy to guess"):
        render_pdf(_document(), weak)


def test_protected_pdf_grants_reading_and_printing_only(tmp_path: Path) -> None:
    """The permissions the owner password guards: print and accessibility only, no edits."""
    out = tmp_path / "p.pdf"
    out.write_bytes(render_pdf(_document(), STRONG_PDF))
    reader = pypdf.PdfReader(out)
    assert reader.decrypt(STRONG_PDF) == pypdf.PasswordType.USER_PASSWORD
    granted = Perm(int(reader.trailer["/Encrypt"]["/P"]) & 0xFFF)
    for allowed in (Perm.PRINT, Perm.PRINT_TO_REPRESENTATION, Perm.EXTRACT_TEXT_AND_GRAPHICS):
        assert allowed in granted
    for refused in (
        Perm.MODIFY,
        Perm.EXTRACT,
        Perm.ADD_OR_MODIFY,
        Perm.FILL_FORM_FIELDS,
        Perm.ASSEMBLE_DOC,
    ):
        assert refused not in granted, refused
    assert re.search("sleeping better", reader.pages[0].extract_text())
