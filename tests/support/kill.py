"""Real `kill -9`s in a child process, at a named point of the real code.

The child wraps one function so that it SIGKILLs itself just before or just after the real
function runs (optionally only for a call naming a given file): nothing is mocked, the process
simply dies there, as under `kill -9`.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

_CHILD = textwrap.dedent("""
    import importlib, os, signal, sys
    module_name, attr, when, match, code = sys.argv[1:6]
    ARGS = sys.argv[6:]
    owner = importlib.import_module(module_name)
    *path, name = attr.split(".")
    for part in path:
        owner = getattr(owner, part)
    real = getattr(owner, name)

    def wrapped(*args, **kwargs):
        due = not match or any(match in str(a) for a in args)
        if due and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = real(*args, **kwargs)
        if due and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapped)
    exec(code)
""")

CLI = "from tui.cli.main import main\nsys.exit(main(ARGS))"


def killed_child(
    module: str,
    attr: str,
    when: str,
    code: str,
    args: list[str],
    *,
    match: str = "",
    timeout: float = 120,
) -> None:
    """Run `code` (it sees the list `ARGS`) in a child that SIGKILLs itself `when` ("before"
    or "after") a call of `module.attr` whose arguments mention `match`; asserts it died."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, module, attr, when, match, code, *args],
        capture_output=True,
        timeout=timeout,
    )
    assert proc.returncode == -9, (proc.returncode, proc.stderr.decode()[-2000:])


def killed_cli(
    module: str, attr: str, when: str, args: list[str], *, match: str = "", timeout: float = 120
) -> None:
    """`confide ARGS` in a child killed as `killed_child` says."""
    killed_child(module, attr, when, CLI, args, match=match, timeout=timeout)
