"""Real filesystems for fault tests: small ext4 images, loop-mounted (needs root, as CI has).

    with mounted_image(tmp_path, size_mb=8) as mount:
        ...  # a real, separate filesystem: fills up, goes read-only, unmounts

Tests that use these are marked `root` and skip (with the reason) when not root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
HAVE_TOOLS = all(shutil.which(t) for t in ("mkfs.ext4", "mount", "umount", "losetup"))

# The `root` marker; tests/conftest.py skips marked tests (with this reason) when not root, and
# `-m "not root"` deselects them.
needs_root = pytest.mark.root
CAN_MOUNT = IS_ROOT and HAVE_TOOLS
NO_ROOT_REASON = (
    "needs root and mkfs.ext4/losetup to loop-mount a filesystem image (CI runs as root)"
)


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def make_image(path: Path, size_mb: int, fstype: str = "ext4", label: str = "CONFIDETEST") -> Path:
    with open(path, "wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    if fstype == "ext4":
        # No journal-less tricks: a normal ext4 as a laptop or USB drive would have.
        _run("mkfs.ext4", "-q", "-F", "-L", label, "-b", "4096", str(path))
    elif fstype == "vfat":
        _run("mkfs.vfat", "-n", label[:11], str(path))
    else:
        raise ValueError(fstype)
    return path


def mount_image(image: Path, mount: Path, readonly: bool = False, options: str = "") -> None:
    """Mount `image` at `mount`; `options` are extra mount options (e.g. "data=journal")."""
    mount.mkdir(parents=True, exist_ok=True)
    opts = ("loop,ro" if readonly else "loop") + (f",{options}" if options else "")
    _run("mount", "-o", opts, str(image), str(mount))


def unmount(mount: Path, lazy: bool = False) -> None:
    """Unmount and make sure it happened: a test that reads the raw image next must not read
    it while the filesystem is still mounted (umount can answer EBUSY for a moment on a loaded
    machine, e.g. while udev probes the loop device)."""
    if not os.path.ismount(mount):
        return
    subprocess.run(["sync"], check=False)
    args = ["umount", "-l", str(mount)] if lazy else ["umount", str(mount)]
    for _ in range(100):
        done = subprocess.run(args, check=False, capture_output=True, text=True)
        if not os.path.ismount(mount):
            return
        time.sleep(0.1)
    raise RuntimeError(f"could not unmount {mount}: {done.stderr.strip()}")


def remount(mount: Path, readonly: bool) -> None:
    _run("mount", "-o", "remount," + ("ro" if readonly else "rw"), str(mount))


@contextmanager
def mounted_image(
    tmp_path: Path, size_mb: int = 16, name: str = "disk", fstype: str = "ext4", options: str = ""
) -> Iterator[Path]:
    """Create, mount, yield the mount point; always unmount afterwards."""
    image = make_image(tmp_path / f"{name}.img", size_mb, fstype)
    mount = tmp_path / f"{name}-mnt"
    mount_image(image, mount, options=options)
    try:
        yield mount
    finally:
        try:
            unmount(mount)
        except RuntimeError:  # something still holds it open: detach it anyway
            unmount(mount, lazy=True)
