"""``reader serve``: the same app in a browser tab, through textual-serve.

textual-serve answers on one port with a page that runs a terminal in the
browser; every tab that opens it starts its own ``reader PATH`` process, fed
the keys and drawing the screen over a web socket. That process is started
from a *shell command string*, so the command is built from an argv with
every part quoted (``shlex.join``): a folder named ``x; rm -rf ~`` is a
folder name, never a command, and the folder comes last, absolute, after
``--``, so it cannot pass for an option either.

There is no password: whoever reaches the port reads the library and marks
articles as the user. So it listens on loopback unless told otherwise, and
says loudly when told otherwise. In the served app, links open in a new tab
of the user's browser (``browser.LinkOpener`` sees ``app.is_web``).

textual-serve (and aiohttp under it) is imported only when the command runs:
the rest of the command line starts as fast as before.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import shlex
import socket
import sys
from pathlib import Path

from .config import Config
from .library import SortKey
from .text import escape_line, escape_name, safe_error

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
EXIT_OK, EXIT_FAILED = 0, 1


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", type=Path, metavar="PATH", help="the articles folder (default: the config's library)"
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"the address to listen on (default: {DEFAULT_HOST}, this machine only; "
        "any other lets whoever reaches the port read the library)",
    )
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"the port (default: {DEFAULT_PORT})")
    parser.add_argument("--sort", choices=[key.value for key in SortKey], help="the list's first order, as for the app")
    parser.add_argument("--no-cache", action="store_true", help="parse every file; neither read nor write the cache")


def _port(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{escape_name(text)!r} is not a port number") from None
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 1 to 65535")
    return number


def served_command(root: Path, *, sort: str | None = None, no_cache: bool = False) -> str:
    """The shell command textual-serve runs for each browser tab: ``reader [options] -- ROOT``, every part quoted."""
    argv = [sys.executable, "-m", "reader"]
    if sort:
        argv += ["--sort", sort]
    if no_cache:
        argv.append("--no-cache")
    argv += ["--", str(root.resolve())]
    return shlex.join(argv)


def is_loopback(host: str) -> bool:
    """Whether an address only this machine can reach: ``localhost``, 127.0.0.0/8, ``::1``."""
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to, assume others can reach it


def public_url(host: str, port: int) -> str:
    """The address the page tells the browser to load from and connect to.

    An IPv6 address goes in brackets; "every interface" (``0.0.0.0``, ``::``)
    is no address a browser can use, so the page names this machine instead.
    """
    bare = host.strip("[]")
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return f"http://{bare}:{port}"
    if address.is_unspecified:
        return f"http://{socket.gethostname()}:{port}"
    return f"http://[{bare}]:{port}" if address.version == 6 else f"http://{bare}:{port}"


def exposure_warning(host: str, port: int) -> str:
    return (
        f"WARNING: serving on {escape_name(host)}:{port}, which is not this machine only. "
        "There is no password: ANYONE WHO CAN REACH THIS PORT CAN READ YOUR LIBRARY "
        "and mark its articles. Use --host 127.0.0.1 unless you mean it."
    )


def serve(args: argparse.Namespace, config: Config, root: Path) -> int:
    """Run the server until Ctrl+C; 1 when it cannot listen (port taken, unknown host)."""
    command = served_command(root, sort=args.sort, no_cache=args.no_cache)
    host, port = args.host, args.port
    if not is_loopback(host):
        banner = "!" * 72
        print(f"reader: {banner}\nreader: {exposure_warning(host, port)}\nreader: {banner}", file=sys.stderr)
    server = _server(command, host, port, title=f"reader · {escape_name(root.name or str(root))}")
    try:
        server.serve()
    except OSError as error:  # the port is taken, the address is not this machine's, the name is unknown
        print(f"reader: cannot serve on {escape_name(host)}:{port}: {safe_error(error)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _server(command: str, host: str, port: int, *, title: str):
    """A textual-serve Server that says only what this module writes, and nothing as markup."""
    import asyncio
    import signal
    from contextlib import suppress

    from aiohttp import web
    from textual_serve.server import Server

    class ReaderServer(Server):
        def initialize_logging(self) -> None:
            # textual-serve logs each request through Rich, which reads markup in it; warnings
            # and errors are all the user needs, each as one escaped line.
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(_OneLineFormatter("reader serve: %(levelname)s %(message)s"))
            logger = logging.getLogger("textual-serve")
            logger.handlers[:] = [handler]
            logger.setLevel(logging.WARNING)
            logger.propagate = False

        async def on_startup(self, app) -> None:
            # Nothing: textual-serve prints its logo and the command here through Rich markup,
            # where a folder named "[red]" would be styled and one named "[/x]" would end the server.
            pass

        def serve(self, debug: bool = False) -> None:
            """As textual-serve serves, but says where only once it listens (a port taken is the only news then)."""
            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            for signal_number in (signal.SIGINT, signal.SIGTERM):
                with suppress(NotImplementedError):  # Windows has no signal handlers in asyncio
                    loop.add_signal_handler(signal_number, self.request_exit)
            try:
                web.run_app(
                    self._make_app(),
                    host=self.host,
                    port=self.port,
                    handle_signals=False,
                    loop=loop,
                    print=lambda _: print(
                        f"reader: serving {escape_line(title)} on {self.public_url}  (Ctrl+C stops)", flush=True
                    ),
                )
            finally:
                loop.close()

    # The page's title goes into its HTML through Jinja, which escapes it (a test checks).
    return ReaderServer(command, host=host, port=port, title=title, public_url=public_url(host, port))


class _OneLineFormatter(logging.Formatter):
    """Each record as one line with nothing a terminal would act on (a request can carry anything)."""

    def format(self, record: logging.LogRecord) -> str:
        return escape_line(super().format(record))
