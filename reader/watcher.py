"""Noticing changes in a library folder while the app is open.

File-system events (inotify, FSEvents… through ``watchfiles``) cost nothing
while nothing changes, whatever the size of the library. Where a file system
gives no events (network mounts) or they cannot be had (the inotify watch
limit), the watcher polls instead, but only the folders: adding, removing or
renaming a file changes its folder's modification time, so a poll is a stat
per folder, not per file. An edit inside an existing file is then found by a
rescan (``r``), which the README says.

Changes come in batches: a burst of 1,000 files arriving at once is one
batch, so the library is re-indexed and repainted once, not 1,000 times.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

DEBOUNCE_MS = 400  # changes this close together are one batch; well inside the 2 s promise
WAKE_MS = 500  # the watcher wakes this often with an empty batch (retries, a rescan asked for, stopping)
POLL_S = 2.0


class WatchMode(StrEnum):
    AUTO = "auto"  # events where the file system gives them, else polling folders
    POLL = "poll"  # polling folders only (network mounts)
    OFF = "off"


class FolderWatcher:
    """Batches of changed paths (absolute, as text) under a folder, until stopped.

    An empty batch is a heartbeat: nothing changed, but the caller may want to
    retry something. ``polling`` says which way it watches (for the status).
    """

    def __init__(self, root: Path, mode: WatchMode = WatchMode.AUTO, *, poll_s: float = POLL_S) -> None:
        self.root = root
        self.mode = mode
        self.poll_s = poll_s
        self.polling = mode is WatchMode.POLL
        self.problem = ""  # why events could not be had, when it fell back to polling

    def batches(self, stop: threading.Event) -> Iterator[set[str]]:
        if self.mode is WatchMode.OFF:
            # Heartbeats only: a rescan asked for by hand (r) still runs at the next one.
            while not stop.wait(WAKE_MS / 1000):
                yield set()
            return
        if self.mode is WatchMode.AUTO:
            try:
                yield from self._events(stop)
                return
            except Exception as error:  # no watchfiles, no inotify watches left, an odd file system
                self.problem = " ".join(str(error).split())[:200] or type(error).__name__
            self.polling = True
        yield from self._poll(stop)

    def _events(self, stop: threading.Event) -> Iterator[set[str]]:
        import watchfiles

        for changes in watchfiles.watch(
            self.root,
            watch_filter=None,  # the loader decides what is an article; hidden files it skips
            debounce=DEBOUNCE_MS,
            step=50,
            stop_event=stop,
            rust_timeout=WAKE_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
            ignore_permission_denied=True,
        ):
            if stop.is_set():
                return
            yield {path for _change, path in changes}

    def _poll(self, stop: threading.Event) -> Iterator[set[str]]:
        """Every ``poll_s``: the folders whose modification time changed (and the new ones' contents)."""
        known = _folder_times(self.root)
        while not stop.wait(self.poll_s):
            changed: set[str] = set()
            for folder, mtime in list(known.items()):
                try:
                    now = os.stat(folder).st_mtime_ns
                except OSError:
                    changed.add(folder)  # gone: the loader forgets what was under it
                    del known[folder]
                    continue
                if now != mtime:
                    changed.add(folder)
                    known.update(_folder_times(Path(folder)))  # new subfolders are watched from now on
            yield changed


def _folder_times(root: Path) -> dict[str, int]:
    """Every folder under ``root`` (not hidden, not through symlinks) and its modification time."""
    times: dict[str, int] = {}
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            times[folder] = os.stat(folder).st_mtime_ns
            with os.scandir(folder) as entries:
                for entry in entries:
                    if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return times
