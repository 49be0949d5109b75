"""Writing the user's own files (settings, feed lists) so that nothing is ever half-written or lost.

A file is replaced all at once (a temporary file in the same folder, fsynced,
then renamed, and the rename made durable), so a crash or ``kill -9`` leaves
the old file or the new one. A file that turns out damaged is moved aside
under a dated name, never deleted, and the caller is told in one line.
"""

from __future__ import annotations

import os
from contextlib import suppress
from datetime import datetime
from pathlib import Path

from .text import escape_line, escape_name


def move_aside(path: Path, reason: str, *, then: str, otherwise: str) -> str:
    """Keep a damaged file under a dated name beside it (never delete it); one line saying so.

    ``then`` says what follows once it is kept ("the feed list starts empty");
    ``otherwise`` what follows when it cannot be moved ("no feeds are followed").
    """
    shown = escape_name(str(path))
    stamp = datetime.now().strftime("%Y-%m-%dT%H%M%S")
    for attempt in range(100):
        target = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{attempt}" if attempt else ""))
        if target.exists():
            continue
        try:
            os.rename(path, target)
        except FileNotFoundError:  # another process moved it first
            break
        except OSError as error:
            problem = escape_line(error.strerror or str(error))
            return f"{shown}: damaged ({reason}) and cannot be moved aside ({problem}); {otherwise}"
        return f"{shown}: damaged ({reason}); kept as {escape_name(target.name)}; {then}"
    return f"{shown}: damaged ({reason}); {otherwise}"


def write_atomically(path: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` all at once: a reader (or a crash) sees the old file or the new one.

    The temporary file is hidden (``.name.…``, which the library walk skips)
    and in the same folder, so the rename is atomic; it is removed if anything
    fails. Raises OSError.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:60]}.", suffix=".tmp")
    try:
        with open(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    if sync_folder:
        sync_directory(path.parent)


def sync_directory(folder: Path) -> None:
    """Make renames in ``folder`` durable (where the platform lets a folder be opened)."""
    with suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
