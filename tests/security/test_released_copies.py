"""Issue 10 item 6: released copies outside the vault.

The attack: a release saved to ~/Documents stays there (or is `rm`-ed and carved from free
space) after the client's disposal, while neither the certificate nor anything else mentions
it. Now every export is recorded (path, digest); disposal finds the files still unchanged at
their path and overwrites them on request; the certificate lists every release (id, date,
recipient role: never a name or a path) as a copy outside the vault, not covered.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.cli import PASSPHRASE, Cli
from tests.support.disposal import make_practice
from vault import Vault
from vault.retention.certificate import render_text
from vault.retention.exports import CHANGED, MISSING, OVERWRITTEN, PRESENT


def _release(vault: Vault, client: int, path: Path) -> str:
    plan = vault.disclosures.prepare(vault.disclosures.access_spec(client))
    return vault.disclosures.write(plan, path).record_id


def test_disposal_overwrites_saved_release_and_certificate_lists_every_release(
    vault: Vault, tmp_path: Path
) -> None:
    ids = make_practice(vault)
    docs = tmp_path / "Documents"
    docs.mkdir()
    kept_file, moved_file, edited_file = (
        docs / "quillon-release.txt",
        docs / "second.txt",
        docs / "third.txt",
    )
    refs = [_release(vault, ids["gone"], f) for f in (kept_file, moved_file, edited_file)]
    assert "Quillon" in kept_file.read_text()
    # A second name for the same blocks: after the disposal it shows what is on the disk.
    os.link(kept_file, tmp_path / "inode-view")
    moved_file.rename(tmp_path / "moved-away.txt")
    edited_file.write_text(edited_file.read_text() + "\nannotated by hand\n")
    queue = {r.client_id: r for r in vault.disposal.plan()}[ids["gone"]]
    states = {o.path: o.copy for o in queue.outside}
    assert states[str(kept_file)] == PRESENT
    assert states[str(moved_file)] == MISSING and states[str(edited_file)] == CHANGED

    result = vault.disposal.dispose(
        PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"], overwrite_exports=True
    )
    assert result.verification.ok
    assert not kept_file.exists()
    view = (tmp_path / "inode-view").read_bytes()
    assert view and view == bytes(len(view))  # overwritten in place before the unlink
    assert "Quillon" in (tmp_path / "moved-away.txt").read_text()  # out of reach: untouched
    assert "annotated by hand" in edited_file.read_text()

    (record,) = result.certificate.records
    listed = {(o.reference, o.copy) for o in record.outside}
    assert listed == {(refs[0], OVERWRITTEN), (refs[1], MISSING), (refs[2], CHANGED)}
    assert all(o.recipient == "the client" and o.date for o in record.outside)
    text = render_text(result.certificate)
    assert "COPIES OUTSIDE THE VAULT, NOT COVERED" in text
    assert all(ref in text for ref in refs)
    assert "Quillon" not in text and str(docs) not in text and "Documents" not in text
    assert "Copies outside the vault are not covered" in text
    # The rows saying where the files were went with the client.
    assert vault.db.scalar("SELECT count(*) FROM exports WHERE client_id = ?", (ids["gone"],)) == 0


def test_without_asking_the_saved_release_stays_and_the_certificate_says_so(
    vault: Vault, tmp_path: Path
) -> None:
    ids = make_practice(vault)
    saved = tmp_path / "release.txt"
    ref = _release(vault, ids["gone"], saved)
    result = vault.disposal.dispose(PASSPHRASE, [ids["gone"]], ["Quillon Zabriskie"])
    assert saved.exists() and "Quillon" in saved.read_text()
    (record,) = result.certificate.records
    assert [(o.reference, o.copy) for o in record.outside] == [(ref, PRESENT)]
    assert f"{ref} of" in render_text(result.certificate)


def test_cli_lists_saved_copies_and_overwrites_them_on_request(cli: Cli, tmp_path: Path) -> None:
    cli.init()
    assert cli("client", "add", "Rowan Oldfield", "--dob", "1950-01-01").code == 0
    assert (
        cli(
            "note", "add", "C-00001", "--date", "2010-03-01", "--body", "old session", "--sign"
        ).code
        == 0
    )
    out = tmp_path / "rowan.txt"
    released = cli("access", "C-00001", "--out", str(out), "--yes")
    assert released.code == 0, released.stderr
    queue = cli("dispose", "--due")
    assert str(out) in queue.stdout and "--overwrite-exports" in queue.stdout
    (row,) = cli("dispose", "--due", "--json").data
    assert [(o["path"], o["copy"]) for o in row["outside"]] == [(str(out), PRESENT)]
    # Without the flag and without a terminal nothing is asked and the file stays.
    refused = cli("dispose", "C-00001", "--confirm", "Nobody Else", "--overwrite-exports")
    assert refused.code == 15 and out.exists()
    done = cli("dispose", "C-00001", "--confirm", "Rowan Oldfield", "--overwrite-exports", "--json")
    assert done.code == 0, done.stderr
    assert done.json["type"] == "result" and done.json["command"] == "dispose"
    assert not out.exists()
    (record,) = done.data["records"]
    assert [o["copy"] for o in record["outside"]] == [OVERWRITTEN]
    assert str(out) not in done.stdout  # the certificate never names the path
    text = cli("dispose", "certificate", "D-00001")
    assert "found unchanged at its saved path and overwritten" in text.stdout
    cert = tmp_path / "cert.txt"
    assert cli("dispose", "certificate", "D-00001", "--text", str(cert)).code == 0
    with Vault.unlock(cli.vault_dir, PASSPHRASE) as vault:
        assert (
            vault.db.scalar(
                "SELECT count(*) FROM exports WHERE kind = 'certificate' AND path = ?", (str(cert),)
            )
            == 1
        )


def test_a_pdf_release_is_offered_encryption(cli: Cli, tmp_path: Path) -> None:
    """Without a terminal to ask in, the CLI says the PDF is not encrypted; --no-encrypt is
    the explicit choice (and contradicts a password)."""
    cli.init()
    assert cli("client", "add", "Rowan Oldfield").code == 0
    assert (
        cli(
            "note", "add", "C-00001", "--date", "2010-03-01", "--body", "old session", "--sign"
        ).code
        == 0
    )
    plain = cli("access", "C-00001", "--out", str(tmp_path / "a.pdf"), "--yes")
    assert plain.code == 0 and "the PDF is not encrypted" in plain.stderr
    chosen = cli("access", "C-00001", "--out", str(tmp_path / "b.pdf"), "--yes", "--no-encrypt")
    assert chosen.code == 0 and "not encrypted" not in chosen.stderr
    both = cli(
        "access", "C-00001", "--out", str(tmp_path / "c.pdf"), "--yes", "--no-encrypt", "--encrypt"
    )
    assert both.code == 2 and "contradicts" in both.stderr and not (tmp_path / "c.pdf").exists()
