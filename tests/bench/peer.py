"""newsboat beside the reader: the same items, both programs timed in the same run.

The speed issue compares the reader with newsboat 2.21 (Debian's package) on one set of items:
an RSS feed of N items that newsboat ingests, and the same items as article files that the
reader loads. This module makes both (``write_feed``, ``feed_to_articles``; deterministic, so a
rerun can reuse them), times a terminal program from the outside through a private tmux server
(``time_tui``), and runs the comparison for one size (``compare``). ``benchmark.py --peer``
calls it; run alone it prints the JSON of one size::

    python tests/bench/peer.py 100000 [--runs 3] [--corpus-dir DIR]

The feed and the tmux timing are taken from the peer tools the issue came with (make_feed.py,
feed_to_articles.py, tui_timer.py): the same items byte for byte, and the same way of timing
(the clock starts when the command replaces an idle placeholder in an already running tmux
pane, so tmux's own start-up is not counted; the screen is polled through one control-mode
client; a step's keys can be resent until its pattern shows, "how long until End really
reaches the end"). Only the tmux server this module starts is ever killed, through its own
socket and by its session's unique name.

Each program gets a scratch HOME (and XDG folders, for the reader) so the cache state is what
is meant: cold is an empty cache; then comes one start right after the cold load (reported
apart), and warm is every start after that one.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import json
import os
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent.parent

FEED_TITLE = "Peer Bench Feed"

# --- the items: an RSS feed, and the same items as article files -------------------

# fmt: off
FEED_TOPICS = [
    "Politics", "Economy", "Markets", "Technology", "Science", "Health",
    "Climate", "Energy", "Space", "Sports", "Football", "Tennis", "Culture",
    "Music", "Film", "Books", "Art", "Travel", "Food", "Education",
    "Security", "Privacy", "Open Source", "Linux", "Programming", "AI",
    "Hardware", "Mobile", "Gaming", "Startups", "Finance", "Law",
    "Transport", "Cities", "Housing", "Agriculture", "Oceans", "History",
    "Religion", "Weather",
]
# fmt: on

_FEED_TEXT = (
    "quiet report shows new data about the market while local officials "
    "announce plans for a broader review of public services across several "
    "regions researchers found that early results suggest modest gains in "
    "efficiency but critics warn of rising costs and uncertain outcomes over "
    "the coming months a spokesperson said the team would publish further "
    "details next week after consulting with independent experts and community "
    "groups meanwhile analysts expect volatility to continue as investors weigh "
    "mixed signals from industry surveys and official statistics engineers "
    "released an update fixing several bugs and improving performance on older "
    "hardware users reported faster startup times and fewer crashes the project "
    "maintainers thanked contributors from around the world for their patches "
    "reviews and translations scientists observed unusual patterns in the "
    "atmosphere that could help refine long range forecasts for farmers and "
    "shipping companies"
)
FEED_WORDS = _FEED_TEXT.split()

FEED_END = datetime(2024, 12, 31, 23, 59, 0, tzinfo=UTC)
YEAR_SECONDS = 365 * 24 * 3600


def item_title_prefix(number: int) -> str:
    """What item `number` (1-based) starts its title with: the pattern both programs are watched for."""
    return f"#{number:06d} "


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(FEED_WORDS) for _ in range(rng.randint(lo, hi)))


def _description(rng: random.Random) -> str:
    target = rng.randint(150, 400)
    parts: list[str] = []
    length = 0
    while True:
        sentence = _sentence(rng, 6, 16)
        sentence = sentence[0].upper() + sentence[1:] + "."
        if length and length + 1 + len(sentence) > target:
            break
        parts.append(sentence)
        length += len(sentence) + (1 if length else 0)
        if length >= target:
            break
    text = " ".join(parts)
    while len(text) < 150:
        text = text[:-1] + " " + rng.choice(FEED_WORDS) + "."
    if len(text) > 400:
        text = text[:399].rstrip() + "."
    return text


def _headline(rng: random.Random) -> str:
    words = _sentence(rng, 4, 9).split()
    return " ".join(w.capitalize() if k == 0 or len(w) > 3 else w for k, w in enumerate(words))


def write_feed(count: int, out, seed: int = 1234, title: str = FEED_TITLE) -> None:
    """Write an RSS 2.0 feed of `count` items to the text stream `out`.

    Item i (1-based) is titled ``#00000i <headline>``, links to https://example.com/a/i and is
    older than item i - 1, so newest first puts #000001 at the top and #count at the bottom.
    The same (count, seed) always gives the same bytes (make_feed.py's output).
    """
    rng = random.Random(seed)
    step = YEAR_SECONDS / max(count, 1)
    w = out.write
    w('<?xml version="1.0" encoding="UTF-8"?>\n')
    w('<rss version="2.0">\n<channel>\n')
    w(f"<title>{escape(title)}</title>\n")
    w("<link>https://example.com/</link>\n")
    w(f"<description>Synthetic feed with {count} items (seed {seed})</description>\n")
    w("<language>en</language>\n")
    w(f"<lastBuildDate>{format_datetime(FEED_END)}</lastBuildDate>\n")
    for i in range(1, count + 1):
        # strictly decreasing with i; the jitter stays inside the item's slot
        offset = (i - 1) * step + rng.random() * step * 0.5
        date = FEED_END - timedelta(seconds=int(offset))
        topics = rng.sample(FEED_TOPICS, rng.randint(1, 3))
        link = f"https://example.com/a/{i}"
        w("<item>\n")
        w(f"<title>#{i:06d} {escape(_headline(rng))}</title>\n")
        w(f"<link>{link}</link>\n")
        w(f'<guid isPermaLink="true">{link}</guid>\n')
        w(f"<pubDate>{format_datetime(date)}</pubDate>\n")
        for topic in topics:
            w(f"<category>{escape(topic)}</category>\n")
        w(f"<description>{escape(_description(rng))}</description>\n")
        w("</item>\n")
    w("</channel>\n</rss>\n")


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def feed_to_articles(feed: Path, out: Path) -> int:
    """Write the feed's items as article files under `out` (NNN/NNNNNN.md); return how many.

    Every article gets quality 50 and heat -1, so the reader's default order (quality, then
    date) puts item #000001, the newest, first, as newsboat's newest-first order does. The
    same files as feed_to_articles.py writes, read item by item so that a million items do not
    need the whole tree in memory.
    """
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    made: set[Path] = set()
    for _, item in ET.iterparse(feed, events=("end",)):
        if item.tag != "item":
            continue
        count += 1
        title = item.findtext("title") or ""
        link = item.findtext("link") or ""
        when = email.utils.parsedate_to_datetime(item.findtext("pubDate")).strftime("%Y-%m-%dT%H:%M:%SZ")
        topics = [c.text for c in item.findall("category") if c.text]
        excerpt = item.findtext("description") or ""
        item.clear()
        sub = out / f"{(count - 1) // 1000:03d}"
        if sub not in made:
            sub.mkdir(exist_ok=True)
            made.add(sub)
        lines = [
            "---",
            "category: news",
            f"title: {_quoted(title)}",
            f"excerpt: {_quoted(excerpt)}",
            f"publishedDateTime: {when}",
            f"originalUrl: {_quoted(link)}",
            f"webUrl: {_quoted(link)}",
            "type: article",
            "quality: 50",
            "heat: -1",
            "published: true",
            "",
            "provider:",
            f"  name: {FEED_TITLE}",
            "  domain: example.com",
            "",
            "topics:",
            *(f"  - {t}" for t in topics),
            "",
            "related: []",
            "---",
            "",
        ]
        (sub / f"{count:06d}.md").write_text("\n".join(lines), encoding="utf-8")
    return count


@dataclass(frozen=True)
class PeerItems:
    size: int
    feed: Path  # what newsboat ingests
    articles: Path  # the same items as article files, what the reader loads


def prepare(corpus_dir: Path, size: int) -> PeerItems:
    """The feed and the articles of `size` items under corpus_dir/peer-SIZE, made once and then reused."""
    root = corpus_dir / f"peer-{size}"
    items = PeerItems(size, root / "feed.xml", root / "articles")
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        with open(items.feed, "w", encoding="utf-8", newline="\n") as out:
            write_feed(size, out)
        written = feed_to_articles(items.feed, items.articles)
        if written != size:
            raise RuntimeError(f"the feed of {size} items gave {written} articles")
        (root / ".complete").write_text("")
    return items


# --- timing a terminal program through a private tmux server -------------------------


class RunError(Exception):
    def __init__(self, message: str, screen: str = "") -> None:
        super().__init__(message)
        self.screen = screen


class Tmux:
    """One private tmux server (its own socket and config) holding one session of a fixed size."""

    # The pane first runs an idle placeholder; the command under test replaces it (respawn-pane),
    # so the clock starts after tmux's server start-up and the control client's attach.
    PLACEHOLDER = ("sleep", "2147483647")
    PANE = "#{pane_dead}|#{pane_pid}|#{pane_dead_status}|#{pane_dead_signal}"

    def __init__(self, width: int, height: int, term: str, env: dict[str, str]) -> None:
        self.session = f"reader_peer_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.width, self.height, self.env = width, height, env
        self.folder = tempfile.mkdtemp(prefix="reader_peer_tmux_")
        self.socket = os.path.join(self.folder, "sock")
        self.conf = os.path.join(self.folder, "tmux.conf")
        with open(self.conf, "w") as conf:
            conf.write("set -g status off\n")  # the whole WxH goes to the program
            conf.write("set -g remain-on-exit on\n")  # an early exit stays visible, with its status
            conf.write(f"set -g default-terminal {shlex.quote(term)}\n")
            conf.write("set -g escape-time 0\n")
        self.started = False
        self.control: subprocess.Popen | None = None

    def base(self) -> list[str]:
        return ["tmux", "-S", self.socket, "-f", self.conf]

    def start(self, cwd: str) -> None:
        # The server takes its environment from this client: the scratch one, nothing of the caller's.
        command = [*self.base(), "new-session", "-d", "-s", self.session, "-x", str(self.width)]
        command += ["-y", str(self.height), "-c", cwd, "--", *self.PLACEHOLDER]
        self.started = True
        done = subprocess.run(command, env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if done.returncode:
            raise RunError(f"tmux new-session failed: {(done.stdout + done.stderr).strip()}")
        self.control = subprocess.Popen(
            [*self.base(), "-C", "attach-session", "-t", self.session, "-f", "no-output,ignore-size"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        token = "reader_peer_sync_" + uuid.uuid4().hex
        reply = self._commands([f"display-message -p {token}"])[0]
        while token not in "".join(reply):  # the attach command's own reply may come first
            reply = self._read_block()

    def launch(self, argv: Sequence[str], cwd: str) -> float:
        """Replace the placeholder by the command; return the moment just before."""
        words = ["respawn-pane", "-k", "-t", self.session, "-c", cwd]
        for key, value in self.env.items():
            words += ["-e", f"{key}={value}"]
        words += ["--", *argv]
        start = time.perf_counter()
        self._commands([shlex.join(words)])
        return start

    def _read_block(self) -> list[str]:
        """One %begin … %end reply of the control client (notifications in between are skipped)."""
        assert self.control is not None and self.control.stdout is not None
        read = self.control.stdout.readline
        while True:
            line = read()
            if not line:
                raise RunError("the tmux control client ended (session gone?)")
            if not line.startswith(b"%begin "):
                continue
            end, error = b"%end " + line[7:], b"%error " + line[7:]
            ours = line.split()[-1] == b"1"  # flag 1: a command sent on stdin; 0: the attach itself
            body = []
            while True:
                more = read()
                if not more:
                    raise RunError("the tmux control client ended mid-reply")
                if more in (end, error):
                    break
                body.append(more.decode("utf-8", "replace"))
            if not ours:
                continue
            if more == error:
                raise RunError("tmux command failed: " + "".join(body).strip())
            return body

    def _commands(self, commands: list[str]) -> list[list[str]]:
        assert self.control is not None and self.control.stdin is not None
        self.control.stdin.write((" ; ".join(commands) + "\n").encode())
        self.control.stdin.flush()
        return [self._read_block() for _ in commands]

    def poll(self) -> tuple[str, bool, int | None, str | None]:
        """(the visible screen, whether the program has exited, its pid, its exit status)."""
        target = shlex.quote(self.session)
        screen, pane = self._commands(
            [f"capture-pane -p -t {target}", f"display-message -p -t {target} {shlex.quote(self.PANE)}"]
        )
        dead, pid, status, killed_by = [*"".join(pane).strip().split("|"), "", "", ""][:4]
        return (
            "".join(screen),
            dead == "1",
            int(pid) if pid.isdigit() else None,
            f"signal {killed_by}" if killed_by else (status or None),
        )

    def send(self, keys: Sequence[str]) -> None:
        self._commands(["send-keys -t " + shlex.join([self.session, *keys])])

    def history(self) -> str:
        """The screen and its scrollback: what a program that failed said last."""
        done = subprocess.run(
            [*self.base(), "capture-pane", "-p", "-S", "-", "-t", self.session],
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""

    def kill(self) -> None:
        if self.started:
            # Only this session, by its unique name, on this server's own socket; the server
            # then has no session left and exits, and the control client with it.
            subprocess.run(
                [*self.base(), "kill-session", "-t", self.session],
                capture_output=True,
                stdin=subprocess.DEVNULL,
            )
            self.started = False
        if self.control is not None:
            with contextlib.suppress(OSError):
                self.control.stdin.close()  # type: ignore[union-attr]
            try:
                self.control.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.control.kill()  # our own child, by its pid
                self.control.wait()
            self.control.stdout.close()  # type: ignore[union-attr]
            self.control = None
        shutil.rmtree(self.folder, ignore_errors=True)


def process_tree(root: int) -> list[int]:
    """root and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as stat:
                text = stat.read()
            parent = int(text[text.rfind(")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def peak_rss_mb(root: int) -> float | None:
    """The largest peak resident size (VmHWM) among root's process tree, in MB."""
    peaks = []
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError):
            continue
    return max(peaks, default=None)


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs: how busy the whole machine was, other people's work included."""
    with open("/proc/stat") as stat:
        values = [int(x) for x in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle and iowait
    total = sum(values[:8])
    return total - idle, total


def busy_pct(before: tuple[int, int], after: tuple[int, int]) -> float:
    busy, total = after[0] - before[0], after[1] - before[1]
    return 100.0 * busy / total if total > 0 else 0.0


@dataclass(frozen=True)
class Step:
    """Send `keys` (tmux key names or literal text, one word each) and wait for `pattern` on screen."""

    keys: tuple[str, ...]
    pattern: str
    label: str
    resend: bool = False  # send the keys again every resend interval until the pattern shows


def _terminal() -> str:
    if shutil.which("infocmp"):
        probe = subprocess.run(["infocmp", "tmux-256color"], capture_output=True)
        if probe.returncode == 0:
            return "tmux-256color"
    return "screen"


def time_tui(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    cwd: str,
    ready: str,
    steps: Sequence[Step],
    quit_keys: Sequence[str],
    size: tuple[int, int] = (160, 50),
    timeout: float = 120.0,
    poll_s: float = 0.01,
    resend_s: float = 0.1,
) -> dict:
    """Start `argv` in a private tmux pane and time it from the outside.

    Returns seconds from launch until the screen is not blank (first_output_s) and until
    `ready` matches (ready_s); for each step, seconds from sending its keys (s) and from launch
    (since_start_s) until its pattern matches; the peak RSS of the program's process tree before
    quitting; and how busy the whole machine was meanwhile (sys_busy_pct). Wall times resolve
    to about one poll. Raises RunError with the last screen when the program exits or a wait
    times out.
    """
    tmux = Tmux(size[0], size[1], _terminal(), env)
    screen = ""
    result: dict = {}

    def wait(found: Callable[[str], bool], what: str) -> float:
        nonlocal screen
        deadline = time.perf_counter() + timeout
        while True:
            moment = time.perf_counter()
            screen, dead, _, status = tmux.poll()
            if found(screen):
                return moment
            if dead:
                raise RunError(f"the program exited (status {status}) while waiting for {what}", screen)
            if moment > deadline:
                raise RunError(f"no {what} after {timeout:.0f} s", screen)
            time.sleep(max(0.0, moment + poll_s - time.perf_counter()))

    try:
        tmux.start(cwd)
        busy_before = cpu_jiffies()
        start = tmux.launch(argv, cwd)
        result["first_output_s"] = wait(lambda s: s.strip() != "", "first output") - start
        ready_re = re.compile(ready, re.M)
        result["ready_s"] = wait(lambda s: bool(ready_re.search(s)), f"/{ready}/") - start
        result["steps"] = []
        for step in steps:
            pattern = re.compile(step.pattern, re.M)
            sent = last = time.perf_counter()
            tmux.send(step.keys)

            def shows(text: str, pattern=pattern, step=step) -> bool:
                nonlocal last
                if pattern.search(text):
                    return True
                if step.resend and time.perf_counter() - last >= resend_s:
                    tmux.send(step.keys)  # "how long until this key does what it should"
                    last = time.perf_counter()
                return False

            seen = wait(shows, f"{step.label} /{step.pattern}/")
            result["steps"].append({"label": step.label, "s": seen - sent, "since_start_s": seen - start})
        result["sys_busy_pct"] = busy_pct(busy_before, cpu_jiffies())
        _, _, pid, _ = tmux.poll()
        result["peak_rss_mb"] = peak_rss_mb(pid) if pid else None
        tmux.send(quit_keys)
        try:
            wait(lambda s: tmux.poll()[1], "exit after the quit keys")
        except RunError as error:
            result["quit_error"] = str(error)
    except RunError as error:
        error.screen = tidy_screen(tmux.history() or error.screen or screen)
        raise
    finally:
        tmux.kill()
    return result


def tidy_screen(text: str, keep: int = 60) -> str:
    """Trailing spaces dropped, runs of blank lines squeezed, the last `keep` lines."""
    lines: list[str] = []
    blank = 0
    for line in text.splitlines():
        line = line.rstrip()
        blank = blank + 1 if not line else 0
        if blank <= 1:
            lines.append(line)
    return "\n".join(lines[-keep:]).strip("\n")


# --- the two programs ------------------------------------------------------------


def stop_cleanly_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C, so the finally blocks kill the tmux session this module started."""

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def missing_tools() -> list[str]:
    """What the comparison needs and this machine lacks."""
    return [tool for tool in ("newsboat", "tmux") if not shutil.which(tool)]


def scratch_env(home: Path) -> dict[str, str]:
    """The environment of a program under test: its HOME and XDG folders in `home`, nothing of the user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "READER_", "TMUX"))}
    env["HOME"] = str(home)
    for variable, folder in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        (home / folder).mkdir(parents=True, exist_ok=True)
        env[variable] = str(home / folder)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPOSITORY), os.environ.get("PYTHONPATH", "")) if p)
    return env


