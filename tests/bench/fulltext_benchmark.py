"""What the full-text index costs: building it (cold), keeping it in step (warm, a few files
changed), its size on disk, and a search keystroke with it, for a generated corpus.

    python tests/bench/fulltext_benchmark.py COUNT [--body-words N] [--workers 1 2] [--keep DIR]

The corpus is ``corpus.py``'s (one article in twenty has a short body). ``--body-words N``
adds a body of about N words to every article (drawn from the corpus's own phrases), to
see what bodies of a real size cost. Each build is measured twice: with the bodies in the
index, and with them left out (what ``in:body`` costs).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

from reader import fulltext
from reader.folder_loader import FolderLoader
from reader.fulltext import FullTextIndex, IndexLookup, _read_article, file_stamps
from reader.query import SearchIndex, parse

QUERIES = [
    "c", "cr", "cri", "critics", "critics warn", '"small publishers"', "debate p", "in:body w",
    "in:body watch", "in:body regulators", "topic:AI critics", "-critics",
]  # fmt: skip


def read_without_body(root: Path, relative: str):
    """An article with its body left out: an index of everything but bodies."""
    article = _read_article(root, None, relative)
    return replace(article, body="") if article is not None else None


def add_bodies(root: Path, words: int, seed: int = 0) -> None:
    """Append a body of about ``words`` words to every article file."""
    rng = random.Random(seed)
    phrases = [*corpus.OUTCOMES, *corpus.CAVEATS, *(o for o, _ in corpus.OBJECTS), *corpus.AUDIENCES, *corpus.SUBJECTS]
    for path in sorted(root.rglob("*.md")):
        sentences, count = [], 0
        while count < words:
            sentence = " ".join(rng.choice(phrases) for _ in range(4)).capitalize() + "."
            sentences.append(sentence)
            count += len(sentence.split())
        with open(path, "a", encoding="utf-8") as file:
            file.write("\n" + "\n\n".join(" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)) + "\n")


def size_on_disk(path: Path) -> int:
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sum(os.path.getsize(f"{path}{suffix}") for suffix in ("", "-wal") if os.path.exists(f"{path}{suffix}"))


def keystrokes(library, index: FullTextIndex, root: Path) -> list[str]:
    """Each query typed once, as the app asks (a word not asked before): what the keystroke costs
    the UI thread (the in-memory answer; the index is asked in a thread), how long until the
    index's answer is in, and the list shown again then (the session works it out in that thread)."""
    plain = SearchIndex(library.articles)
    plain.prepare()
    lines = [f"  {'query':24} {'found':>7} {'memory':>7}  keystroke  answer in  shown again  (no index)"]
    for text in QUERIES:
        query = parse(text, prefix_last=True)
        answered = threading.Event()
        search = SearchIndex(
            library.articles, full_text=IndexLookup(index, root, background=True, on_done=answered.set)
        )
        search.prepare()
        _as_the_session(lambda search=search: search.filter(parse("warmup")))  # the path map, once per library
        started = time.perf_counter()
        search.filter(query)
        keystroke = (time.perf_counter() - started) * 1000
        answered.wait(60)
        answer = (time.perf_counter() - started) * 1000
        _as_the_session(lambda search=search, query=query: search.filter(query))
        started = time.perf_counter()
        found = search.filter(query)
        shown = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        without = plain.filter(query)
        plain_ms = (time.perf_counter() - started) * 1000
        lines.append(
            f"  {text!r:24} {len(found):>7,} {len(without):>7,}  {keystroke:6.1f} ms  {answer:6.1f} ms"
            f"  {shown:6.1f} ms  ({plain_ms:.1f} ms)"
        )
    return lines


def _as_the_session(action) -> None:
    """Run in a thread that may wait for the index, as the session's is."""
    worker = threading.Thread(target=lambda: (setattr(fulltext._may_wait, "value", True), action()))
    worker.start()
    worker.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--body-words", type=int, default=0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, help="write the corpus here (reused if it is there)")
    parser.add_argument("--bodies-only", action="store_true", help="skip the build without bodies")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="fulltext-bench-"))
    root = args.keep or base / "corpus"
    if not root.exists():
        corpus.write_corpus(root, args.count)
        if args.body_words:
            add_bodies(root, args.body_words)
    files_bytes = sum(path.stat().st_size for path in root.rglob("*.md"))
    with FolderLoader(root) as loader:
        library = loader.load()
    print(f"{len(library):,} articles, {files_bytes / 1e6:.1f} MB of files; body words added: {args.body_words}")
    paths = {summary.path for summary in library.articles}
    started = time.perf_counter()
    stamps = file_stamps(root, paths)
    print(f"walk for the stamps: {time.perf_counter() - started:.2f} s")
    for bodies in (True,) if args.bodies_only else (True, False):
        for workers in args.workers:
            path = base / f"index-{bodies}-{workers}.sqlite3"
            index = FullTextIndex(path)
            read = _bound_reader(root, bodies)
            started = time.perf_counter()
            index.sync(root, stamps, read, workers=workers)
            cold = time.perf_counter() - started
            print(
                f"bodies {'in' if bodies else 'out'}, {workers} process(es): cold {cold:.2f} s "
                f"({len(stamps) / cold:,.0f} files/s), {size_on_disk(path) / 1e6:.1f} MB"
            )
        started = time.perf_counter()
        unchanged = index.sync(root, stamps, read, workers=workers)
        print(
            f"  warm sync (nothing changed, stamps given): {(time.perf_counter() - started) * 1000:.0f} ms, {unchanged} read"
        )
        changed = dict(stamps)
        for name in sorted(changed)[:: max(1, len(changed) // 100)]:
            size, mtime, ctime, inode = changed[name]
            changed[name] = (size, mtime + 1, ctime, inode)
        started = time.perf_counter()
        count = index.sync(root, changed, read, workers=workers)
        print(f"  1% changed: {count} read again in {(time.perf_counter() - started) * 1000:.0f} ms")
        if bodies:
            print("\n".join(keystrokes(library, index, root)))
        index.close()


def _bound_reader(root: Path, bodies: bool):
    import functools

    from reader.fulltext import article_reader

    return article_reader(root) if bodies else functools.partial(read_without_body, root)


if __name__ == "__main__":
    main()
