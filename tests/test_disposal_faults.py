"""kill -9 at each step of a disposal: the vault always opens, never shows a half-disposed client
as whole, and re-running finishes the job."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vault import TEST_PRESET, Vault
from vault.disposal import resume, unfinished, verify

from .conftest import PASSPHRASE
from .test_disposal import make_practice

# The child disposes of client 1 and SIGKILLs itself at one point, by wrapping the real function
# at that point (nothing is mocked: the wrapped function runs, or not, exactly as named).
CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import vault.disposal, vault.rotation, vault.keyslots
    from vault import Vault

    folder, point = Path(sys.argv[1]), sys.argv[2]
    module, name, when = {
        "before-delete": (vault.disposal, "_delete_records", "before"),
        "after-delete": (vault.disposal, "_delete_records", "after"),
        "before-key-file": (vault.keyslots.KeyFile, "save", "before"),
        "after-key-file": (vault.keyslots.KeyFile, "save", "after"),
        "mid-swap": (vault.rotation, "_zero_in_place", "after"),
        "before-verify": (vault.disposal, "verify", "before"),
    }[point]
    real = getattr(module, name)

    def killer(*args, **kwargs):
        if when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    v = Vault.unlock(folder, sys.argv[3])
    setattr(module, name, killer)
    vault.disposal.dispose(v, sys.argv[3], [1], ["Quillon Zabriskie"])
    print("not killed")
""")


@pytest.mark.parametrize("point", ["before-delete", "after-delete", "before-key-file",
                                   "after-key-file", "mid-swap", "before-verify"])
def test_kill_9_during_disposal_leaves_old_or_new_state(vault_dir: Path, point: str) -> None:
    """After a kill the vault opens; the client is whole or gone; re-running completes it."""
    vault, _ = Vault.create(vault_dir, PASSPHRASE, TEST_PRESET)
    with vault:
        ids = make_practice(vault)
        epoch = vault.key_file.epoch
    child = subprocess.run([sys.executable, "-c", CHILD, str(vault_dir), point, PASSPHRASE],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr

    with Vault.unlock(vault_dir, PASSPHRASE) as vault:  # always opens
        assert not [p.name for p in vault_dir.iterdir() if ".epoch-" in p.name]
        gone_present = vault.clients.exists(ids["gone"])
        if point == "before-delete":
            assert gone_present and unfinished(vault) == [] and vault.key_file.epoch == epoch
            assert len(vault.notes.timeline(ids["gone"])) == 13  # 12 own + 1 joint
            return
        assert not gone_present  # never a half-disposed client that looks whole
        assert vault.search("marmalade") == []
        assert len(vault.notes.timeline(ids["kept"])) == 13
        assert unfinished(vault) != []
        results = resume(vault, PASSPHRASE)
        assert len(results) == 1 and results[0].verification.ok
        assert unfinished(vault) == [] and vault.key_file.epoch > epoch
        pnotes = vault.open_psychotherapy_notes(PASSPHRASE)
        assert [p.client_id for p in pnotes.list(ids["kept"])] == [ids["kept"]]
        assert pnotes.count() == 1  # the disposed client's psychotherapy note is gone too
        assert verify(vault, PASSPHRASE).ok
        assert vault.audit.verify().ok
    # And the vault still opens afterwards, under the final keys.
    with Vault.unlock(vault_dir, PASSPHRASE) as vault:
        assert vault.clients.count() == 2

