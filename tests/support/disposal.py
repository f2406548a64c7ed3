"""A practice with clients past retention, for disposal tests."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from vault import SessionInfo, Vault

from .cli import PASSPHRASE

GONE_TEXT = "Quillon spoke about the marmalade lighthouse and his sister Wrenfield"
KEPT_TEXT = "Bramblewood practised grounding before the interview"
PNOTE_TEXT = "private impression: xylophone heartbreak under the pier"


def make_practice(vault: Vault) -> dict[str, int]:
    """Two clients past retention (one pseudonymous), one current, with notes and pnotes."""
    gone = vault.clients.add(
        "Quillon Zabriskie", last_service_date="2010-01-05", date_of_birth="1970-02-02"
    )
    sealed = vault.clients.add(
        "Ottoline Vexmoor", pseudonym="Client Seven", last_service_date="2011-03-03"
    )
    kept = vault.clients.add("Bramble Keeper", last_service_date="2025-06-01")
    for i in range(12):
        note = vault.notes.create(
            gone.id,
            body=f"{GONE_TEXT} (session {i})",
            session=SessionInfo(session_date=f"2009-{i % 12 + 1:02d}-04"),
        )
        if i % 2:
            vault.notes.sign(note.id)
        vault.notes.create(
            kept.id, body=f"{KEPT_TEXT} {i}", session=SessionInfo(session_date="2025-05-01")
        )
    vault.notes.create(
        sealed.id,
        body="Vexmoor notes on the orchard dispute",
        session=SessionInfo(session_date="2011-03-03"),
    )
    # A joint session owned by the kept client names the disposed one as participant.
    vault.notes.create(
        kept.id,
        body="joint family session",
        participants=[gone.id],
        session=SessionInfo(session_date="2009-12-12"),
    )
    pnotes = vault.open_psychotherapy_notes(PASSPHRASE)
    pnotes.add(gone.id, PNOTE_TEXT, "2009-06-06")
    pnotes.add(kept.id, "kept impression about tidal pools", "2025-05-01")
    pnotes.lock()
    return {"gone": gone.id, "sealed": sealed.id, "kept": kept.id}


# The child disposes of client 1 and SIGKILLs itself at one point, by wrapping the real function
# at that point (nothing is mocked: the wrapped function runs, or not, exactly as named).
KILLED_DISPOSAL = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import vault.retention.execute, vault.crypto.rekey, vault.crypto.keyslots
    import backup.purge
    from vault import Vault

    folder, point = Path(sys.argv[1]), sys.argv[2]
    module, name, when = {
        "before-delete": (vault.retention.execute, "_delete_records", "before"),
        "after-delete": (vault.retention.execute, "_delete_records", "after"),
        "before-key-file": (vault.crypto.keyslots.KeyFile, "save", "before"),
        "after-key-file": (vault.crypto.keyslots.KeyFile, "save", "after"),
        "mid-swap": (vault.crypto.rekey, "_zero_in_place", "after"),
        "before-verify": (vault.retention.execute, "verify", "before"),
        "after-new-backup": (backup.purge, "run_backup", "after"),
    }[point]
    real = getattr(module, name)

    def killer(*args, **kwargs):
        if when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    if sys.argv[4:] == ["workers"]:
        vault.crypto.rekey.PARALLEL_BYTES = 0  # every file split with a worker process
    v = Vault.unlock(folder, sys.argv[3])
    setattr(module, name, killer)
    backups = backup.purge.DisposalBackups() if point == "after-new-backup" else None
    v.disposal.dispose(sys.argv[3], [1], ["Quillon Zabriskie"], backups=backups)
    print("not killed")
""")


def killed_disposal(vault_dir: Path, point: str = "after-delete") -> None:
    """Dispose of client 1 of `make_practice` in a child killed with SIGKILL at `point`."""
    child = subprocess.run(
        [sys.executable, "-c", KILLED_DISPOSAL, str(vault_dir), point, PASSPHRASE],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
