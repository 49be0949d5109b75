"""Feeds: the list (reader feeds), OPML, fetching (reader fetch) and the article files it writes.

Every fetch goes to a local HTTP server on 127.0.0.1 that the tests start
(``feed_server``); nothing reaches beyond the machine. Proxy variables are
cleared, so even a proxy set for the machine is not used.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reader import cli
from reader.config import Config, bundled_path
from reader.download import DownloadError, DownloadLimits, download
from reader.feed_articles import Source, article_fields, entry_key, render, write_entries
from reader.feeds import (
    Feed,
    FeedError,
    add_feed,
    add_feeds,
    default_feeds_folder,
    feeds_folder_has_articles,
    feeds_path,
    load_feeds,
    remove_feed,
    safe_folder_name,
    write_atomically,
)
from reader.fetch import FetchLimits, FetchReport, discover_feed, fetch_all
from reader.html_markdown import html_to_markdown, html_to_text
from reader.loading import load_file
from reader.model import Article
from reader.opml import OpmlError, read_opml, write_opml

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
# Short limits: a server that never answers costs the test about a second.
QUICK = FetchLimits(connect_timeout=0.5, total_timeout=1.5, max_bytes=1024 * 1024)


# --- a local feed server ------------------------------------------------------------------------


class FeedServer:
    """An HTTP server on 127.0.0.1 in a thread; ``routes`` maps a path to a handler function."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.sent: dict[str, int] = {}  # bytes of body each streaming route managed to send
        self.stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path
                if "://" in path:  # asked as a proxy: the absolute URL
                    path = "/" + path.split("://", 1)[1].split("/", 1)[1]
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(path.split("?", 1)[0])
                if route is None:
                    self.send_error(404, "No Such Feed")
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path: str, body: bytes, content_type: str = "application/rss+xml", **headers: str) -> None:
        def route(handler: http.server.BaseHTTPRequestHandler) -> None:
            send(handler, 200, body, content_type, **headers)

        self.routes[path] = route

    def serve_fixture(self, path: str, name: str, content_type: str = "application/xml") -> None:
        self.serve(path, (FIXTURES / name).read_bytes(), content_type)

    def headers_for(self, path: str) -> list[dict[str, str]]:
        return [headers for asked, headers in self.requests if asked.endswith(path)]

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def send(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, **headers: str):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def feed_server():
    server = FeedServer()
    yield server
    server.close()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def feed(name: str, url: str, folder: str | None = None) -> Feed:
    return Feed(name=name, url=url, folder=folder or safe_folder_name(name))


def articles_in(folder: Path) -> dict[str, Article]:
    """Every file in a feed folder, loaded back with the reader's own loader (each must load)."""
    loaded = {}
    for path in sorted(folder.iterdir()):
        article = load_file(folder, path.name)
        assert isinstance(article, Article), (path.name, article)
        loaded[path.name] = article
    return loaded


def by_title(folder: Path) -> dict[str, Article]:
    return {article.title: article for article in articles_in(folder).values()}


# --- fetching good feeds --------------------------------------------------------------------------


def test_rss_atom_and_rdf_become_article_files_the_loader_reads(feed_server: FeedServer, tmp_path: Path):
    feed_server.serve_fixture("/rss2.xml", "rss2.xml", "application/rss+xml; charset=utf-8")
    feed_server.serve_fixture("/atom.xml", "atom.xml", "application/atom+xml")
    feed_server.serve_fixture("/rdf.xml", "rdf.xml", "application/rdf+xml")
    feeds = [feed("Orbital", feed_server.url("/rss2.xml")), feed("Helix", feed_server.url("/atom.xml"))]
    feeds.append(feed("Qubit", feed_server.url("/rdf.xml")))

    report = fetch_all(feeds, tmp_path, limits=QUICK)

    assert report.ok
    assert report.lines == ["Orbital: 2 new, 0 updated", "Helix: 2 new, 0 updated", "Qubit: 1 new, 0 updated"]
    rss = by_title(tmp_path / "Orbital")
    capsule = rss["Suborbital capsule flies its first crew"]
    assert capsule.excerpt == "The reusable capsule crossed the 100 km line with four people aboard."
    assert capsule.web_url == "https://www.orbitaldispatch.com/space/1-suborbital-capsule"
    assert capsule.published_at == datetime(2021, 7, 20, 14, 30, tzinfo=UTC)
    assert (capsule.provider.name, capsule.provider.domain) == ("Orbital Dispatch", "orbitaldispatch.com")
    assert capsule.topics == ("Space", "Rockets")
    assert capsule.authors == ("Ada Stone",)
    assert capsule.quality is None and capsule.heat is None
    assert "## Ten minutes" in capsule.body
    assert "The capsule *crossed* the line and [landed](<http://127.0.0.1:" in capsule.body  # resolved
    assert "- four people\n- ten minutes" in capsule.body
    assert "```\naltitude = 107 km\n```" in capsule.body
    assert "alert" not in capsule.body and "<" not in capsule.body.replace("](<", "")
    spaceplane = rss["Spaceplane reaches the edge of space"]
    assert spaceplane.body == ""  # the description is the excerpt; saying it twice adds nothing

    atom = by_title(tmp_path / "Helix")
    structures = atom["Free database puts predicted structures online"]  # type="html": as text
    assert structures.excerpt == "AI-predicted 3D shapes for almost every human protein."
    assert structures.published_at == datetime(2021, 7, 22, 16, 0, tzinfo=UTC)  # published, not updated
    assert structures.topics == ("Biotech", "AI")
    assert structures.authors == ("Lin Okafor",)
    assert (structures.provider.name, structures.provider.domain) == ("Helix Review", "helixreview.org")
    assert "Researchers release **350,000** structures" in structures.body
    assert "> It changes everything." in structures.body
    method = atom["Protein structure method described in full"]
    assert method.published_at == datetime(2021, 7, 15, 8, 0, tzinfo=UTC)  # from updated

    (qubit,) = by_title(tmp_path / "Qubit").values()
    assert qubit.title == "Error-corrected qubits edge towards break-even"
    assert qubit.web_url == "https://qubitweekly.net/2021/error-correction"
    assert qubit.published_at == datetime(2021, 7, 14, 10, 15, tzinfo=UTC)
    assert qubit.topics == ("Quantum",)
    assert qubit.provider.domain == "qubitweekly.net"


