"""What reading state costs the app at a library's size: a bulk mark and its undo, unread
counts for every tree node, the Unread view.

    python tests/bench/state_in_library.py CORPUS_DIR     (e.g. the benchmark's corpus-100000)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from reader.folder_loader import FolderLoader
from reader.library import UNREAD, ListQuery
from reader.state import StateStore


def best_and_median(action, runs: int = 5) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return min(samples), statistics.median(samples)


def main(root: Path) -> None:
    started = time.perf_counter()
    with FolderLoader(root) as loader:
        library = loader.load()
    print(f"loaded {len(library):,} articles in {time.perf_counter() - started:.1f} s")
    store = StateStore(Path(tempfile.mkdtemp()) / "state.sqlite3")
    ids = [library.articles[i].id for i in library.view_of(ListQuery())]
    store.begin_run(str(root))
    store.see(ids)
    for _ in range(3):
        start = time.perf_counter()
        change = store.mark_read(ids)
        marked = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        store.undo(change)
        undone = (time.perf_counter() - start) * 1000
        print(f"mark the whole view read: {marked:.0f} ms; undo it: {undone:.0f} ms")
    store.mark_read(ids[::2])
    state = store.snapshot()
    print("snapshot: best %.0f ms, median %.0f ms" % best_and_median(store.snapshot))
    print("unread counts, every tree node: best %.1f ms, median %.1f ms" % best_and_median(lambda: library.unread_counts(state.read)))
    print("the Unread view: best %.1f ms, median %.1f ms" % best_and_median(lambda: library.view_of(ListQuery(UNREAD), state)))
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
