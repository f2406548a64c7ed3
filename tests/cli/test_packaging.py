"""The product as a user installs it: build the sdist and the wheel, install each into a clean venv
(not editable, not this checkout on sys.path) and run the installed `confide`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.support import REPO

pytestmark = pytest.mark.slow


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the files git would clone (as from a fresh clone), so parallel
    workers never share the checkout's build/ and egg-info folders."""
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("clone")
    listed = _run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO).stdout
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    _run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(source)],
        cwd=out,
    )
    return out


def _installed_env(venv: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "CONFIDE_VAULT", "CONFIDE_PASSPHRASE_FILE"}
    }
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    return env


def test_wheel_holds_every_subpackage_and_data_file(dist: Path) -> None:
    wheel = next(dist.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    source_packages = {
        str(p.parent.relative_to(REPO))
        for top in ("vault", "backup", "tui")
        for p in (REPO / top).rglob("*.py")
        if p.name == "__init__.py"
    }
    for package in source_packages:
        assert f"{package}/__init__.py" in names, f"{package} missing from the wheel"
    for data in (REPO / "tui").rglob("*.tcss"):
        assert str(data.relative_to(REPO)) in names
    sdist = next(dist.glob("*.tar.gz"))
    with tarfile.open(sdist) as tar:
        members = {m.split("/", 1)[1] for m in tar.getnames() if "/" in m}
    for package in source_packages:
        assert f"{package}/__init__.py" in members, f"{package} missing from the sdist"


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_installed_copy_runs(kind: str, dist: Path, tmp_path: Path) -> None:
    artifact = next(dist.glob("*.whl" if kind == "wheel" else "*.tar.gz"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(artifact)],
        cwd=tmp_path,
    )
    env = _installed_env(venv)
    # Run from an empty folder so the checkout can never be imported instead of the install.
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import tui, vault; print(tui.__file__)"],
        cwd=work,
        env=env,
    )
    assert str(venv) in where.stdout
    version = _run(["confide", "--version"], cwd=work, env=env)
    assert version.stdout.startswith("confide ")
    assert "unknown" not in version.stdout
    assert "usage" in _run(["confide", "--help"], cwd=work, env=env).stdout.lower()
    passphrase = work / "pass"
    passphrase.write_text("correct horse battery staple\n")
    passphrase.chmod(0o600)
    base = ["confide", "--vault", str(work / "v"), "--passphrase-file", str(passphrase)]
    _run([*base, "init", "--kdf", "test-insecure", "--json"], cwd=work, env=env)
    _run([*base, "client", "add", "Quill Sampleton"], cwd=work, env=env)
    listed = _run([*base, "client", "list"], cwd=work, env=env)
    assert "Quill Sampleton" in listed.stdout or "C-00001" in listed.stdout
