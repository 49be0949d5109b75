"""The reader's benchmark: load times, time to first rows, key latency, memory.

Run it from the repository (after the README's install command):

    python tests/bench/benchmark.py                      # N = 1,000 and 10,000
    python tests/bench/benchmark.py --sizes 1000 10000 100000 --runs 3
    python tests/bench/benchmark.py --throughput 10000   # articles/s, one process
    python tests/bench/benchmark.py --sizes 100000 --peer  # and newsboat on the same items

For each N it generates a deterministic corpus of seed-like articles (kept in
--corpus-dir, so a rerun does not regenerate it) and reports medians over
--runs runs, each in a fresh process:

- cold load (empty cache, every file parsed) and warm load (from the cache)
  of the whole library, and in the same run a bare ``yaml.CSafeLoader`` parse
  of the same front matters in one process: the floor the cold load is
  compared with;
- the time from starting ``reader PATH`` in tmux (a real terminal) until the
  first rows are on screen, warm cache; headless if tmux is missing;
- per-key latency in the list (Down, PgDn, End), a sort switch and a topic
  switch: the handler plus the repaint of the list's visible lines, timed
  inside a headless app (Pilot's own key delivery sleeps, so it cannot time this);
- peak memory (RSS) of the warm-started app and of the cold load.

With ``--peer`` (or ``--peer-only``), and newsboat and tmux installed, the
same run also times the reader beside newsboat on the same N items
(``peer.py``: an RSS feed for newsboat, the same items as article files for
the reader, both started in a private tmux server with a scratch HOME): cold
load (``reader check`` against ``newsboat -x reload``), warm start to the
first rows and to End landing on the true last item, ``reader list --limit
20`` with and without ``--json``, and the peak RSS of each.

Machines are noisy: compare ratios within one run rather than absolute times
across machines. The table it prints is the README's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import peer  # noqa: E402
from corpus import write_corpus  # noqa: E402

# --- measurements that run in a child process ----------------------------------


def child_load(root: str, cache_file: str) -> dict:
    from reader.cache import ArticleCache
    from reader.folder_loader import FolderLoader

    start = time.perf_counter()
    cache = ArticleCache(Path(cache_file)) if cache_file else None
    library = FolderLoader(Path(root), cache).load()
    seconds = time.perf_counter() - start
    import multiprocessing

    multiprocessing.active_children()  # reap the parsing processes, so their peak counts
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "articles": len(library), "rss_mb": _peak_rss_mb(), "workers_rss_mb": children}


def child_bare_yaml(root: str) -> dict:
    """The floor: read every file, split the front matter by hand, CSafeLoader it. Nothing else."""
    import yaml

    start = time.perf_counter()
    count = 0
    for path in sorted(Path(root).rglob("*")):
        if path.suffix in (".md", ".txt", ".markdown"):
            text = path.read_text(encoding="utf-8")
            _, fm, _ = text.split("---\n", 2)
            yaml.load(fm, Loader=yaml.CSafeLoader)
            count += 1
    return {"seconds": time.perf_counter() - start, "files": count}


def child_throughput(root: str) -> dict:
    """Articles per second in one process: each way of loading, beside the bare parse."""
    from reader import frontmatter
    from reader.loading import FileEntry, load_file, load_summary, walk

    entries = [entry.path for entry in walk(Path(root)) if isinstance(entry, FileEntry)]

    def rate(load) -> float:
        start = time.perf_counter()
        for path in entries:
            load(Path(root), path)
        return len(entries) / (time.perf_counter() - start)

    bare = child_bare_yaml(root)
    results = {"files": len(entries), "bare_csafeloader": bare["files"] / bare["seconds"]}
    results["full_article_pyyaml"] = rate(load_file)
    results["list_fields_pyyaml"] = rate(load_summary)
    frontmatter.enable_accelerator()
    results["full_article_yaml_rs"] = rate(load_file)
    results["list_fields_yaml_rs"] = rate(load_summary)
    return results


def child_app(root: str, cache_file: str) -> dict:
    """Key latency and memory inside a headless app over a warm cache."""
    from dataclasses import replace

    from reader.app import ReaderApp
    from reader.library import ListQuery, Node
    from reader.query import parse

    async def run() -> dict:
        app = ReaderApp(Path(root), cache_path=Path(cache_file), mark_read="manual", watch="off")
        async with app.run_test(size=(160, 50)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.main_screen
            article_list = screen.article_list
            region = article_list.scrollable_content_region

            def repaint() -> None:
                article_list._row_cache.clear()  # what a real key press pays: fresh rows
                article_list.render_lines(region.reset_offset)

            def timed(action, repeat: int) -> list[float]:
                samples = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    action()
                    repaint()
                    samples.append((time.perf_counter() - start) * 1000)
                return samples

            results = {}
            article_list.cursor = 0
            results["down_ms"] = statistics.median(timed(article_list.action_cursor_down, 200))
            results["pgdn_ms"] = statistics.median(timed(article_list.action_page_down, 50))

            def end_then_home() -> None:
                article_list.action_last()

            ends = []
            for _ in range(20):
                article_list.cursor = 0
                ends += timed(end_then_home, 1)
            results["end_ms"] = statistics.median(ends)
            # The detail pane follows the cursor after a short pause, reading the
            # file in a worker; the cost of reading and showing one article:
            detail = []
            library = screen.library
            for index in list(library.view_of(screen.list_query))[:30]:
                start = time.perf_counter()
                screen.detail.show_article(library.article(index), library)
                detail.append((time.perf_counter() - start) * 1000)
            results["detail_ms"] = statistics.median(detail)
            results["sort_ms"] = statistics.median(timed(screen.action_cycle_sort, 9))
            topics = list(library.topic_counts)[:10]
            switches = []
            for topic in topics:
                start = time.perf_counter()
                screen.list_query = ListQuery(Node("topic", topic))  # the watcher shows the new list
                repaint()
                switches.append((time.perf_counter() - start) * 1000)
            results["topic_ms"] = statistics.median(switches)
            # Search, one keystroke at a time: parse, filter, show (the index is built in the load worker).
            screen.list_query = ListQuery()
            keystrokes = []
            for typed in ("q", "qu", "qua", "quan", "quantum", "quantum topic:AI", "quantum topic:AI quality>=80"):
                start = time.perf_counter()
                screen.list_query = replace(screen.list_query, search=parse(typed, prefix_last=True))
                repaint()
                keystrokes.append((time.perf_counter() - start) * 1000)
            results["search_key_ms"] = max(keystrokes)
            results["rss_mb"] = _peak_rss_mb()
            await pilot.pause()
        return results

    return asyncio.run(run())


def child_first_rows_headless(root: str, cache_file: str, started: float) -> dict:
    """Seconds from process start until the list has rows, in a headless app."""
    from reader.app import ReaderApp

    async def run() -> float:
        app = ReaderApp(Path(root), cache_path=Path(cache_file), mark_read="manual", watch="off")
        async with app.run_test(size=(120, 35)) as pilot:
            while not app.main_screen.article_list.rows:
                await pilot.pause(0.005)
            return time.time() - started

    return {"seconds": asyncio.run(run())}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the parent: orchestrating runs ---------------------------------------------


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True, env=_env()
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent.parent), env.get("PYTHONPATH", "")])
    return env


def first_rows_in_tmux(root: Path, cache_file: Path, width: int = 120, height: int = 35) -> float:
    """Start the real `reader` in a tmux window and poll its screen until a row shows."""
    session = f"reader-bench-{os.getpid()}"
    config = Path(tempfile.mkdtemp()) / "config.toml"
    config.write_text("cache = true\n")
    env_cache = cache_file.parent
    command = f"env XDG_CACHE_HOME={env_cache.parent} READER_CONFIG={config} {sys.executable} -m reader {root}"
    # The reader keeps its cache at $XDG_CACHE_HOME/reader-news/articles.sqlite3.
    start = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command], check=True
    )
    try:
        while time.perf_counter() - start < 30:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            # Only list rows carry the score bars (▁ to █).
            if any(bar in screen for bar in "▁▂▃▄▅▆▇█"):
                return time.perf_counter() - start
            time.sleep(0.005)
        raise RuntimeError("no rows after 30 s:\n" + screen)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def generated_corpus(corpus_dir: Path, size: int) -> Path:
    """corpus_dir/corpus-SIZE, written once (a ``.complete`` file says it was finished) and then reused."""
    root = corpus_dir / f"corpus-{size}"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        write_corpus(root, size)
        (root / ".complete").write_text("")
    return root


def benchmark(size: int, runs: int, corpus_dir: Path, bare_runs: int) -> dict:
    root = generated_corpus(corpus_dir, size)
    state = Path(tempfile.mkdtemp(prefix="reader-bench-"))
    cache_file = state / "reader-news" / "articles.sqlite3"
    cold, warm, bare, first, app = [], [], [], [], []
    try:
        for _ in range(runs):
            shutil.rmtree(state / "reader-news", ignore_errors=True)
            cache_file.parent.mkdir(parents=True)
            cold.append(run_child("load", str(root), str(cache_file)))
            warm.append(run_child("load", str(root), str(cache_file)))
        for _ in range(bare_runs):
            bare.append(run_child("bare", str(root)))
        for _ in range(runs):
            if shutil.which("tmux"):
                first.append(first_rows_in_tmux(root, cache_file))
            else:
                first.append(run_child("first", str(root), str(cache_file), repr(time.time()))["seconds"])
        app.append(run_child("app", str(root), str(cache_file)))
    finally:
        shutil.rmtree(state, ignore_errors=True)

    def median(rows: list[dict], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    return {
        "size": size,
        "cold_s": median(cold, "seconds"),
        "cold_rss_mb": median(cold, "rss_mb"),
        "cold_workers_rss_mb": median(cold, "workers_rss_mb"),
        "warm_s": median(warm, "seconds"),
        "bare_yaml_s": median(bare, "seconds") if bare else None,
        "first_rows_s": statistics.median(first),
        "first_rows_how": "tmux" if shutil.which("tmux") else "headless",
        **{key: median(app, key) for key in app[0]},
    }


def _figure(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(results: list[dict]) -> str:
    rows = [
        ("articles", lambda r: f"{r['size']:,}"),
        ("cold load (s)", lambda r: f"{r['cold_s']:.2f}"),
        # "-": not measured (--bare-runs 0; at a million files it takes minutes)
        ("bare CSafeLoader parse (s)", lambda r: _figure(r["bare_yaml_s"])),
        ("cold load / bare parse", lambda r: _figure(r["bare_yaml_s"] and r["cold_s"] / r["bare_yaml_s"])),
        ("warm load (s)", lambda r: f"{r['warm_s']:.2f}"),
        ("start to first rows, warm (s)", lambda r: f"{r['first_rows_s']:.2f}"),
        ("Down (ms)", lambda r: f"{r['down_ms']:.2f}"),
        ("PgDn (ms)", lambda r: f"{r['pgdn_ms']:.2f}"),
        ("End (ms)", lambda r: f"{r['end_ms']:.2f}"),
        ("detail pane update (ms)", lambda r: f"{r['detail_ms']:.2f}"),
        ("sort switch (ms)", lambda r: f"{r['sort_ms']:.2f}"),
        ("topic switch (ms)", lambda r: f"{r['topic_ms']:.2f}"),
        ("search keystroke, slowest of 7 (ms)", lambda r: f"{r['search_key_ms']:.2f}"),
        ("peak RSS, app warm (MB)", lambda r: f"{r['rss_mb']:.0f}"),
        ("peak RSS, cold load (MB)", lambda r: f"{r['cold_rss_mb']:.0f}"),
        (
            # "-": no figure (1,000 files parse in-process; at 10,000 the processes
            # were sometimes not yet reaped when measured)
            "peak RSS, each parsing process (MB)",
            lambda r: f"{r['cold_workers_rss_mb']:.0f}" if r["cold_workers_rss_mb"] else "-",
        ),
    ]
    lines = ["| measure | " + " | ".join(f"N = {r['size']:,}" for r in results) + " |"]
    lines.append("|---|" + "---:|" * len(results))
    for name, cell in rows[1:]:
        lines.append(f"| {name} | " + " | ".join(cell(r) for r in results) + " |")
    return "\n".join(lines)


def peer_table(results: list[dict]) -> str:
    """The reader and newsboat side by side, two columns per size, on the same items."""
    rows = [
        ("cold load: `reader check` / `newsboat -x reload` (s)", "cold_s", 2),
        ("first start after the cold load: End on the true last item (s)", "after_cold_usable_s", 2),
        ("warm: first rows on screen (s; newsboat: its first title)", "first_rows_s", 2),
        ("warm: End lands on the true last item (s)", "usable_s", 2),
        ("warm: `reader list --limit 20` (s)", "list_s", 2),
        ("warm: `reader list --json --limit 20` (s)", "list_json_s", 2),
        ("peak RSS, app warm (MB)", "rss_mb", 0),
        ("peak RSS, cold load (MB)", "cold_rss_mb", 0),
        ("whole machine busy, warm starts (%)", "sys_busy_pct", 0),
    ]
    compared = [r["peer"] for r in results if "peer" in r]
    header = "| measure (same items) | "
    header += " | ".join(f"reader, N = {p['size']:,} | newsboat, N = {p['size']:,}" for p in compared) + " |"
    lines = [header, "|---|" + "---:|---:|" * len(compared)]
    for name, key, digits in rows:
        cells = [
            f"{_figure(p['reader'].get(key), digits)} | {_figure(p['newsboat'].get(key), digits)}" for p in compared
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ratios = [f"{p['reader']['cold_s'] / p['newsboat']['cold_s']:.2f} | -" for p in compared]
    lines.append("| cold load, reader / newsboat | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, *args = sys.argv[2:]
        if kind == "load":
            result = child_load(*args)
        elif kind == "bare":
            result = child_bare_yaml(*args)
        elif kind == "app":
            result = child_app(*args)
        elif kind == "throughput":
            result = child_throughput(*args)
        else:
            result = child_first_rows_headless(args[0], args[1], float(args[2]))
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=3, help="runs per measure (median)")
    parser.add_argument(
        "--bare-runs", type=int, default=1, help="runs of the bare YAML floor (slow at 100k; 0: not measured)"
    )
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "reader-bench-corpus")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--peer", action="store_true", help="also time newsboat beside the reader on the same items")
    parser.add_argument("--peer-only", action="store_true", help="only the comparison with newsboat")
    parser.add_argument(
        "--throughput", type=int, metavar="N", help="only: articles per second in one process on N articles"
    )
    args = parser.parse_args()
    if args.throughput:
        root = generated_corpus(args.corpus_dir, args.throughput)
        result = run_child("throughput", str(root))
        print(f"{result['files']:,} articles, one process, articles per second:")
        for key, value in result.items():
            if key != "files":
                print(f"  {key:<22} {value:8,.0f}")
        return
    with_peer = args.peer or args.peer_only
    skipped = ""
    if with_peer and peer.missing_tools():
        skipped = f"newsboat comparison skipped: {' and '.join(peer.missing_tools())} not installed."
        print(skipped, file=sys.stderr, flush=True)
        with_peer = False

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if with_peer:
        peer.stop_cleanly_on_sigterm()
    date = time.strftime("%Y-%m-%d")
    results = []
    for size in args.sizes:
        print(f"N = {size:,}…", file=sys.stderr, flush=True)
        result = {"size": size} if args.peer_only else benchmark(size, args.runs, args.corpus_dir, args.bare_runs)
        if with_peer:
            print(f"N = {size:,}, the reader and newsboat on the same items…", file=sys.stderr, flush=True)
            try:
                result["peer"] = peer.compare(size, args.corpus_dir, args.runs, say)
            except peer.RunError as error:  # the rest of the run still counts: said, and left out of the table
                result["peer_error"] = f"{error}\n{error.screen}"
                say(f"newsboat comparison at N = {size:,} failed: {result['peer_error']}")
        results.append(result)
        if not args.peer_only:
            print(json.dumps({k: v for k, v in result.items() if k != "peer"}), file=sys.stderr, flush=True)
    print(f"{date}. Machine: {machine()}; medians of {args.runs} run{'s' if args.runs > 1 else ''}.")
    if not args.peer_only:
        print(f"First rows measured in {results[0]['first_rows_how']}.\n")
        print(table(results))
    if any("peer" in r for r in results):
        versions = sorted({r["peer"]["newsboat_version"] for r in results if "peer" in r})
        print(f"\nThe reader beside {', '.join(versions)} on the same items (tests/bench/peer.py), in the same run:\n")
        print(peer_table(results))
    elif skipped:
        print(f"\n{skipped}")
    for result in results:
        if "peer_error" in result:
            print(f"\nThe comparison at N = {result['size']:,} failed: {result['peer_error'].splitlines()[0]}")
    if args.json:
        report = {"date": date, "machine": machine(), "runs": args.runs, "results": results}
        if skipped:
            report["peer_skipped"] = skipped
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