def run_process(argv: Sequence[str], env: dict[str, str], cwd: str, timeout: float) -> dict:
    """Wall time and peak RSS (the largest of the process and the children it waited for) of one command."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()  # our own child, by its pid
                os.wait4(process.pid, 0)
                raise RunError(f"{shlex.join(argv)}: no exit after {timeout:.0f} s")
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        output.seek(0)
        said = output.read().decode("utf-8", "replace")
    done = {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "exit": process.returncode}
    if process.returncode:
        done["output_tail"] = tidy_screen(said, keep=5)
    return done


def reader_command() -> list[str]:
    """The installed `reader` next to this Python (the venv's), else ``python -m reader``."""
    script = Path(sys.executable).with_name("reader")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reader"]


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _step(run: dict, label: str, key: str = "since_start_s") -> float:
    return next(step[key] for step in run["steps"] if step["label"] == label)


def _starts(
    name: str,
    argv: Sequence[str],
    *,
    first_rows: Callable[[dict], float],
    runs: int,
    say: Callable[[str], None],
    **timing,
) -> tuple[dict, list[dict]]:
    """The start right after the cold load, then `runs` warm starts: each a fresh process, timed by time_tui.

    The first start is kept apart: a program may still finish in it what the cold load left
    undone, and the warm figures are of the state after it.
    """
    first: dict = {}
    warm = []
    for run in range(runs + 1):
        timed = time_tui(argv, **timing)
        say(
            f"  {name} {'warm start' if run else 'first start after the cold load'}: "
            f"first rows {first_rows(timed):.2f} s, End on the last item {_step(timed, 'last_item'):.2f} s, "
            f"peak RSS {timed['peak_rss_mb']:.0f} MB"
        )
        if run:
            warm.append(timed)
        else:
            first = timed
    return first, warm


def newsboat_side(items: PeerItems, scratch: Path, runs: int, timeout: float, say=print) -> dict:
    """newsboat's cold `-x reload` of the feed, then its warm start to the first title and to the last item."""
    home = scratch / "newsboat"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = scratch_env(home)
    (home / "urls").write_text(f"file://{items.feed.resolve()}\n")
    (home / "config").write_text("bind-key G end\n")  # G: the last item (End is not bound by default)
    base = ["newsboat", "-u", "urls", "-c", "cache.db", "-C", "config"]
    cold = []
    for _ in range(runs):
        for stale in home.glob("cache.db*"):
            stale.unlink()
        done = run_process([*base, "-x", "reload"], env, str(home), timeout)
        if done["exit"] != 0:
            raise RunError(f"newsboat -x reload exited with {done['exit']}", done["output_tail"])
        cold.append(done)
        say(f"  newsboat cold -x reload: {done['seconds']:.2f} s, {done['rss_mb']:.0f} MB")
    last = item_title_prefix(items.size)
    steps = [
        Step(("Enter",), re.escape(item_title_prefix(1)), "first_title"),
        Step(("G",), re.escape(last), "last_item", resend=True),
    ]
    first, warm = _starts(
        "newsboat",
        base,
        env=env,
        cwd=str(home),
        ready=re.escape(FEED_TITLE),
        steps=steps,
        quit_keys=("q", "q"),
        first_rows=lambda run: _step(run, "first_title"),
        timeout=timeout,
        runs=runs,
        say=say,
    )
    return {
        "cold_s": _median([r["seconds"] for r in cold]),
        "cold_rss_mb": _median([r["rss_mb"] for r in cold]),
        "after_cold_first_rows_s": _step(first, "first_title"),
        "after_cold_usable_s": _step(first, "last_item"),
        "first_output_s": _median([r["first_output_s"] for r in warm]),
        "first_rows_s": _median([_step(r, "first_title") for r in warm]),
        "usable_s": _median([_step(r, "last_item") for r in warm]),
        "rss_mb": _median([r["peak_rss_mb"] for r in warm]),
        "sys_busy_pct": _median([r["sys_busy_pct"] for r in warm]),
        "cold_runs": cold,
        "after_cold_run": first,
        "warm_runs": warm,
    }


def reader_side(items: PeerItems, scratch: Path, runs: int, timeout: float, say=print) -> dict:
    """The reader on the same items: cold load, warm start to the first rows and to End on the last article, list."""
    home = scratch / "reader"
    env = scratch_env(home)
    reader = reader_command()
    folder = str(items.articles.resolve())
    cold = []
    for _ in range(runs):
        shutil.rmtree(home / ".cache", ignore_errors=True)
        (home / ".cache").mkdir()
        # `reader check` loads the whole folder as the app does and writes the cache: newsboat's -x reload.
        done = run_process([*reader, "check", folder], env, str(home), timeout)
        if done["exit"] != 0:
            raise RunError(f"reader check exited with {done['exit']}", done["output_tail"])
        cold.append(done)
        say(f"  reader cold load (reader check): {done['seconds']:.2f} s, {done['rss_mb']:.0f} MB")
    steps = [Step(("End",), re.escape(item_title_prefix(items.size)), "last_item", resend=True)]
    first, warm = _starts(
        "reader",
        [*reader, folder],
        env=env,
        cwd=str(home),
        ready=re.escape(item_title_prefix(1)),
        steps=steps,
        quit_keys=("q",),
        first_rows=lambda run: run["ready_s"],
        timeout=timeout,
        runs=runs,
        say=say,
    )
    listed: dict[str, list[dict]] = {"list": [], "list_json": []}
    for _ in range(runs):
        for key, extra in (("list", []), ("list_json", ["--json"])):
            done = run_process([*reader, "list", *extra, "--limit", "20", folder], env, str(home), timeout)
            if done["exit"] != 0:
                raise RunError(f"reader list {' '.join(extra)} exited with {done['exit']}", done["output_tail"])
            listed[key].append(done)
        say(
            f"  reader list --limit 20: {listed['list'][-1]['seconds']:.2f} s, "
            f"--json: {listed['list_json'][-1]['seconds']:.2f} s"
        )
    return {
        "cold_s": _median([r["seconds"] for r in cold]),
        "cold_rss_mb": _median([r["rss_mb"] for r in cold]),
        "after_cold_first_rows_s": first["ready_s"],
        "after_cold_usable_s": _step(first, "last_item"),
        "first_output_s": _median([r["first_output_s"] for r in warm]),
        "first_rows_s": _median([r["ready_s"] for r in warm]),
        "usable_s": _median([_step(r, "last_item") for r in warm]),
        "rss_mb": _median([r["peak_rss_mb"] for r in warm]),
        "sys_busy_pct": _median([r["sys_busy_pct"] for r in warm]),
        "list_s": _median([r["seconds"] for r in listed["list"]]),
        "list_json_s": _median([r["seconds"] for r in listed["list_json"]]),
        "cold_runs": cold,
        "after_cold_run": first,
        "warm_runs": warm,
        "list_runs": listed["list"],
        "list_json_runs": listed["list_json"],
    }


def newsboat_version() -> str:
    done = subprocess.run(["newsboat", "--version"], capture_output=True, text=True)
    return (done.stdout.splitlines() or ["newsboat ?"])[0].split(" - ")[0]


def compare(size: int, corpus_dir: Path, runs: int, say=print) -> dict:
    """Both programs on the same `size` items, one after the other; the figures of each, medians over `runs`."""
    items = prepare(corpus_dir, size)
    # A million items take minutes to ingest and seconds to start: waits grow with the size.
    timeout = 120.0 + size * 0.0006
    scratch = Path(tempfile.mkdtemp(prefix="reader-peer-"))
    try:
        reader = reader_side(items, scratch, runs, timeout, say)
        newsboat = newsboat_side(items, scratch, runs, timeout, say)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"size": size, "runs": runs, "newsboat_version": newsboat_version(), "reader": reader, "newsboat": newsboat}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The reader beside newsboat on the same N items (JSON out).")
    parser.add_argument("size", type=int)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "reader-bench-corpus")
    parser.add_argument("--prepare-only", action="store_true", help="only write the feed and the articles")
    args = parser.parse_args(argv)
    if args.size < 1 or args.runs < 1:
        parser.error("SIZE and --runs must be at least 1")
    if args.prepare_only:
        items = prepare(args.corpus_dir, args.size)
        print(f"{items.feed}\n{items.articles}")
        return 0
    missing = missing_tools()
    if missing:
        print(f"cannot compare: {' and '.join(missing)} not installed", file=sys.stderr)
        return 1

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    stop_cleanly_on_sigterm()
    try:
        result = compare(args.size, args.corpus_dir, args.runs, say)
    except RunError as error:
        say(f"comparison failed: {error}\n{error.screen}")
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
