"""How fast the reading-state store is at a given number of articles.

    python tests/bench/state_benchmark.py                 # 100,000 articles, 5 runs
    python tests/bench/state_benchmark.py --articles 10000 --runs 3

Each run uses a fresh state file in a temporary folder and article ids shaped
like real ones (normalised news URLs, ~90 characters) in a shuffled order, as
a view sorted by quality hands them over. Reported in milliseconds: the
median, the best (closest to an idle machine) and the worst run of:

- open: ``StateStore(path)`` on the existing file, in a fresh store;
- first snapshot: the first ``snapshot()`` of a store (it reads the id map);
- snapshot: the next ones, with everything marked read and starred;
- see new / see known: ``see()`` of every id, the first time and again;
- mark all read / undo: one bulk ``mark_read`` of every id, and its undo;
- mark one: ``mark_read`` of a single article (the ``m`` key);
- export, import: the whole state to a dict and merged into an empty store.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from reader.state import StateStore


def article_ids(count: int) -> list[str]:
    outlets = ["www.nytimes.com", "www.bbc.co.uk", "www.theguardian.com", "www.reuters.com", "arstechnica.com"]
    ids = [
        f"https://{outlets[n % len(outlets)]}/2026/{n % 12 + 1:02d}/{n % 28 + 1:02d}/world/"
        f"{n:07d}-a-headline-long-enough-to-look-like-one"
        for n in range(count)
    ]
    random.Random(count).shuffle(ids)
    return ids


def timed(results: dict[str, list[float]], name: str, action):
    start = time.perf_counter()
    value = action()
    results.setdefault(name, []).append((time.perf_counter() - start) * 1000)
    return value


def one_run(count: int, folder: Path, results: dict[str, list[float]]) -> None:
    ids = article_ids(count)
    path = folder / "state.sqlite3"
    store = StateStore(path)
    timed(results, "see new", lambda: store.see(ids))
    timed(results, "see known", lambda: store.see(ids))
    change = timed(results, "mark all read", lambda: store.mark_read(ids))
    assert len(change) == count
    restored = timed(results, "undo mark all", lambda: store.undo(change))
    assert restored == count
    store.mark_read(ids)
    store.star(ids)
    timed(results, "mark one", lambda: store.mark_read([ids[count // 2]], False))
    store.close()

    store = timed(results, "open", lambda: StateStore(path))
    state = timed(results, "first snapshot", store.snapshot)
    assert len(state.starred) == count
    for _ in range(3):
        timed(results, "snapshot", store.snapshot)
    exported = timed(results, "export", store.export)
    store.close()
    other = StateStore(folder / "other.sqlite3")
    counts = timed(results, "import", lambda: other.import_(exported))
    assert counts.starred == count
    other.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            one_run(args.articles, Path(folder), results)
    print(f"{args.articles:,} articles, {args.runs} runs (ms)")
    print(f"{'measure':<16} {'median':>8} {'best':>8} {'worst':>8}")
    for name, values in results.items():
        print(f"{name:<16} {statistics.median(values):8.1f} {min(values):8.1f} {max(values):8.1f}")


if __name__ == "__main__":
    main()
