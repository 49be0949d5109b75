"""reader serve: the command it runs, where it listens, links in a served app, and the app in a real browser.

The end-to-end test starts ``reader serve`` on a free loopback port over a
small library (with this test's own XDG folders) and drives it with Chromium
from the system's packages through Playwright. It reads what the page shows
from the browser's terminal (xterm.js) itself, cell by cell: the text of each
row and the background of the highlighted one. Without Playwright or Chromium
it is skipped, saying which is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_article
from textual.app import App

from reader.browser import LinkOpener
from reader.serve import exposure_warning, is_loopback, public_url, served_command

REPOSITORY = Path(__file__).resolve().parent.parent

# --- the command textual-serve runs ---------------------------------------------------

HOSTILE_NAMES = [
    "x; touch PWNED #",
    "$(touch PWNED)",
    "`touch PWNED`",
    'it\'s "quoted" & backgrounded',
    "--help",
    "line\nbreak",
    "-",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_served_command_passes_any_folder_name_as_one_argument(tmp_path: Path, name: str, monkeypatch) -> None:
    """The shell textual-serve starts sees one quoted word: the folder, absolute, after ``--``."""
    folder = tmp_path / name
    folder.mkdir()
    # A stand-in for Python that prints the arguments it was given, one per NUL.
    echo = tmp_path / "echo-args"
    echo.write_text("#!/bin/sh\nprintf '%s\\0' \"$@\"\n", encoding="utf-8")
    echo.chmod(echo.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sys, "executable", str(echo))
    command = served_command(folder, sort="heat", no_cache=True)
    # As textual-serve runs it: asyncio.create_subprocess_shell, which is /bin/sh -c.
    result = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, capture_output=True, timeout=10, check=True)
    assert result.stdout.decode().split("\0")[:-1] == [
        "-m",
        "reader",
        "--sort",
        "heat",
        "--no-cache",
        "--",
        str(folder),
    ]
    assert not (tmp_path / "PWNED").exists()


def test_the_served_command_runs_the_app_on_the_folder() -> None:
    argv = shlex.split(served_command(REPOSITORY / "data"))
    assert argv == [sys.executable, "-m", "reader", "--", str((REPOSITORY / "data").resolve())]


def test_the_reader_reads_the_folder_after_double_dash_as_the_path(tmp_path: Path) -> None:
    """The app's own parser takes ``-- PATH`` as PATH (a folder named like an option stays a folder)."""
    from reader.cli import parse_arguments

    command, args = parse_arguments(["--sort", "heat", "--", "--help"])
    assert command is None and args.path == Path("--help") and args.sort == "heat"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_which_hosts_are_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_page_is_given_an_address_a_browser_can_use() -> None:
    assert public_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert public_url("::1", 8001) == "http://[::1]:8001"
    assert public_url("0.0.0.0", 8000) == f"http://{socket.gethostname()}:8000"
    assert public_url("news.example", 80) == "http://news.example:80"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def reader_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", *args], capture_output=True, text=True, timeout=60, cwd=REPOSITORY
    )


def test_a_host_others_can_reach_is_warned_about_loudly(tmp_path: Path) -> None:
    """--host 0.0.0.0: the warning comes first; here the port is taken, so it ends at once with exit 1."""
    (tmp_path / "lib").mkdir()
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = reader_command("serve", str(tmp_path / "lib"), "--host", "0.0.0.0", "--port", str(port))
    assert result.returncode == 1
    assert "ANYONE WHO CAN REACH THIS PORT CAN READ YOUR LIBRARY" in result.stderr
    assert f"cannot serve on 0.0.0.0:{port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert exposure_warning("0.0.0.0", port) in result.stderr.replace("\nreader: ", "\n")


def test_loopback_is_not_warned_about_and_a_taken_port_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = reader_command("serve", str(tmp_path / "lib"), "--port", str(port))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"reader: cannot serve on 127.0.0.1:{port}: ")


def test_a_hostile_folder_name_is_neither_markup_nor_html(tmp_path: Path) -> None:
    """The page's title and the start-up line name the folder: escaped for HTML, and never read as Rich markup."""
    import urllib.request

    # A folder "a[" holding "x]b" makes "[/x]" in the path: Rich would end the server at it.
    folder = tmp_path / "a[" / "x]b <b onmouseover=alert(1)> [red]\x1b[31m"
    folder.mkdir(parents=True)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "serve", str(folder), "--port", str(port)],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = process.stdout.readline()  # said once it listens
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, errors = process.communicate(timeout=10)
    shown = "x]b <b onmouseover=alert(1)> [red]\\e[31m"  # the escape character escaped, as ls -b does
    assert line == f"reader: serving reader · {shown} on http://127.0.0.1:{port}  (Ctrl+C stops)\n"
    assert "<b onmouseover" not in page and "reader · x]b &lt;b onmouseover=alert(1)&gt; [red]\\e[31m" in page
    assert errors == ""


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_port_out_of_range_is_a_usage_error(tmp_path: Path, port: str) -> None:
    result = reader_command("serve", str(tmp_path), "--port", port)
    assert result.returncode == 2 and "--port" in result.stderr and "Traceback" not in result.stderr


# --- links in a served app ---------------------------------------------------------------


