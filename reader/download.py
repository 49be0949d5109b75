"""One HTTP GET of a feed, bounded in every way a server could abuse.

``http.client`` rather than ``urllib.request``: the fetcher has to decide
each redirect itself (only http(s), read by ``links.parse_link``, at most
``max_redirects``, a loop named as one), to stop a response at a size cap
counted while reading, gzip included, and to end a request that is still
going at its total deadline, however slowly the server trickles bytes;
urllib follows redirects on its own and bounds only each socket operation.

Limits (``DownloadLimits``): ``connect_timeout`` for the connection and for
each wait for the server's next bytes; ``total_timeout`` for the whole
request, redirects included (a watchdog shuts the socket when it passes);
``max_bytes`` for the body, both as sent and after decompression, so a gzip
bomb stops at the cap without ever being held whole. Proxies named in
``http_proxy`` / ``https_proxy`` (and ``no_proxy``) are honoured.

Every failure is a ``DownloadError`` whose message is one line, safe to
print: nothing a server sends (a reason phrase, a header) reaches it unescaped.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urljoin, urlsplit

from . import __version__
from .links import parse_link
from .text import escape_line

USER_AGENT = f"reader-news/{__version__} (a terminal feed reader)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
# Header values the server sends back that are remembered and sent again
# (ETag, Last-Modified): only printable ASCII, bounded, never a line break.
MAX_VALIDATOR_CHARS = 512


@dataclass(frozen=True)
class DownloadLimits:
    connect_timeout: float = 10.0  # seconds to connect, and to wait for each next part of the answer
    total_timeout: float = 30.0  # seconds for everything, redirects included
    max_bytes: int = 10 * 1024 * 1024  # body, as sent and decompressed
    max_redirects: int = 5


@dataclass(frozen=True)
class Download:
    """What the server answered: 200 with a body, or 304 (not modified, no body)."""

    status: int
    url: str  # where the answer came from, after redirects
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    redirects: tuple[str, ...] = field(default=())  # each URL redirected to, in order

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class DownloadError(Exception):
    """The feed could not be downloaded; the message is one printable line."""


class Cancelled(DownloadError):
    """The caller asked to stop."""


def download(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: DownloadLimits = DownloadLimits(),
    cancelled: Callable[[], bool] | None = None,
) -> Download:
    """GET ``url`` (an http(s) URL in normal form), following redirects; raises DownloadError.

    ``etag`` and ``last_modified`` make it a conditional request
    (If-None-Match, If-Modified-Since); a 304 comes back as a Download.
    ``cancelled`` is asked between reads: when it says so, DownloadError.
    """
    link = parse_link(url)
    if link is None:
        raise DownloadError("not an http(s) URL")
    deadline = time.monotonic() + limits.total_timeout
    seen = [link.url]
    current = link.url
    for _ in range(limits.max_redirects + 1):
        status, headers, body = _request(current, etag, last_modified, limits, deadline, cancelled)
        if status not in REDIRECTS:
            return _answer(status, current, headers, body, tuple(seen[1:]))
        location = headers.get("location")
        if not location:
            raise DownloadError(f"HTTP {status} redirect without a Location")
        target = parse_link(urljoin(current, location.strip()))
        if target is None:
            raise DownloadError(f"redirected to something that is not an http(s) URL ({_shown(location, 100)})")
        if target.url in seen:
            loop = " → ".join([*seen[seen.index(target.url) :], target.url])
            raise DownloadError(f"redirect loop ({_shown(loop, 300)})")
        seen.append(target.url)
        current = target.url
    raise DownloadError(f"more than {limits.max_redirects} redirects (last: {_shown(current, 200)})")


def _answer(status: int, url: str, headers: dict[str, str], body: bytes, redirects: tuple[str, ...]) -> Download:
    if status == 304:
        return Download(304, url, redirects=redirects)
    if status != 200:
        reason = headers.get(":reason", "")
        text = f"HTTP {status}" + (f" {_shown(reason, 80)}" if reason else "")
        if status == 429 or status == 503:
            retry = headers.get("retry-after", "")
            if retry:
                text += f" (retry after {_shown(retry, 40)})"
        raise DownloadError(text)
    return Download(
        200,
        url,
        body,
        content_type=_shown(headers.get("content-type", ""), 200),
        etag=_validator(headers.get("etag")),
        last_modified=_validator(headers.get("last-modified")),
        redirects=redirects,
    )


def _validator(value: str | None) -> str | None:
    """A header value safe to send back in a later request, or None."""
    if not value or len(value) > MAX_VALIDATOR_CHARS or not value.isascii() or not value.isprintable():
        return None
    return value


def _shown(text: str, limit: int) -> str:
    return escape_line(text)[:limit]


def _request(
    url: str,
    etag: str | None,
    last_modified: str | None,
    limits: DownloadLimits,
    deadline: float,
    cancelled: Callable[[], bool] | None,
) -> tuple[int, dict[str, str], bytes]:
    """One request: (status, headers lowercased with ``:reason``, body); a redirect's body is not read."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DownloadError(f"took longer than {limits.total_timeout:g} s")
    timeout = min(limits.connect_timeout, remaining)
    proxy = _proxy_for(parts.scheme, host)
    connection: http.client.HTTPConnection
    if https:
        if proxy:
            connection = http.client.HTTPSConnection(*proxy, timeout=timeout, context=_tls_context())
            connection.set_tunnel(host, port)
        else:
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=_tls_context())
    elif proxy:
        connection = http.client.HTTPConnection(*proxy, timeout=timeout)
        target = url.split("#", 1)[0]  # a proxy is asked for the absolute URL
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    expired = threading.Event()

    def end_it() -> None:  # the total deadline, however the server trickles its bytes
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(remaining, end_it)
    watchdog.daemon = True
    watchdog.start()
    try:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": ACCEPT,
            "Accept-Encoding": "gzip, deflate",
            "Connection": "close",
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        answer = {name.lower(): value for name, value in response.getheaders()}
        answer[":reason"] = response.reason or ""
        status = response.status
        if status != 200:
            return status, answer, b""
        return status, answer, _read_body(response, answer, limits, deadline, cancelled, expired)
    except DownloadError:
        raise
    except TimeoutError:
        if expired.is_set():
            raise DownloadError(f"took longer than {limits.total_timeout:g} s") from None
        raise DownloadError(f"no answer within {timeout:g} s") from None
    except ssl.SSLError as error:
        raise DownloadError(f"TLS: {_shown(error.reason or str(error), 200)}") from None
    except socket.gaierror as error:
        raise DownloadError(f"host not found ({_shown(error.strerror or str(error), 100)})") from None
    except ConnectionRefusedError:
        raise DownloadError("cannot connect (connection refused)") from None
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set():
            raise DownloadError(f"took longer than {limits.total_timeout:g} s") from None
        if isinstance(error, http.client.RemoteDisconnected):
            raise DownloadError("the server closed the connection without answering") from None
        if isinstance(error, http.client.IncompleteRead):
            raise DownloadError("the answer ended early") from None
        if isinstance(error, OSError):
            reason = error.strerror or str(error) or type(error).__name__
            raise DownloadError(f"cannot connect ({_shown(reason, 200)})") from None
        raise DownloadError(f"not a valid HTTP answer ({type(error).__name__})") from None
    finally:
        watchdog.cancel()
        connection.close()


