"""Link policy: which URLs may be opened, what host to show, and how a browser is started.

A link in an article file is untrusted. Browsers do not read URLs the way
``urllib.parse`` does: ``https://evil.example\\@good.example/`` goes to
``evil.example`` (a browser reads ``\\`` as ``/``) while ``urlsplit`` names
``good.example``; ``%65vil.example``, ``ｅｖｉｌ.example`` and ``0x7f.1`` are
``evil.example``, ``evil.example`` and ``127.0.0.1`` to a browser. So
:func:`parse_link` reads a link as the WHATWG URL standard (what browsers
implement) does, refuses what two readers could disagree on, and gives back the
normalised URL: that URL, never the raw text, is what a browser is handed and
what is copied, and :attr:`Link.host_label` is its host as the browser sees it.

Browsers are started detached (no shared terminal, never waited for, never
through a shell); a terminal browser is given back to the UI to run in the
foreground while the app is suspended; with no browser at all the UI shows and
copies the link. Nothing here imports Textual, and everything may be called off
the UI thread except :func:`run_in_terminal`, which the UI calls while suspended.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from .text import MAX_URL_CHARS, strip_controls

DEFAULT_PORTS = {"http": 80, "https": 443}

# What may stand before the URL's ":" (RFC 3986 and WHATWG agree).
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Where the authority ends for urllib.parse; a browser also ends it at "\" for
# http(s). A "\" before this point is where the two disagree, and is refused.
_AUTHORITY_END = re.compile(r"[/?#]")
# ASCII controls and space: WHATWG would drop tabs and newlines, percent-encode
# spaces or trim the ends. A link that needs any of that is not trusted (the
# loader's rule since the start: a URL that needed cleaning is refused).
_ASCII_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
# Characters kept as they are in each part of a normalised URL: printable ASCII
# but for WHATWG's percent-encode sets (path, special-query, fragment).
# Everything else, and every non-ASCII character, is percent-encoded as UTF-8.
_PRINTABLE_ASCII = "".join(map(chr, range(0x21, 0x7F)))
_PATH_SAFE = "".join(c for c in _PRINTABLE_ASCII if c not in '"#<>?^`{}')
_QUERY_SAFE = "".join(c for c in _PRINTABLE_ASCII if c not in "\"#<>'")
_FRAGMENT_SAFE = "".join(c for c in _PRINTABLE_ASCII if c not in '"<>`')
_SINGLE_DOT = frozenset({".", "%2e"})
_DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})
# A host, once in ASCII, may only hold what DNS names and IP addresses hold.
# WHATWG would also let "!$&'()*+,;=~{}`\"" through; no real host has them.
_ASCII_HOST = re.compile(r"[a-z0-9_.\-]+")
_DECIMAL = re.compile(r"[0-9]+")
_OCTAL = re.compile(r"[0-7]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:.]+")

# Scripts (by Unicode character name) that UTS #39's "highly restrictive" level
# lets share a host: Japanese, Chinese and Korean writing mix Han with others.
_SCRIPT_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


@dataclass(frozen=True, slots=True)
class Link:
    """An http(s) link as a browser reads it.

    ``url`` is the normalised URL: printable ASCII only, the one to hand to a
    browser and to copy. ``host`` is its host as the browser sees it (lowercase
    ASCII: punycode for an international name, dotted decimal for IPv4,
    ``[…]`` for IPv6). ``host_label`` is what to show: ``host``, or
    ``bücher.de (xn--bcher-kva.de)`` when the Unicode form is in one script (a
    mix such as Cyrillic and Latin in ``аpple.com`` shows only ``xn--pple-43d.com``).
    """

    url: str
    scheme: str
    host: str
    port: int | None  # None for the scheme's default port
    host_label: str


def parse_link(raw: object) -> Link | None:
    """The link in ``raw`` if it is an http(s) URL that may be opened, else None.

    Refused: other schemes (``javascript:``, ``data:``, ``file:``, …); any
    control, space, tab, newline or invisible character inside (surrounding
    whitespace is trimmed); anything but exactly ``//`` after the scheme
    (``https:\\\\evil.example``, ``https:///x``, which browsers repair); a
    backslash in the authority; credentials (``user@host``: shown by nobody,
    used by browsers to mislead); a bad port; a host a browser would not
    accept; anything over ``MAX_URL_CHARS`` before or after normalising.

    Normalised as a browser does: scheme and host lowercased, the host
    percent-decoded, mapped by UTS #46 (full-width letters, ``。``, case) and
    written in punycode; IPv4 in any form (``0x7f.1``, ``2130706433``) written
    as dotted decimal; the default port dropped; ``\\`` in the path read as
    ``/``; ``.`` and ``..`` segments resolved; non-ASCII and unsafe characters
    percent-encoded.
    """
    if not isinstance(raw, str):
        return None
    url = raw.strip()
    if not url or len(url) > MAX_URL_CHARS or _ASCII_FORBIDDEN.search(url):
        return None
    if not url.isascii() and _has_invisible_or_control(url):
        return None
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        return None
    scheme = scheme_match[1].lower()
    if scheme not in DEFAULT_PORTS:
        return None
    rest = url[scheme_match.end() :]
    if not rest.startswith("//") or rest[2:3] in ("/", "\\"):
        return None
    rest = rest[2:]
    end = _AUTHORITY_END.search(rest)
    authority, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    if "\\" in authority or "@" in authority:
        return None
    split = _split_host_port(authority, DEFAULT_PORTS[scheme])
    if split is None:
        return None
    host_text, port = split
    parsed_host = _parse_host(host_text)
    if parsed_host is None:
        return None
    host, host_label = parsed_host

    tail, hash_mark, fragment = tail.partition("#")
    path, question_mark, query = tail.partition("?")
    normal = f"{scheme}://{host}{'' if port is None else f':{port}'}{_normalise_path(path)}"
    if question_mark:
        normal += "?" + quote(query, safe=_QUERY_SAFE)
    if hash_mark:
        normal += "#" + quote(fragment, safe=_FRAGMENT_SAFE)
    if len(normal) > MAX_URL_CHARS:
        return None
    return Link(url=normal, scheme=scheme, host=host, port=port, host_label=host_label)


def clipboard_text(raw: object) -> str | None:
    """What ``y`` copies for a link: its normalised URL, or None when it is not a link that may be opened."""
    link = parse_link(raw)
    return link.url if link is not None else None


def _has_invisible_or_control(url: str) -> bool:
    """True when a non-ASCII character is a control, format (bidi, zero-width), private-use,
    surrogate, unassigned, space or line/paragraph separator character."""
    return any(ord(char) > 0x7F and unicodedata.category(char)[0] in "CZ" for char in url)


def _split_host_port(authority: str, default_port: int) -> tuple[str, int | None] | None:
    """(host text, port or None) of an authority without credentials; None when malformed."""
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            return None
        host_text, after = authority[: close + 1], authority[close + 1 :]
        if after and not after.startswith(":"):
            return None
        port_text = after[1:]
    else:
        host_text, _, port_text = authority.partition(":")
    if not port_text:  # no port, or "host:" (an empty port is no port)
        return host_text, None
    if not (port_text.isascii() and port_text.isdigit()):
        return None
    port = int(port_text)
    if port > 65_535:
        return None
    return host_text, None if port == default_port else port


@lru_cache(maxsize=4096)
def _parse_host(text: str) -> tuple[str, str] | None:
    """(host as the browser sees it, label to show), or None when a browser would refuse the host.

    Cached: a library links to a few hundred hosts, and international names
    cost tens of microseconds to map and check.
    """
    if not text:
        return None
    if text.startswith("["):
        if not text.endswith("]"):
            return None
        address = _parse_ipv6(text[1:-1])
        if address is None:
            return None
        host = f"[{_serialise_ipv6(address)}]"
        return host, host
    if "%" in text:
        try:
            domain = unquote_to_bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            return None
    else:
        domain = text
    if domain.isascii() and not any(label[:4].lower() == "xn--" for label in domain.split(".")):
        host = domain.lower()  # UTS #46 on such a name only lowercases it
    else:
        host = _domain_to_ascii(domain)
        if host is None:
            return None
    if not _ASCII_HOST.fullmatch(host):
        return None
    if _ends_in_a_number(host):
        address = _parse_ipv4(host)
        return (address, address) if address is not None else None
    return host, _host_label(host)


def _domain_to_ascii(domain: str) -> str | None:
    """UTS #46 mapping (non-transitional, as browsers do: ``faß.de`` stays ``faß``) and punycode.

    The ``idna`` package applies IDNA 2008's rules on top, stricter than a
    browser (an emoji host is refused): stricter is safe. The standard
    library's ``encodings.idna`` is IDNA 2003 and would send ``faß.de`` to
    ``fass.de``, which is not where a browser goes.
    """
    import idna  # only for international hosts: most libraries never need it

    try:
        return idna.encode(domain, uts46=True, std3_rules=False, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def _host_label(host: str) -> str:
    """``unicode (ascii)`` for an international name in one script, else the ASCII host."""
    labels = host.split(".")
    if not any(label.startswith("xn--") for label in labels):
        return host
    try:
        unicode_host = ".".join(
            label[4:].encode("ascii").decode("punycode") if label.startswith("xn--") else label for label in labels
        )
    except UnicodeError:
        return host
    return f"{unicode_host} ({host})" if _is_single_script(unicode_host) else host


def _is_single_script(text: str) -> bool:
    """True when the letters and digits of ``text`` are of one script (or of one of the
    mixes UTS #39 allows for Japanese, Chinese and Korean).

    The script is read from the Unicode character name (``CYRILLIC SMALL LETTER A``):
    exact for the scripts that look-alikes come from (Latin, Cyrillic, Greek,
    Armenian, Cherokee…), and a wrong guess for a rare script only hides the
    Unicode form; the ASCII form is always shown.
    """
    scripts = set()
    for char in text:
        if char.isascii():
            if char.isalpha():
                scripts.add("LATIN")
            continue
        if unicodedata.category(char)[0] not in "LN":
            continue  # combining marks and punctuation belong to no one script
        name = unicodedata.name(char, "")
        if not name or name.startswith(("KATAKANA-HIRAGANA ", "MODIFIER LETTER ")):
            continue  # shared by scripts (the prolonged sound mark, ʼ and its kin)
        word = name.removeprefix("EXTENDED ").split(" ", 1)[0].split("-", 1)[0]
        scripts.add("HAN" if word in ("CJK", "IDEOGRAPHIC") else word)
    return len(scripts) <= 1 or any(scripts <= allowed for allowed in _SCRIPT_SETS)


def _ends_in_a_number(host: str) -> bool:
    """WHATWG's test for a host that must be read as IPv4 (its last label is a number)."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    return bool(_DECIMAL.fullmatch(last)) or _ipv4_number(last) is not None


def _ipv4_number(text: str) -> int | None:
    """One part of an IPv4 address: decimal, octal (leading 0) or hex (0x); None if none of them."""
    if not text:
        return None
    pattern, radix = _DECIMAL, 10
    if text[:2] in ("0x", "0X"):
        text, pattern, radix = text[2:], _HEX, 16
    elif len(text) > 1 and text[0] == "0":
        text, pattern, radix = text[1:], _OCTAL, 8
    if not text:
        return 0
    return int(text, radix) if pattern.fullmatch(text) else None


def _parse_ipv4(host: str) -> str | None:
    """WHATWG's IPv4 parser: ``0x7f.1``, ``017700000001`` or ``2130706433`` → ``127.0.0.1``."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    address = last + sum(number * 256 ** (3 - index) for index, number in enumerate(leading))
    return ".".join(str(address >> shift & 0xFF) for shift in (24, 16, 8, 0))


def _parse_ipv6(text: str) -> list[int] | None:
    """WHATWG's IPv6 parser (eight 16-bit pieces), IPv4-in-IPv6 included; None when invalid."""
    if not _IPV6_CHARS.fullmatch(text):
        return None
    address = [0] * 8
    piece = 0
    compress = None
    at = 0
    end = len(text)
    if text.startswith(":"):
        if not text.startswith("::"):
            return None
        at, piece, compress = 2, 1, 1
    while at < end:
        if piece == 8:
            return None
        if text[at] == ":":
            if compress is not None:
                return None
            at += 1
            piece += 1
            compress = piece
            continue
        value = length = 0
        while length < 4 and at < end and text[at] in "0123456789abcdefABCDEF":
            value = value * 16 + int(text[at], 16)
            at += 1
            length += 1
        if at < end and text[at] == ".":
            if length == 0 or piece > 6:
                return None
            at -= length
            numbers_seen = 0
            while at < end:
                if numbers_seen > 0:
                    if text[at] != "." or numbers_seen >= 4:
                        return None
                    at += 1
                if at >= end or not text[at].isdigit():
                    return None
                number = None
                while at < end and text[at].isdigit():
                    if number == 0:
                        return None  # a leading zero
                    number = int(text[at]) if number is None else number * 10 + int(text[at])
                    if number > 255:
                        return None
                    at += 1
                address[piece] = address[piece] * 0x100 + number
                numbers_seen += 1
                if numbers_seen in (2, 4):
                    piece += 1
            if numbers_seen != 4:
                return None
            break
        if at < end and text[at] == ":":
            at += 1
            if at == end:
                return None
        elif at < end:
            return None
        address[piece] = value
        piece += 1
    if compress is not None:
        swaps = piece - compress
        piece = 7
        while piece != 0 and swaps > 0:
            address[piece], address[compress + swaps - 1] = address[compress + swaps - 1], address[piece]
            piece -= 1
            swaps -= 1
    elif piece != 8:
        return None
    return address


def _serialise_ipv6(address: list[int]) -> str:
    """Lowercase hex, the first longest run of two or more zero pieces written as ``::``."""
    best_start, best_length = None, 1
    run_start, run_length = None, 0
    for index, value in enumerate([*address, 1]):
        if value == 0:
            if run_start is None:
                run_start, run_length = index, 0
            run_length += 1
        else:
            if run_start is not None and run_length > best_length:
                best_start, best_length = run_start, run_length
            run_start = None
    if best_start is None:
        return ":".join(f"{value:x}" for value in address)
    head = ":".join(f"{value:x}" for value in address[:best_start])
    tail = ":".join(f"{value:x}" for value in address[best_start + best_length :])
    return f"{head}::{tail}"


def _normalise_path(path: str) -> str:
    """An http(s) path as a browser requests it: ``\\`` as ``/``, dot segments resolved, unsafe characters encoded."""
    segments = path.replace("\\", "/").split("/")[1:] if path else [""]
    kept: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        lowered = segment.lower()
        if lowered in _DOUBLE_DOT:
            if kept:
                kept.pop()
            if last:
                kept.append("")
        elif lowered in _SINGLE_DOT:
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return "/" + "/".join(quote(segment, safe=_PATH_SAFE) for segment in kept)


# --- browsers ----------------------------------------------------------------


class BrowserKind(Enum):
    GUI = "gui"  # opens its own window: start it detached and carry on
    TERMINAL = "terminal"  # draws in this terminal: the app must step aside while it runs


# Browsers that draw in the terminal they are started from. Debian's
# www-browser is always one of them (its x-www-browser is the graphical one).
TERMINAL_BROWSERS = frozenset(
    {"lynx", "w3m", "w3mmee", "links", "links2", "elinks", "browsh", "www-browser", "carbonyl", "cha", "edbrowse"}
)
# What webbrowser tries on an X11 or Wayland desktop, in its order, for when
# $BROWSER says nothing (macOS: open; Windows: the URL protocol handler).
_DESKTOP_BROWSERS = (
    ("xdg-open",),
    ("gio", "open", "--"),
    ("x-www-browser",),
    ("firefox",),
    ("google-chrome",),
    ("chromium",),
    ("chromium-browser",),
    ("epiphany",),
    ("konqueror",),
    ("opera",),
)


@dataclass(frozen=True, slots=True)
class Browser:
    """A browser command: ``command[0]`` is the program's full path; ``%s`` in an
    argument stands for the URL (which is appended when no argument has it)."""

    command: tuple[str, ...]
    kind: BrowserKind

    @property
    def name(self) -> str:
        return os.path.basename(self.command[0])

    @property
    def terminal(self) -> bool:
        """True for a browser that draws in this terminal: run it with run_in_terminal while suspended."""
        return self.kind is BrowserKind.TERMINAL

    def argv(self, url: str) -> list[str]:
        """The command for ``url``: each ``%s`` replaced, as webbrowser does; the URL is one argument."""
        if not any("%s" in argument for argument in self.command[1:]):
            return [*self.command, url]
        return [self.command[0], *(argument.replace("%s", url) for argument in self.command[1:])]


def find_browser(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Browser | None:
    """The browser the user wants, or None when there is none to start.

    First each entry of ``$BROWSER`` (``os.pathsep``-separated, as webbrowser
    reads it: a program, or a command line with ``%s`` for the URL) whose
    program exists; then, only where a window can open (``$DISPLAY`` or
    ``$WAYLAND_DISPLAY``, or macOS and Windows), the desktop's launcher and
    webbrowser's graphical browsers. A terminal browser is never picked unless
    ``$BROWSER`` names it: over SSH the README promises to show and copy the
    link instead.
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    search_path = environ.get("PATH", os.defpath)
    display = _has_display(environ, platform)
    for entry in environ.get("BROWSER", "").split(os.pathsep):
        command = _command_from_entry(entry.strip(), search_path)
        if command is not None:
            return Browser(command, _kind(command[0], display))
    if not display:
        return None
    if platform == "darwin":
        candidates: Sequence[tuple[str, ...]] = (("open",),)
    elif platform.startswith(("win", "cygwin")):
        candidates = (("rundll32", "url.dll,FileProtocolHandler"),)
    else:
        candidates = _DESKTOP_BROWSERS
    for candidate in candidates:
        program = shutil.which(candidate[0], path=search_path)
        if program is not None:
            return Browser((program, *candidate[1:]), _kind(program, display))
    return None


def _has_display(environ: Mapping[str, str], platform: str) -> bool:
    """Whether a browser window can be seen from here."""
    if platform.startswith(("win", "cygwin")):
        return True
    if platform == "darwin":
        return not environ.get("SSH_CONNECTION")  # over SSH, a window would open on the Mac, not here
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def _command_from_entry(entry: str, search_path: str) -> tuple[str, ...] | None:
    """One ``$BROWSER`` entry as a command whose program exists, else None."""
    if not entry:
        return None
    if "%s" not in entry and shutil.which(entry, path=search_path):
        words = [entry]  # a program's name or path, spaces and all (webbrowser's reading)
    else:
        try:
            words = shlex.split(entry)
        except ValueError:  # unbalanced quotes
            return None
        if words and words[-1] == "&":  # webbrowser's "run in the background": we always do
            words.pop()
    if not words:
        return None
    program = shutil.which(words[0], path=search_path)
    if program is None:
        return None
    return (program, *words[1:])


def _kind(program: str, display: bool) -> BrowserKind:
    """A terminal browser by its name or the name it links to (www-browser → w3m);
    without a display, anything can only use this terminal."""
    names = {os.path.basename(program), os.path.basename(os.path.realpath(program))}
    names = {name.lower().removesuffix(".exe") for name in names}
    if names & TERMINAL_BROWSERS or not display:
        return BrowserKind.TERMINAL
    return BrowserKind.GUI


def launch_detached(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` (no shell) detached from this terminal and return at once.

    No standard input, output or error is shared (a browser's chatter would be
    drawn over the app), it gets a session of its own (a Ctrl+C here or the
    app ending does not reach it), and it is never waited for: a daemon thread
    reaps it when it ends, so no zombie is left. Raises OSError when the
    program cannot be started. The caller need not keep the result.
    """
    options: dict[str, object] = {}
    if sys.platform.startswith("win"):
        options["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    process = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        shell=False,
        **options,
    )
    threading.Thread(target=process.wait, name=f"reap {os.path.basename(argv[0])}", daemon=True).start()
    return process


def run_in_terminal(argv: Sequence[str]) -> str | None:
    """Run a terminal browser in the foreground until it exits; None, or why it could not start.

    For the UI, inside ``with app.suspend():`` on the UI thread. While it runs,
    a Ctrl+C belongs to the browser: it reaches this process too (same
    terminal), where it must not end the app.
    """
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _ignore_signal) if on_main_thread else None
    try:
        subprocess.run(list(argv), close_fds=True, shell=False, check=False)
    except OSError as error:
        return _start_error(argv, error)
    finally:
        if on_main_thread:
            signal.signal(signal.SIGINT, previous)
    return None


def _ignore_signal(signum: int, frame: object) -> None:
    # A handler rather than SIG_IGN: an ignored signal stays ignored in the
    # child after exec, a handler is reset to the default there.
    pass


def _start_error(argv: Sequence[str], error: OSError) -> str:
    return strip_controls(f"{os.path.basename(argv[0])}: {error.strerror or error}")


# --- opening a link: what the UI calls ----------------------------------------


class Outcome(Enum):
    NO_LINK = "no link"  # nothing to open
    REFUSED = "refused"  # not an http(s) link that may be opened
    STARTED = "started"  # a graphical browser was started, detached
    RUN_IN_TERMINAL = "run in terminal"  # the UI suspends itself and calls run_in_terminal(argv)
    NO_BROWSER = "no browser"  # nothing to start here: the UI shows and copies the link
    FAILED = "failed"  # the browser could not be started: the UI shows why and copies the link


@dataclass(frozen=True, slots=True)
class Opening:
    """What came of asking to open a link, and what the UI should say about it.

    ``title``, ``message`` and ``severity`` ("information", "warning" or
    "error") are plain text for a notification (never markup: the URL is in
    them). ``copy_text`` is what to put on the clipboard, when anything.
    """

    outcome: Outcome
    link: Link | None = None
    argv: tuple[str, ...] = ()
    error: str = ""

    @property
    def copy_text(self) -> str | None:
        if self.link is not None and self.outcome in (Outcome.NO_BROWSER, Outcome.FAILED):
            return self.link.url
        return None

    @property
    def title(self) -> str:
        return {
            Outcome.NO_LINK: "Not opened",
            Outcome.REFUSED: "Not opened",
            Outcome.STARTED: "Opening in browser",
            Outcome.RUN_IN_TERMINAL: "Opening in terminal browser",
            Outcome.NO_BROWSER: "No browser here: link copied",
            Outcome.FAILED: "Browser did not start: link copied",
        }[self.outcome]

    @property
    def message(self) -> str:
        if self.outcome is Outcome.NO_LINK:
            return "There is no link to open."
        if self.link is None:
            return "Only http and https links are opened."
        return f"{self.error}\n{self.link.url}" if self.error else self.link.url

    @property
    def severity(self) -> str:
        return {Outcome.NO_LINK: "warning", Outcome.REFUSED: "warning", Outcome.FAILED: "error"}.get(
            self.outcome, "information"
        )


def open_link(raw: object, environ: Mapping[str, str] | None = None, platform: str | None = None) -> Opening:
    """Open ``raw`` if it is a link that may be opened: the whole policy in one call.

    Never blocks on the browser and never touches the terminal, so the UI may
    call it from a worker thread. A graphical browser is started here,
    detached. For a terminal browser nothing is started: the result carries
    the argv for the UI to run with :func:`run_in_terminal` while suspended.
    Only ever the normalised URL reaches a browser, as one argument.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Opening(Outcome.NO_LINK)
    link = parse_link(raw)
    if link is None:
        return Opening(Outcome.REFUSED)
    browser = find_browser(environ, platform)
    if browser is None:
        return Opening(Outcome.NO_BROWSER, link)
    argv = browser.argv(link.url)
    if browser.kind is BrowserKind.TERMINAL:
        return Opening(Outcome.RUN_IN_TERMINAL, link, tuple(argv))
    try:
        launch_detached(argv)
    except OSError as error:
        return Opening(Outcome.FAILED, link, tuple(argv), _start_error(argv, error))
    return Opening(Outcome.STARTED, link, tuple(argv))