class ServedApp(App[None]):
    """An app as textual-serve runs it (the web driver), with the URLs handed to the browser recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered: list[tuple[str, bool]] = []

    @property
    def is_web(self) -> bool:
        return True

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        self.delivered.append((url, new_tab))


def no_local_browser():
    raise AssertionError("a served app must not look for a browser on the server")


async def test_a_served_app_opens_links_in_a_new_tab_of_the_users_browser() -> None:
    app = ServedApp()
    async with app.run_test() as pilot:
        opener = LinkOpener(app.screen)
        opener.find_browser = no_local_browser
        assert opener.open("https://WWW.Example.com:443/a/../story?id=1")
        await pilot.pause()
        assert app.delivered == [("https://www.example.com/story?id=1", True)]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "https://user@example.com/", "file:///etc/passwd", "https:\\\\evil.example"]
)
async def test_a_served_app_hands_the_browser_only_links_that_may_be_opened(url: str) -> None:
    app = ServedApp()
    async with app.run_test() as pilot:
        opener = LinkOpener(app.screen)
        opener.find_browser = no_local_browser
        assert not opener.open(url)
        await pilot.pause()
        assert app.delivered == []


# --- the served app in a real browser ---------------------------------------------------

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# textual-serve's page keeps its xterm.js Terminal in a property named "terminal"; this catches it
# as it is assigned, so the test reads the screen the browser shows, not the bytes sent to it.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.cols !== undefined) window.readerTerminal = value;
  },
});
"""
# Each row of the terminal as text, and the background colour of the cell where a given text starts.
READ_ROWS = """() => {
  const terminal = window.readerTerminal, buffer = terminal.buffer.active, rows = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows;
}"""
BACKGROUND_AT = """([row, column]) => {
  const buffer = window.readerTerminal.buffer.active;
  const cell = buffer.getLine(buffer.viewportY + row).getCell(column);
  return [cell.getBgColorMode(), cell.getBgColor()];
}"""

STORIES = [  # title, quality, excerpt (shown only in the detail pane; short enough for one line of it)
    ("Alpha probe reaches the outer moon", 95, "Excerpt one: nine years out."),
    ("Bravo reactor passes its safety review", 85, "Excerpt two: eighteen months."),
    ("Charlie network doubles its capacity", 75, "Excerpt three: fibre under the bay."),
]


def served_library(folder: Path, port: int) -> Path:
    for number, (title, quality, excerpt) in enumerate(STORIES):
        # The links point back at the server itself: opening one never leaves this machine.
        url = f"http://127.0.0.1:{port}/static/css/xterm.css?story={number}"
        write_article(
            folder,
            f"{number}.md",
            "---\n"
            f"title: {json.dumps(title)}\nquality: {quality}\nheat: 50\n"
            "publishedDateTime: 2021-07-01T12:00:00Z\ntype: article\ncategory: news\n"
            f"excerpt: {json.dumps(excerpt)}\nwebUrl: {json.dumps(url)}\n"
            "provider:\n  name: Test Wire\n  domain: wire.example\ntopics:\n  - Space\n---\n\nBody.\n",
        )
    return folder


@pytest.fixture
def server(tmp_path: Path):
    """``reader serve`` on a free loopback port, in its own process group (its app processes end with it)."""
    port = free_port()
    library = served_library(tmp_path / "library", port)
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "serve", str(library), "--port", str(port), "--no-cache"],
        cwd=REPOSITORY,
        env=dict(os.environ),  # the test's own XDG folders (conftest), never the user's
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail(f"reader serve did not start: {process.stderr.read() if process.poll() is not None else ''}")
        yield f"http://127.0.0.1:{port}/"
    finally:
        with contextlib.suppress(ProcessLookupError):  # the server (and the apps it started) may be gone
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def test_the_app_in_a_real_browser(server: str) -> None:
    """The top article's title is on the page; Down moves the highlight and the detail pane; o opens a tab."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    if CHROMIUM is None:
        pytest.skip("no Chromium here (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.add_init_script(CATCH_TERMINAL)
            page.goto(server)
            page.wait_for_function("window.readerTerminal !== undefined", timeout=15_000)

            def rows() -> list[str]:
                return page.evaluate(READ_ROWS)

            def wait_for(check, what: str) -> list[str]:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    shown = rows()
                    if check("\n".join(shown)):
                        return shown
                    time.sleep(0.1)
                pytest.fail(f"the page never showed {what}:\n" + "\n".join(rows()))

            def background_of(shown: list[str], text: str) -> list[int]:
                # In the list, a title is cut to fit its column: its first two words find its row.
                start = " ".join(text.split()[:2])
                row = next(y for y, line in enumerate(shown) if start in line and "Test Wire" in line)
                return page.evaluate(BACKGROUND_AT, [row, shown[row].index(start)])

            alpha, bravo = STORIES[0], STORIES[1]
            shown = wait_for(lambda text: alpha[2] in text and "Test Wire" in text, "the top article in detail")
            assert alpha[0] in "\n".join(shown)  # the detail pane's title, whole
            highlighted = background_of(shown, alpha[0])
            assert background_of(shown, bravo[0]) != highlighted

            page.focus(".xterm-helper-textarea")  # keys go where xterm.js listens
            page.keyboard.press("ArrowDown")
            shown = wait_for(lambda text: bravo[2] in text and alpha[2] not in text, "the second article in detail")
            assert bravo[0] in "\n".join(shown)
            assert background_of(shown, bravo[0]) == highlighted
            assert background_of(shown, alpha[0]) != highlighted

            with page.context.expect_page(timeout=15_000) as opened:
                page.keyboard.press("o")
            tab = opened.value
            tab.wait_for_load_state(timeout=15_000)
            assert tab.url == server + "static/css/xterm.css?story=1"
        finally:
            browser.close()
