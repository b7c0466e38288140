"""Why writing the storage folder may have failed, in words: a full or a read-only file system.

The libraries that write the index report these conditions in their own terms ("disk I/O error",
"Failed to apply logs to the metadata segment"); this names the actual cause next to them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

NEARLY_FULL_BYTES = 5 * 1024 * 1024  # less than this free: no index write can be relied on


def disk_problem(folder: Path) -> str | None:
    """'the disk holding X is full (… free)' / 'X is on a read-only file system', or None."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if os.statvfs(existing).f_flag & os.ST_RDONLY:
            return f"{folder} is on a read-only file system"
        free = shutil.disk_usage(existing).free
    except OSError:
        return None
    if free < NEARLY_FULL_BYTES:
        return f"the disk holding {folder} is full ({free // 1024} KB free)"
    return None
