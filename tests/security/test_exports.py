"""Security review: plaintext exports that fail half-way leave no readable bytes behind."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from vault.disclosures.writer import partial_path, write_export
from vault.errors import UsageError

SECRET = b"zqsecretexporttextmark " * 200


def _spying_record(
    spy: Path,
    target: Path,
    publish_first: bool,
) -> Callable[[Callable[[], None]], None]:
    """A disclosure record that keeps a second link to the export's bytes, then fails."""

    def record(publish: Callable[[], None]) -> None:
        os.link(partial_path(target), spy)
        if publish_first:
            publish()
        raise UsageError("recording the disclosure failed")

    return record


@pytest.mark.parametrize("publish_first", [False, True], ids=["before-rename", "after-rename"])
def test_failed_export_overwrites_its_plaintext(tmp_path: Path, publish_first: bool) -> None:
    """An export whose recording fails overwrites its bytes, not merely unlinks the file."""
    target = tmp_path / "release.txt"
    spy = tmp_path / "spy"
    with pytest.raises(UsageError):
        write_export(target, SECRET, False, _spying_record(spy, target, publish_first))
    assert not target.exists() and not partial_path(target).exists()
    assert b"zqsecretexporttextmark" not in spy.read_bytes()


def test_stale_partial_export_is_overwritten(tmp_path: Path) -> None:
    """A .partial export left by a crash is overwritten when the next export clears it."""
    target = tmp_path / "release.txt"
    stale = partial_path(target)
    stale.write_bytes(SECRET)
    spy = tmp_path / "spy"
    os.link(stale, spy)
    write_export(target, b"new export", False, lambda publish: publish())
    assert target.read_bytes() == b"new export"
    assert b"zqsecretexporttextmark" not in spy.read_bytes()
