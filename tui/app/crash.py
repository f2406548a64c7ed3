"""What an unexpected error leaves behind: one generic line on the terminal and a reference.

Textual's own crash report is a traceback with every frame's local variables, which hold note
text and client names; it is printed to the terminal and stays in scrollback. Here only the
error's type and the code locations (file, line, function) are kept, in a small file under the
user's state folder: no exception message (a markup error quotes the note), no locals, no
source lines. The reference ties what the user saw to that file.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

MAX_CHAIN = 8


def crash_folder() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "confide"


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (a worker's failure) and what caused it, each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < MAX_CHAIN:
        seen.add(id(current))
        yield current
        inner = getattr(current, "error", None)  # textual.worker.WorkerFailed
        current = (
            inner if isinstance(inner, BaseException) else current.__cause__ or current.__context__
        )


def error_kind(error: BaseException) -> str:
    """The innermost meaningful type name: a failed worker reports what failed in it."""
    kinds = [type(e).__name__ for e in _chain(error)]
    return next((k for k in kinds if k != "WorkerFailed"), kinds[0])


def _details(reference: str, error: BaseException) -> str:
    lines = [
        f"Confide crash reference {reference}",
        f"time (UTC): {datetime.now(UTC).isoformat(timespec='seconds')}",
        "Exception types and code locations only: no messages, no variables.",
    ]
    for exc in _chain(error):
        lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}")
        lines.extend(
            f"  {frame.filename}:{frame.lineno} in {frame.name}"
            for frame in traceback.extract_tb(exc.__traceback__)
        )
    return "\n".join(lines) + "\n"


def crash_report(error: BaseException) -> str:
    """Record `error`'s type and code locations; the one line to show the user."""
    import secrets  # only when crashing: hashlib is 4% of the app's launch

    reference = secrets.token_hex(4).upper()
    kind = error_kind(error)
    where = f"Reference {reference} (no details could be written)."
    try:
        folder = crash_folder()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / f"crash-{reference}.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(_details(reference, error))
        where = f"Reference {reference}; code locations (no record text) in {path}."
    except OSError:
        pass
    return (
        f"confide: the app stopped on an unexpected error ({kind}). The vault was locked "
        f"and no client data is shown here. {where}"
    )
