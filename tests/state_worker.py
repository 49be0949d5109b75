"""Marks articles from a separate process, for the kill -9 and two-writer tests of test_state.py.

    state_worker.py bulk PATH COUNT          prints "ready", then marks COUNT articles read, then
                                             unread, then read... each time in one call, until killed
    state_worker.py each PATH PREFIX COUNT   prints "ready", waits for a line on stdin, then marks
                                             PREFIX0 .. PREFIX{COUNT-1} read one call each; prints "done"
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reader.state import StateStore


def bulk_ids(count: int) -> list[str]:
    return [f"https://news.example/{n:06d}" for n in range(count)]


def main() -> None:
    command, path = sys.argv[1], Path(sys.argv[2])
    store = StateStore(path)
    if store.warnings:
        print("\n".join(store.warnings), file=sys.stderr)
        sys.exit(3)
    if command == "bulk":
        ids = bulk_ids(int(sys.argv[3]))
        print("ready", flush=True)
        read = True
        while True:
            store.mark_read(ids, read)
            read = not read
    elif command == "each":
        prefix, count = sys.argv[3], int(sys.argv[4])
        print("ready", flush=True)
        sys.stdin.readline()
        for n in range(count):
            store.mark_read([f"{prefix}{n}"])
        print("done", flush=True)
    else:
        sys.exit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