def _read_body(
    response: http.client.HTTPResponse,
    headers: dict[str, str],
    limits: DownloadLimits,
    deadline: float,
    cancelled: Callable[[], bool] | None,
    expired: threading.Event,
) -> bytes:
    cap = limits.max_bytes
    too_large = f"larger than {_size(cap)}"
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise DownloadError(f"{too_large} ({_size(int(length))} announced)")
    decoder = _decoder(headers.get("content-encoding", ""))
    received = 0
    chunks: list[bytes] = []
    size = 0
    while True:
        if cancelled is not None and cancelled():
            raise Cancelled("cancelled")
        if time.monotonic() > deadline or expired.is_set():
            raise DownloadError(f"took longer than {limits.total_timeout:g} s")
        chunk = response.read(_CHUNK)
        if not chunk:
            break
        received += len(chunk)
        if received > cap:
            raise DownloadError(too_large)
        data = decoder.take(chunk, cap - size + 1) if decoder else chunk
        size += len(data)
        if size > cap:
            raise DownloadError(f"{too_large} once decompressed")
        chunks.append(data)
    if expired.is_set():  # the watchdog shut the socket: what came is not the whole answer
        raise DownloadError(f"took longer than {limits.total_timeout:g} s")
    if decoder is not None:
        tail = decoder.finish(cap - size + 1)
        if size + len(tail) > cap:
            raise DownloadError(f"{too_large} once decompressed")
        chunks.append(tail)
    return b"".join(chunks)


class _Decoder:
    """gzip or deflate, decompressed at most ``room`` bytes at a time: a bomb stops at the cap."""

    def __init__(self, wbits: int) -> None:
        self.wbits = wbits
        self.inflate = zlib.decompressobj(wbits)
        self.raw_fallback = wbits == zlib.MAX_WBITS  # "deflate" is sometimes sent without its zlib header

    def take(self, data: bytes, room: int) -> bytes:
        try:
            out = self.inflate.decompress(data, room)
        except zlib.error:
            if not self.raw_fallback:
                raise DownloadError("damaged compressed data") from None
            self.raw_fallback = False
            self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.take(data, room)
        self.raw_fallback = False
        # Room left and input left over: gzip allows members one after another.
        while self.inflate.eof and self.inflate.unused_data and len(out) < room:
            rest = self.inflate.unused_data
            self.inflate = zlib.decompressobj(self.wbits)
            try:
                out += self.inflate.decompress(rest, room - len(out))
            except zlib.error:
                break  # trailing garbage after a complete member, as gzip itself ignores it
        return out

    def finish(self, room: int) -> bytes:
        try:
            return self.inflate.flush(room)
        except zlib.error:
            raise DownloadError("damaged compressed data") from None


def _decoder(encoding: str) -> _Decoder | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _Decoder(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Decoder(zlib.MAX_WBITS)
    raise DownloadError(f"compressed as {_shown(encoding, 40)}, which was not asked for")


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):,.0f} MB"
    return f"{count / 1024:,.0f} KB" if count >= 1024 else f"{count} bytes"


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _proxy_for(scheme: str, host: str) -> tuple[str, int] | None:
    """The proxy (host, port) the environment names for this scheme and host, or None."""
    from urllib.request import getproxies_environment, proxy_bypass_environment

    proxies = getproxies_environment()
    proxy = proxies.get(scheme)
    if not proxy or proxy_bypass_environment(host, proxies):
        return None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if not parts.hostname:
        return None
    try:
        return parts.hostname, parts.port or 8080
    except ValueError:
        return None
