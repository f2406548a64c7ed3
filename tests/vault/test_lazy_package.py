"""The core package loads its parts on first use (issues 13 and 14: start-up).

`vault/__init__.py` names every public object and the module it comes from; nothing is imported
until a name is used, so `from vault import UsageError` (the CLI's usage errors, the app's lock
screen) does not load the crypto, SQLCipher and records stack.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import vault


def test_every_public_name_resolves_to_its_modules_object() -> None:
    from vault import errors
    from vault.storage import layout

    lazy = vault._LAZY
    eager = {name for name in vault.__all__ if name not in lazy and name != "__version__"}
    assert all(
        getattr(vault, name) is getattr(errors, name, None)
        or getattr(vault, name) is getattr(layout, name, None)
        for name in eager
    )
    assert set(lazy) <= set(vault.__all__)
    for name, module in lazy.items():
        assert getattr(vault, name) is getattr(importlib.import_module(module, "vault"), name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        vault.NoSuchThing  # noqa: B018 - the lookup is the test
    except AttributeError as e:
        assert "NoSuchThing" in str(e)
    else:
        raise AssertionError("an unknown name resolved")


def test_errors_load_without_crypto_sqlcipher_or_records() -> None:
    probe = (
        "import json, sys\n"
        "from vault import UsageError, ConfideError\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    modules = json.loads(out)
    heavy = (
        "vault.crypto",
        "vault.records",
        "vault.storage.database",
        "sqlcipher3",
        "argon2",
        "cryptography",
        "importlib.metadata",
    )
    assert [m for m in modules if m.startswith(heavy)] == []


def test_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    assert vault.__version__ == version("confide")
