"""Real `kill -9`s in a child process, at a named point of the real code.

The child wraps one function so that it SIGKILLs itself just before or just after the real
function runs: nothing is mocked, the process simply dies there, as under `kill -9`.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

_CHILD = textwrap.dedent("""
    import importlib, os, signal, sys
    module_name, attr, when, skip = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    owner = importlib.import_module(module_name)
    *path, name = attr.split(".")
    for part in path:
        owner = getattr(owner, part)
    real = getattr(owner, name)
    calls = [0]

    def wrapped(*args, **kwargs):
        calls[0] += 1
        due = calls[0] > skip
        if due and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = real(*args, **kwargs)
        if due and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapped)
    from tui.cli.main import main
    sys.exit(main(sys.argv[5:]))
""")


def killed_cli(module: str, attr: str, when: str, args: list[str], *, skip: int = 0,
               timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """Run `confide ARGS` in a child that SIGKILLs itself `when` ("before" or "after") the
    call number `skip + 1` of `module.attr`; asserts it was killed there."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, module, attr, when, str(skip), *args],
                          capture_output=True, timeout=timeout)
    assert proc.returncode == -9, (proc.returncode, proc.stderr.decode()[-2000:])
    return proc
