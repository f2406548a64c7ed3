"""The loop-mounted images the fault tests rely on really are separate, fillable filesystems."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tests.support.fsimage import mounted_image, needs_root


@needs_root
def test_small_image_fills_up_with_enospc(tmp_path: Path) -> None:
    """Writing past the image's size fails with ENOSPC, as a full USB drive would."""
    with mounted_image(tmp_path, size_mb=4) as mount:
        assert os.path.ismount(mount)
        with pytest.raises(OSError) as info, open(mount / "big", "wb") as f:
            for _ in range(64):
                f.write(b"\0" * (1 << 20))
                f.flush()
                os.fsync(f.fileno())
        assert info.value.errno == errno.ENOSPC
    assert not os.path.ismount(tmp_path / "disk-mnt")