def test_files_are_named_by_a_hash_of_the_entry_and_written_as_the_seed_format(
    feed_server: FeedServer, tmp_path: Path
):
    feed_server.serve_fixture("/rss2.xml", "rss2.xml")
    fetch_all([feed("Orbital", feed_server.url("/rss2.xml"))], tmp_path, limits=QUICK)
    names = sorted(p.name for p in (tmp_path / "Orbital").iterdir())
    assert names == sorted([entry_key({"id": "orbital-1"}), entry_key({"id": "https://www.orbitaldispatch.com/space/2-spaceplane"})])
    assert all(len(name) == 23 and name.endswith(".md") for name in names)
    text = (tmp_path / "Orbital" / entry_key({"id": "orbital-1"})).read_text(encoding="utf-8")
    front = text.split("---\n")[1]
    fields = yaml.safe_load(front)
    assert list(fields) == ["title", "excerpt", "publishedDateTime", "webUrl", "provider", "topics", "authors"]
    assert fields["publishedDateTime"] == "2021-07-20T14:30:00Z"
    assert "quality" not in fields and "heat" not in fields


def test_a_refetch_updates_in_place_and_never_duplicates(feed_server: FeedServer, tmp_path: Path):
    original = (FIXTURES / "rss2.xml").read_bytes()
    feed_server.serve("/rss2.xml", original)
    orbital = feed("Orbital", feed_server.url("/rss2.xml"))
    assert fetch_all([orbital], tmp_path, limits=QUICK).lines == ["Orbital: 2 new, 0 updated"]
    folder = tmp_path / "Orbital"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}

    time.sleep(0.01)
    assert fetch_all([orbital], tmp_path, limits=QUICK).lines == ["Orbital: 0 new, 0 updated"]
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before  # nothing rewritten

    changed = original.replace(b"Suborbital capsule flies its first crew", b"Capsule flies its first crew (updated)")
    feed_server.serve("/rss2.xml", changed)
    assert fetch_all([orbital], tmp_path, limits=QUICK).lines == ["Orbital: 0 new, 1 updated"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(before)
    assert "Capsule flies its first crew (updated)" in by_title(folder)


def test_conditional_requests_send_the_etag_and_last_modified_back(feed_server: FeedServer, tmp_path: Path):
    body = (FIXTURES / "atom.xml").read_bytes()
    stamp = "Thu, 22 Jul 2021 16:00:00 GMT"

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("ETag", '"v1"')
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        send(handler, 200, body, "application/atom+xml", ETag='"v1"', Last_Modified=stamp)

    feed_server.routes["/atom.xml"] = route
    helix = feed("Helix", feed_server.url("/atom.xml"))
    assert fetch_all([helix], tmp_path, limits=QUICK).lines == ["Helix: 2 new, 0 updated"]
    assert fetch_all([helix], tmp_path, limits=QUICK).lines == ["Helix: not modified"]
    first, second = feed_server.headers_for("/atom.xml")
    assert "if-none-match" not in first
    assert second["if-none-match"] == '"v1"'
    assert second["if-modified-since"] == stamp
    assert "gzip" in second["accept-encoding"]

    # Another folder has none of the articles: a 304 would leave it empty, so the feed is fetched whole.
    report = fetch_all([helix], tmp_path / "elsewhere", limits=QUICK)
    assert report.lines == ["Helix: 2 new, 0 updated"]
    assert "if-none-match" not in feed_server.headers_for("/atom.xml")[2]


def test_a_gzipped_feed_is_read(feed_server: FeedServer, tmp_path: Path):
    feed_server.serve("/rdf.xml", gzip.compress((FIXTURES / "rdf.xml").read_bytes()), Content_Encoding="gzip")
    assert fetch_all([feed("Qubit", feed_server.url("/rdf.xml"))], tmp_path, limits=QUICK).lines == [
        "Qubit: 1 new, 0 updated"
    ]


def test_redirects_are_followed_a_few_times(feed_server: FeedServer, tmp_path: Path):
    feed_server.serve_fixture("/rdf.xml", "rdf.xml")
    for hop in range(1, 8):
        target = "/rdf.xml" if hop == 1 else f"/hop/{hop - 1}"
        feed_server.routes[f"/hop/{hop}"] = lambda h, target=target: send(h, 301, b"", "text/plain", Location=target)
    feeds = [feed("Three", feed_server.url("/hop/3")), feed("Seven", feed_server.url("/hop/7"))]
    report = fetch_all(feeds, tmp_path, limits=QUICK)
    assert report.lines[0] == "Three: 1 new, 0 updated"
    assert report.lines[1].startswith("Seven: error: more than 5 redirects")


def test_a_proxy_from_the_environment_is_used(feed_server: FeedServer, tmp_path: Path, monkeypatch):
    feed_server.serve_fixture("/rdf.xml", "rdf.xml")
    monkeypatch.setenv("http_proxy", feed_server.url(""))
    # feeds.invalid cannot resolve: only the proxy (the local server) can answer for it.
    report = fetch_all([feed("Qubit", "http://feeds.invalid/rdf.xml")], tmp_path, limits=QUICK)
    assert report.lines == ["Qubit: 1 new, 0 updated"]
    assert feed_server.requests[-1][0] == "http://feeds.invalid/rdf.xml"


# --- bad input: one clear line per feed, the others fetched ---------------------------------------


def test_every_bad_feed_gets_one_line_and_the_good_ones_are_fetched(feed_server: FeedServer, tmp_path: Path):
    server = feed_server
    server.serve_fixture("/rss2.xml", "rss2.xml")
    server.serve_fixture("/malformed.xml", "malformed.xml")
    server.serve_fixture("/page.html", "page.html", "text/html; charset=utf-8")
    server.serve("/not-a-feed.txt", b"just some words, not XML at all", "text/plain")
    server.serve("/empty.xml", b"", "application/xml")
    server.routes["/500"] = lambda h: send(h, 500, b"oops", "text/plain")
    server.routes["/loop-a"] = lambda h: send(h, 302, b"", "text/plain", Location="/loop-b")
    server.routes["/loop-b"] = lambda h: send(h, 302, b"", "text/plain", Location=server.url("/loop-a"))
    server.routes["/to-file"] = lambda h: send(h, 302, b"", "text/plain", Location="file:///etc/passwd")
    server.routes["/silent"] = lambda h: server.stop.wait(10)  # accepts, never answers
    server.routes["/trickle"] = trickle(server)
    server.routes["/huge"] = endless(server, "/huge", announce=False)
    server.routes["/huge-announced"] = lambda h: send_headers(h, 200, Content_Length=str(5 * 1024**3))
    server.routes["/gzip-bomb"] = gzip_bomb(server)
    server.routes["/reason"] = lambda h: h.send_error(418, "\x1b]0;owned\x07[bold]tea")
    feeds = [
        feed("Good", server.url("/rss2.xml")),
        feed("Unreachable", f"http://127.0.0.1:{closed_port()}/feed"),
        feed("Missing", server.url("/404")),
        feed("Broken server", server.url("/500")),
        feed("Loop", server.url("/loop-a")),
        feed("To file", server.url("/to-file")),
        feed("Silent", server.url("/silent")),
        feed("Trickle", server.url("/trickle")),
        feed("Huge", server.url("/huge")),
        feed("Huge announced", server.url("/huge-announced")),
        feed("Bomb", server.url("/gzip-bomb")),
        feed("Malformed", server.url("/malformed.xml")),
        feed("Web page", server.url("/page.html")),
        feed("Text", server.url("/not-a-feed.txt")),
        feed("Empty", server.url("/empty.xml")),
        feed("Reason", server.url("/reason")),
    ]
    progress: list[tuple[int, int, str]] = []
    started = time.monotonic()
    report = fetch_all(feeds, tmp_path, limits=QUICK, on_progress=lambda *a: progress.append(a))
    elapsed = time.monotonic() - started

    lines = dict(line.split(": ", 1) for line in report.lines)
    assert lines["Good"] == "2 new, 0 updated"
    assert lines["Unreachable"] == "error: cannot connect (connection refused)"
    assert lines["Missing"] == "error: HTTP 404 No Such Feed"
    assert lines["Broken server"] == "error: HTTP 500 Internal Server Error"
    assert lines["Loop"].startswith("error: redirect loop (")
    assert lines["Loop"].count("/loop-a") == 2
    assert lines["To file"].startswith("error: redirected to something that is not an http(s) URL")
    assert lines["Silent"] == "error: no answer within 0.5 s"
    assert lines["Trickle"] == "error: took longer than 1.5 s"
    assert lines["Huge"] == "error: larger than 1 MB"
    assert lines["Huge announced"] == "error: larger than 1 MB (5,120 MB announced)"
    assert lines["Bomb"] == "error: larger than 1 MB once decompressed"
    assert lines["Malformed"] == "2 new, 0 updated; malformed feed, entries taken anyway (mismatched tag at line 15)"
    assert lines["Web page"] == f"error: an HTML page, not a feed (it names a feed: {server.url('/rss2.xml')})"
    assert lines["Text"].startswith("error: not a feed")
    assert lines["Empty"] == "error: an empty answer, not a feed"
    assert lines["Reason"] == r"error: HTTP 418 \e]0;owned\x07[bold]tea"  # escaped, never raw
    assert all(line.isprintable() for line in report.lines)
    assert not report.ok and len(report.failed) == 14
    assert sorted(done for done, _, _ in progress) == list(range(1, len(feeds) + 1))
    assert {total for _, total, _ in progress} == {len(feeds)}
    assert sorted(line for _, _, line in progress) == sorted(report.lines)
    # Each stream stopped near the cap: nothing close to gigabytes was sent or held.
    # (what the two kernels' socket buffers hold beyond the cap is all that was sent).
    assert server.sent["/huge"] < 64 * 1024 * 1024
    assert elapsed < 10
    # The good feeds' files, and only theirs.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Good", "Malformed"]
    assert "The first story survives" in by_title(tmp_path / "Malformed")


def send_headers(handler: http.server.BaseHTTPRequestHandler, status: int, **headers: str) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()


def trickle(server: FeedServer):
    """A server that answers one byte at a time, forever (until the test ends)."""

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        send_headers(handler, 200, Content_Type="application/rss+xml", Content_Length="100000")
        for _ in range(200):
            if server.stop.wait(0.05):
                return
            handler.wfile.write(b" ")
            handler.wfile.flush()

    return route


def endless(server: FeedServer, path: str, *, announce: bool):
    """A response of "gigabytes": bytes streamed until the client hangs up (never held in memory)."""

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        send_headers(handler, 200, Content_Type="application/rss+xml", Connection="close")
        chunk = b"<rss>" + b" " * (64 * 1024 - 5)
        server.sent[path] = 0
        for _ in range(16 * 1024):  # 1 GB at most, should the client never stop
            handler.wfile.write(chunk)
            server.sent[path] += len(chunk)

    return route


def gzip_bomb(server: FeedServer):
    """A few KB of gzip that inflates to 64 MB of zeros; made a MB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    bomb = b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()
    assert len(bomb) < 100 * 1024

    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        send(handler, 200, bomb, "application/rss+xml", Content_Encoding="gzip")

    return route


def test_entries_without_links_or_dates_are_kept_and_keep_their_first_date(feed_server: FeedServer, tmp_path):
    feed_server.serve_fixture("/undated.xml", "undated.xml")
    notes = feed("Notes", feed_server.url("/undated.xml"))
    assert fetch_all([notes], tmp_path, limits=QUICK).lines == ["Notes: 3 new, 0 updated"]
    articles = by_title(tmp_path / "Notes")
    assert articles["A note with a link but no date"].web_url == "https://plainnotes.example/a-note"
    assert articles["A note with neither link nor date"].web_url is None
    assert articles["A link that is not a web page"].web_url is None
    first_dates = {title: article.published_at for title, article in articles.items()}
    assert all(date is not None for date in first_dates.values())  # when it was first fetched

    time.sleep(1.1)  # a second later: an undated entry must keep its first date, not be "updated"
    assert fetch_all([notes], tmp_path, limits=QUICK).lines == ["Notes: 0 new, 0 updated"]
    assert {t: a.published_at for t, a in by_title(tmp_path / "Notes").items()} == first_dates


# Titles that YAML, Markdown or a markup renderer would read as something else: each must come back exactly.
HOSTILE_TITLES = [
    "[bold]red[/bold] [link=https://evil.example]click[/link]",
    "---",
    "title: injected",
    '"quoted" and \'single\'',
    "- a list item",
    "&anchor *alias !!python/object:os.system",
    "null",
    "yes",
    "2021-07-20",
    "0o17",
    "{a: b}",
    "# not a comment",
    "%TAG ! tag:evil.example,2000:",
    "| literal",
    "> folded",
    "`backticks`",
]
# Titles with line breaks and controls: each must come back as one clean line.
SPLIT_TITLES = {
    "--- \nkey: value": "--- key: value",
    "tab\there": "tab here",
    "line\u2028separator\u2029paragraph": "line separator paragraph",
    "bidi \u202eevil\u202c override": "bidi evil override",
}


def hostile_feed() -> bytes:
    items = []
    for number, title in enumerate([*HOSTILE_TITLES, *SPLIT_TITLES]):
        text = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        items.append(
            f"<item><title>{text}</title><guid>h{number}</guid>"
            f"<link>https://hostile.example/{number}</link>"
            f"<description>{text}</description><category>{text}</category></item>"
        )
    # Raw escape sequences and C0 controls are not XML: the feed is "bozo", and read anyway.
    items.append(
        "<item><title>\x1b]0;owned\x07\x1b[31mred\x1b[0m \x07bell\x00nul\x08</title><guid isPermaLink='false'>esc</guid>"
        "<description>\x1b[2J cleared</description></item>"
    )
    channel = "<title>\x1b[31mEvil [bold]Feed[/bold]\x1b[0m</title><link>https://www.hostile.example/</link>"
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{channel}{"".join(items)}</channel></rss>'.encode()


def test_hostile_titles_cannot_break_or_inject_into_the_front_matter(feed_server: FeedServer, tmp_path: Path):
    feed_server.serve("/hostile.xml", hostile_feed())
    report = fetch_all([feed("Hostile", feed_server.url("/hostile.xml"))], tmp_path, limits=QUICK)
    count = len(HOSTILE_TITLES) + len(SPLIT_TITLES) + 1
    assert report.lines == [f"Hostile: {count} new, 0 updated; malformed feed, entries taken anyway (not well-formed (invalid token) at line 1)"]
    articles = articles_in(tmp_path / "Hostile")
    by_link = {article.web_url: article for article in articles.values()}
    for number, title in enumerate(HOSTILE_TITLES):
        article = by_link[f"https://hostile.example/{number}"]
        assert (article.title, article.excerpt, article.topics) == (title, title, (title,))
    for number, (title, clean) in enumerate(SPLIT_TITLES.items(), len(HOSTILE_TITLES)):
        assert by_link[f"https://hostile.example/{number}"].title == clean
    assert by_link[None].title == "red bellnul"
    assert by_link[None].excerpt == "cleared"
    for name, article in articles.items():
        assert article.provider.name == "Evil [bold]Feed[/bold]"
        document = (tmp_path / "Hostile" / name).read_text(encoding="utf-8")
        assert document.startswith("---\n") and document.count("\n---\n") == 1
        fields = yaml.safe_load(document.split("---\n")[1])
        assert set(fields) <= {"title", "excerpt", "publishedDateTime", "webUrl", "provider", "topics"}
        assert all(char.isprintable() or char == "\n" for char in document), document


def test_a_failing_disk_damages_no_file_already_there(feed_server: FeedServer, tmp_path: Path, monkeypatch):
    original = (FIXTURES / "rss2.xml").read_bytes()
    feed_server.serve("/rss2.xml", original)
    orbital = feed("Orbital", feed_server.url("/rss2.xml"))
    fetch_all([orbital], tmp_path, limits=QUICK)
    folder = tmp_path / "Orbital"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    feed_server.serve("/rss2.xml", original.replace(b"Suborbital", b"Changed"))

    def full_disk(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    report = fetch_all([orbital], tmp_path, limits=QUICK)
    assert report.lines == [f"Orbital: error: cannot write in {folder} (No space left on device)"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no temporary file left either


def test_a_killed_fetch_leaves_only_hidden_temporary_files_which_go_once_old(tmp_path: Path):
    folder = tmp_path / "Feed"
    folder.mkdir()
    stale = folder / ".abc.md.x1y2.tmp"
    stale.write_bytes(b"half a fi")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = folder / ".def.md.z3.tmp"  # maybe another fetch's, still writing
    fresh.write_bytes(b"half")
    write_entries(folder, [{"id": "x", "title": "X"}], Source("P", "p.example"))
    assert not stale.exists() and fresh.exists()


def test_cancelling_stops_the_feeds_not_yet_done(feed_server: FeedServer, tmp_path: Path):
    feed_server.serve_fixture("/rdf.xml", "rdf.xml")
    cancel = threading.Event()
    cancel.set()
    report = fetch_all([feed("Qubit", feed_server.url("/rdf.xml"))], tmp_path, limits=QUICK, cancel=cancel)
    assert report.lines == ["Qubit: error: cancelled"]
    assert feed_server.requests == []


def test_download_refuses_what_is_not_http(feed_server: FeedServer):
    with pytest.raises(DownloadError, match="not an http"):
        download("file:///etc/passwd")
    with pytest.raises(DownloadError, match="not an http"):
        download("https://user@evil.example\\@good.example/")


def test_a_body_is_never_read_past_the_cap(feed_server: FeedServer):
    feed_server.routes["/huge"] = endless(feed_server, "/huge", announce=False)
    limits = DownloadLimits(connect_timeout=2, total_timeout=5, max_bytes=256 * 1024)
    with pytest.raises(DownloadError, match="larger than 256 KB"):
        download(feed_server.url("/huge"), limits=limits)


def test_the_html_page_names_its_feed():
    page = (FIXTURES / "page.html").read_bytes()
    assert discover_feed(page, "https://www.orbitaldispatch.com/") == "https://www.orbitaldispatch.com/rss2.xml"
    assert discover_feed(b"<link rel=alternate type=application/rss+xml href='javascript:x'>", "https://a.b/") is None
    assert discover_feed(b"<html><p>nothing</p>", "https://a.b/") is None


# --- the round trip through the reader ----------------------------------------------------------


def test_fetch_then_reader_list_json_shows_the_entries(feed_server: FeedServer, tmp_path: Path, capsys):
    feed_server.serve_fixture("/rss2.xml", "rss2.xml")
    feed_server.serve_fixture("/atom.xml", "atom.xml")
    assert cli.main(["feeds", "add", feed_server.url("/rss2.xml"), "--name", "Orbital"]) == 0
    assert cli.main(["feeds", "add", feed_server.url("/atom.xml"), "--name", "Helix"]) == 0
    capsys.readouterr()
    into = tmp_path / "news"
    assert cli.main(["fetch", "--into", str(into)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert sorted(out) == ["Helix: 2 new, 0 updated", "Orbital: 2 new, 0 updated"]

    assert cli.main(["list", str(into), "--json", "--body", "--sort", "date", "--no-cache"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["title"] for row in rows] == [
        "Free database puts predicted structures online",
        "Suborbital capsule flies its first crew",
        "Protein structure method described in full",
        "Spaceplane reaches the edge of space",
    ]
    capsule = rows[1]
    assert capsule["web_url"] == "https://www.orbitaldispatch.com/space/1-suborbital-capsule"
    assert capsule["provider"] == {"name": "Orbital Dispatch", "domain": "orbitaldispatch.com"}
    assert capsule["topics"] == ["Space", "Rockets"]
    assert capsule["published_at"] == "2021-07-20T14:30:00Z"
    assert capsule["quality"] is None and capsule["heat"] is None
    assert capsule["path"].startswith("Orbital/")

    assert cli.main(["check", str(into), "--no-cache"]) == 0
    assert "4 articles loaded, 0 files rejected" in capsys.readouterr().out


def test_reader_fetch_exits_1_when_a_feed_fails_and_names_only_known_feeds(feed_server, tmp_path, capsys):
    feed_server.serve_fixture("/rdf.xml", "rdf.xml")
    add_feed(feed_server.url("/rdf.xml"), "Qubit")
    add_feed(feed_server.url("/gone.xml"), "Gone")
    into = str(tmp_path / "news")
    assert cli.main(["fetch", "--into", into]) == 1
    assert sorted(capsys.readouterr().out.splitlines()) == ["Gone: error: HTTP 404 No Such Feed", "Qubit: 1 new, 0 updated"]
    assert cli.main(["fetch", "qubit", "--into", into]) == 0
    assert capsys.readouterr().out == "Qubit: 0 new, 0 updated\n"
    assert cli.main(["fetch", "Nope\x1b[31m", "--into", into]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no feed 'Nope\\e[31m'. Feeds: Qubit, Gone" in captured.err


def test_fetch_goes_to_the_feeds_folder_which_the_reader_then_opens(feed_server, tmp_path, capsys, monkeypatch):
    feed_server.serve_fixture("/rdf.xml", "rdf.xml")
    add_feed(feed_server.url("/rdf.xml"), "Qubit")
    assert cli.resolve_folder(None, Config()) == bundled_path("data")  # nothing fetched yet
    assert not feeds_folder_has_articles(default_feeds_folder())
    assert cli.main(["fetch"]) == 0
    assert (default_feeds_folder() / "Qubit").is_dir()
    assert feeds_folder_has_articles(default_feeds_folder())
    assert cli.resolve_folder(None, Config()) == default_feeds_folder()
    assert cli.resolve_folder(None, Config(library=str(tmp_path))) == tmp_path  # a library wins
    # The feeds_folder setting moves both.
    elsewhere = tmp_path / "my feeds"
    config = tmp_path / "config.toml"
    config.write_text(f'feeds_folder = "{elsewhere}"\n', encoding="utf-8")
    monkeypatch.setenv("READER_CONFIG", str(config))
    capsys.readouterr()
    assert cli.main(["fetch"]) == 0
    assert capsys.readouterr().out == "Qubit: 1 new, 0 updated\n"
    assert feeds_folder_has_articles(elsewhere)
    assert cli.resolve_folder(None, Config(feeds_folder=str(elsewhere))) == elsewhere


def test_feeds_folder_has_articles_looks_for_an_article_in_a_feed_folder(tmp_path: Path):
    assert not feeds_folder_has_articles(tmp_path / "missing")
    (tmp_path / "Feed").mkdir()
    (tmp_path / "Feed" / "notes.txt").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "a.md").write_text("x")
    (tmp_path / "loose.md").write_text("x")
    assert not feeds_folder_has_articles(tmp_path)
    (tmp_path / "Feed" / "a.md").write_text("x")
    assert feeds_folder_has_articles(tmp_path)


# --- the feed list ------------------------------------------------------------------------------


def test_add_list_remove(capsys):
    assert cli.main(["feeds", "list"]) == 0
    assert capsys.readouterr().out == "no feeds are followed yet: reader feeds add URL\n"
    assert cli.main(["feeds", "add", "HTTPS://WWW.Example.org/feed?a=1", "--name", "Example"]) == 0
    assert capsys.readouterr().out == "added Example (https://www.example.org/feed?a=1)\n"
    assert cli.main(["feeds", "add", "https://news.example.com/rss"]) == 0
    assert capsys.readouterr().out == "added news.example.com (https://news.example.com/rss)\n"
    assert cli.main(["feeds", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Example           https://www.example.org/feed?a=1",
        "news.example.com  https://news.example.com/rss",
    ]
    assert cli.main(["feeds", "remove", "example"]) == 0
    assert "removed Example" in capsys.readouterr().out
    assert [f.name for f in load_feeds().feeds] == ["news.example.com"]
    assert cli.main(["feeds", "remove", "https://news.example.com/rss"]) == 0
    assert load_feeds().feeds == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "is not an http(s) URL"),
        ("file:///etc/passwd", "is not an http(s) URL"),
        ("https://user@example.org/feed", "is not an http(s) URL"),
        ("feed\x1b[31m", "'feed\\e[31m' is not an http(s) URL"),
    ],
)
def test_only_http_feed_urls_are_added(url: str, message: str, capsys):
    assert cli.main(["feeds", "add", url]) == 1
    err = capsys.readouterr().err
    assert message in err and err.isprintable() is False and err.count("\n") == 1
    assert "\x1b" not in err
    assert load_feeds().feeds == []


def test_a_feed_is_followed_once_and_names_are_unique():
    add_feed("https://example.org/feed", "Example")
    with pytest.raises(FeedError, match="already followed as 'Example'"):
        add_feed("http://EXAMPLE.org/feed/")  # the same feed, spelled otherwise
    with pytest.raises(FeedError, match="already a feed named 'EXAMPLE'"):
        add_feed("https://example.org/other", "EXAMPLE")
    with pytest.raises(FeedError, match="must have something printable"):
        add_feed("https://example.org/other", "\x1b\x07")
    other, _ = add_feed("https://example.org/other")  # no name: its host, made unique
    assert other.name == "example.org"
    third, _ = add_feed("https://example.org/third")
    assert (third.name, third.folder) == ("example.org 2", "example.org 2")
    with pytest.raises(FeedError, match="no feed 'nope'. Feeds: Example, example.org, example.org 2"):
        remove_feed("nope")


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("Orbital Dispatch", "Orbital Dispatch"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("..", "feed"),
        (".hidden", "hidden"),
        ("a/b\\c:d*e?f\"g<h>i|j", "a_b_c_d_e_f_g_h_i_j"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("tab\tand\nnewline", "tab and newline"),
        ("bidi\u202eevil", "bidievil"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("trailing dots...", "trailing dots"),
        ("", "feed"),
        ("é" * 100, "é" * 40),
    ],
)
def test_feed_folders_are_safe_names(name: str, folder: str):
    assert safe_folder_name(name) == folder
    assert len(safe_folder_name(name).encode()) <= 80


def test_folders_stay_unique_when_names_differ_only_in_what_is_unsafe():
    first, _ = add_feed("https://a.example/feed", "a/b")
    second, _ = add_feed("https://b.example/feed", "a_b")
    third, _ = add_feed("https://c.example/feed", "A:B")
    assert [first.folder, second.folder, third.folder] == ["a_b", "a_b-2", "A_B-3"]


def test_the_list_is_written_atomically_and_readable_json():
    add_feed("https://example.org/feed", "Example")
    data = json.loads(feeds_path().read_text(encoding="utf-8"))
    assert data == {
        "version": 1,
        "feeds": [{"name": "Example", "url": "https://example.org/feed", "folder": "Example"}],
    }
    assert [p.name for p in feeds_path().parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_damaged_list_is_moved_aside_with_a_warning_never_deleted(capsys):
    path = feeds_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"version": 1, "feeds": [truncated')
    feed_list = load_feeds()
    assert feed_list.feeds == []
    (warning,) = feed_list.warnings
    assert "damaged (not JSON); kept as feeds.json.damaged-" in warning
    (kept,) = [p for p in path.parent.iterdir() if p.name.startswith("feeds.json.damaged-")]
    assert datetime.now().strftime("%Y-%m-%d") in kept.name
    assert kept.read_bytes() == b'{"version": 1, "feeds": [truncated'
    assert not path.exists()
    assert cli.main(["feeds", "add", "https://example.org/feed"]) == 0
    assert kept.exists()


def test_a_record_that_is_not_valid_is_skipped_and_kept():
    path = feeds_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    bad = {"name": "Evil", "url": "javascript:alert(1)", "folder": "Evil"}
    traversal = {"name": "Up", "url": "https://up.example/feed", "folder": "../../up"}
    good = {"name": "Good", "url": "https://good.example/feed", "folder": "Good"}
    path.write_text(json.dumps({"version": 1, "feeds": [bad, good, traversal]}), encoding="utf-8")
    feed_list = load_feeds()
    assert [f.name for f in feed_list.feeds] == ["Good"]
    assert len(feed_list.warnings) == 2 and all("stays in the file" in w for w in feed_list.warnings)
    add_feed("https://new.example/feed", "New")
    records = json.loads(path.read_text(encoding="utf-8"))["feeds"]
    assert [r["name"] for r in records] == ["Good", "New", "Evil", "Up"]  # nothing lost


ADDER = """
import sys
from reader.feeds import add_feed
for number in range(int(sys.argv[2])):
    add_feed(f"https://{sys.argv[1]}.example/feed/{number}", f"{sys.argv[1]} {number}")
"""


def test_two_processes_adding_at_once_lose_nothing(tmp_path: Path):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    count = 25
    adders = [
        subprocess.Popen([sys.executable, "-c", ADDER, who, str(count)], env=env, cwd=root) for who in ("one", "two")
    ]
    assert [adder.wait(timeout=60) for adder in adders] == [0, 0]
    names = {feed.name for feed in load_feeds().feeds}
    assert len(names) == 2 * count


def test_the_fetch_state_is_kept_per_folder_and_a_damaged_one_is_replaced(feed_server, tmp_path: Path):
    from reader.fetch import fetch_state_path

    feed_server.serve("/atom.xml", (FIXTURES / "atom.xml").read_bytes(), "application/atom+xml", ETag='"e"')
    helix = feed("Helix", feed_server.url("/atom.xml"))
    fetch_all([helix], tmp_path, limits=QUICK)
    state = json.loads(fetch_state_path().read_text(encoding="utf-8"))
    (key,) = state["folders"]
    assert key == str(tmp_path.resolve() / "Helix")
    assert state["folders"][key] == {"url": helix.url, "etag": '"e"'}
    fetch_state_path().write_bytes(b"\x00garbage")
    report = fetch_all([helix], tmp_path, limits=QUICK)
    assert report.lines == ["Helix: 0 new, 0 updated"]
    assert report.warnings and "damaged" in report.warnings[0]
    assert json.loads(fetch_state_path().read_text(encoding="utf-8"))["folders"][key]["etag"] == '"e"'


# --- OPML ---------------------------------------------------------------------------------------


def test_opml_import_takes_every_feed_in_every_folder(capsys):
    assert cli.main(["feeds", "import", str(FIXTURES / "subscriptions.opml")]) == 1  # one refused
    captured = capsys.readouterr()
    feeds = load_feeds().feeds
    assert [(f.name, f.url) for f in feeds] == [
        ("Orbital Dispatch", "https://www.orbitaldispatch.com/rss"),
        ("Qubit Weekly", "https://qubitweekly.net/rss"),
        ("Helix Review", "https://helixreview.org/feed.atom"),
        ("Helix Review 2", "https://helixreview.org/other.atom"),
        ("nameless.example", "https://nameless.example/feed"),
        ("[bold]Red[/bold] evil/../name ---", "https://evil.example/feed"),
    ]
    assert feeds[-1].folder == "[bold]Red[_bold] evil_.._name ---"
    assert "'javascript:alert(1)' is not an http(s) URL" in captured.err
    assert captured.out.splitlines()[-1] == "6 of 8 feeds added, 1 already followed, 1 refused"
    # Importing again adds nothing and refuses nothing new.
    assert cli.main(["feeds", "import", str(FIXTURES / "subscriptions.opml")]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "0 of 8 feeds added, 7 already followed, 1 refused"


def test_opml_export_then_import_is_the_same_list(tmp_path: Path, capsys):
    add_feeds([("https://a.example/feed", 'Quotes " & <angles>'), ("https://b.example/feed?x=1&y=2", "B")])
    assert cli.main(["feeds", "export"]) == 0
    exported = capsys.readouterr().out
    assert exported.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    outlines = read_opml(exported.encode())
    assert [(o.name, o.url) for o in outlines] == [
        ('Quotes " & <angles>', "https://a.example/feed"),
        ("B", "https://b.example/feed?x=1&y=2"),
    ]
    opml = tmp_path / "out.opml"
    opml.write_text(exported, encoding="utf-8")
    before = load_feeds().feeds
    feeds_path().unlink()
    assert cli.main(["feeds", "import", str(opml)]) == 0
    assert load_feeds().feeds == before


def test_write_opml_is_well_formed_for_any_name():
    feeds = [Feed(name="a\u202eb [x] ]]> <!-- &amp;", url="https://a.example/f", folder="a")]
    assert [o.name for o in read_opml(write_opml(feeds).encode())] == ["a\u202eb [x] ]]> <!-- &amp;"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bomb.opml", "declares a document type"),
        ("external.opml", "declares a document type"),
        ("rss2.xml", "its root is <rss>, not <opml>"),
        ("cut.opml", "not well-formed XML (mismatched tag, line 1)"),
    ],
)
def test_hostile_or_wrong_opml_is_refused_whole(name: str, message: str, tmp_path: Path, capsys):
    (tmp_path / "cut.opml").write_bytes(b"<opml><body><outline xmlUrl='https://a.example/'></body></opml>")
    path = FIXTURES / name if (FIXTURES / name).exists() else tmp_path / name
    started = time.monotonic()
    assert cli.main(["feeds", "import", str(path)]) == 2
    assert time.monotonic() - started < 5
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert load_feeds().feeds == []


def test_opml_limits(tmp_path: Path, capsys):
    deep = b"<opml>" + b"<outline>" * 200 + b"</outline>" * 200 + b"</opml>"
    with pytest.raises(OpmlError, match="nested deeper than 100"):
        read_opml(deep)
    with pytest.raises(OpmlError, match="larger than 10 MB"):
        read_opml(b" " * (10 * 1024 * 1024 + 1))
    with pytest.raises(OpmlError, match="no element found"):
        read_opml(b"")
    fifo = tmp_path / "fifo.opml"
    os.mkfifo(fifo)
    assert cli.main(["feeds", "import", str(fifo)]) == 2  # never hangs
    assert "not a regular file" in capsys.readouterr().err


# --- HTML to Markdown and text ------------------------------------------------------------------


def markdown_tokens(markdown: str) -> list:
    def walk(tokens):
        for token in tokens:
            yield token
            yield from walk(token.children or [])

    return list(walk(MarkdownIt("gfm-like").parse(markdown)))


HOSTILE_HTML = [
    "<p>a <script>alert(1)</script> b</p>",
    "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
    "<p>&lt;b onmouseover=x&gt;hi&lt;/b&gt; &amp;amp; &amp;lt;</p>",
    "<a href='javascript:alert(1)'>click</a> <a href='data:text/html,x'>data</a>",
    "<p>[text](javascript:alert(1)) ![img](https://evil.example/x.png)</p>",
    "<p>*not emphasis* _nor this_ `nor code` ~~nor strike~~</p>",
    "<p># not a heading</p><p>- not a list</p><p>1. not ordered</p><p>&gt; not a quote</p><p>=====</p>",
    "<p>| a | b |</p><p>|---|---|</p>",
    "<p><!-- comment --> <?pi?> <![CDATA[cdata]]></p>",
    "<iframe src='https://evil.example'></iframe><style>p{}</style><svg><script>x</script></svg>",
    "<p>https://auto.example/link and <https://angle.example></p>",
    "<pre>&lt;/pre&gt; ``` still code</pre>",
    "<a href='https://ok.example/a)b'>paren</a>",
    "<a href='https://ok.example/'><img src=x onerror=alert(1)></a>",
    "<ul><li><ul><li><ul><li>" * 20 + "deep" + "</li></ul></li></ul></li></ul>" * 20,
    "<blockquote>" * 50 + "deep quote" + "</blockquote>" * 50,
    "<p>\x1b[31mred\x1b[0m \x07 \u202eevil</p>",
]


@pytest.mark.parametrize("html", HOSTILE_HTML)
def test_no_raw_html_and_no_unsafe_link_survives_the_markdown(html: str):
    markdown = html_to_markdown(html)
    tokens = markdown_tokens(markdown)
    assert not [t for t in tokens if t.type in ("html_block", "html_inline", "image")], markdown
    for token in tokens:
        if token.type == "link_open":
            assert token.attrs["href"].startswith(("https://", "http://")), markdown
    assert "\x1b" not in markdown and "\x07" not in markdown and "\u202e" not in markdown
    assert "alert" not in markdown or "javascript" not in markdown.replace("javascript:alert(1))", "")
    assert all(len(line) < 200 for line in markdown.splitlines())  # deep nesting stays bounded


def test_html_to_markdown_keeps_the_structure():
    html = (
        "<h1>Title</h1><p>One <strong>bold</strong> and <em>em</em> word, "
        "a <a href='https://example.org/x'>link</a>.<br>Next line.</p>"
        "<ol start='3'><li>three</li><li>four<ul><li>inner</li></ul></li></ol>"
        "<blockquote><p>Quoted</p><p>twice</p></blockquote>"
        "<p>Code: <code>a`b</code></p><hr><p>After</p>"
    )
    assert html_to_markdown(html) == (
        "# Title\n\n"
        "One **bold** and *em* word, a [link](<https://example.org/x>).\\\nNext line.\n\n"
        "3. three\n4. four\n   - inner\n\n"
        "> Quoted\n>\n> twice\n\n"
        "Code: ``a`b``\n\n"
        "* * *\n\n"
        "After"
    )
    assert html_to_text(html) == (
        "Title\n\nOne bold and em word, a link.\nNext line.\n\n3. three\n4. four\n   • inner\n\n"
        "Quoted\n\ntwice\n\nCode: a`b\n\nAfter"
    )


def test_html_conversion_is_bounded():
    huge = "<p>" + "word " * 300_000 + "</p>"
    started = time.monotonic()
    assert len(html_to_markdown(huge, limit=10_000)) <= 10_000
    assert time.monotonic() - started < 5


def test_render_round_trips_through_the_loader(tmp_path: Path):
    fields = {"title": "--- \"x\" key: value", "excerpt": "#c", "provider": {"name": "&a *b", "domain": "x.example"}}
    (tmp_path / "a.md").write_bytes(render(fields, "Body\n---\nmore"))
    article = load_file(tmp_path, "a.md")
    assert isinstance(article, Article)
    assert (article.title, article.excerpt, article.provider.name) == ('--- "x" key: value', "#c", "&a *b")
    assert article.body.strip() == "Body\n---\nmore"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(), summary=st.text(), tag=st.text(), provider=st.text(), link=st.text())
def test_whatever_an_entry_says_its_file_loads_as_one_article_with_those_fields(
    tmp_path: Path, title: str, summary: str, tag: str, provider: str, link: str
):
    entry = {
        "id": title,
        "title": title,
        "title_detail": {"type": "text/plain"},
        "summary": summary,
        "summary_detail": {"type": "text/html"},
        "tags": [{"term": tag}],
        "link": link,
    }
    fields, body = article_fields(entry, Source(provider, "example.org"), datetime(2021, 7, 20, tzinfo=UTC))
    (tmp_path / "entry.md").write_bytes(render(fields, body))
    article = load_file(tmp_path, "entry.md")
    assert isinstance(article, Article), article
    document = yaml.safe_load((tmp_path / "entry.md").read_text(encoding="utf-8").split("---\n")[1])
    assert set(document) <= {"title", "excerpt", "publishedDateTime", "webUrl", "provider", "topics"}
    assert article.published_at == datetime(2021, 7, 20, tzinfo=UTC)
    for line in (article.title, article.excerpt, article.provider.name, *article.topics):
        assert not any(unicodedata.category(char) == "Cc" for char in line), line  # no control, no line break


def test_write_atomically_replaces_whole_or_not_at_all(tmp_path: Path, monkeypatch):
    target = tmp_path / "file.md"
    write_atomically(target, b"old")

    def broken(source: str, destination: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.md"]


def test_the_report_says_ok_only_when_every_feed_is(tmp_path: Path):
    assert fetch_all([], tmp_path) == FetchReport(())
    assert FetchReport(()).ok
