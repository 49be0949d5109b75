"""``reader feeds …`` (the list of feeds followed) and ``reader fetch`` (their articles into the feeds folder).

Declared in cli.py's command table; the commands themselves live here. Like
every command, they print nothing from outside unescaped: feed names and
URLs go through ``escape_name``, messages from servers and files through
``escape_line`` (``download.py`` and ``fetch.py`` already make them so).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from .config import Config
from .feeds import FeedError, add_feed, add_feeds, feeds_folder, feeds_path, load_feeds, remove_feed, select_feeds
from .text import escape_line, escape_name, fit

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def say(message: str) -> None:
    """One line on stderr; ``message`` is already safe to print."""
    print(f"reader: {message}", file=sys.stderr)


# --- reader feeds ----------------------------------------------------------------------------


def add_feeds_options(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        f"{parser.description} The list is kept in {escape_name(str(feeds_path()))}; "
        "`reader fetch` brings the feeds' articles into the feeds folder."
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True, title="actions")
    adding = actions.add_parser("add", help="follow a feed (RSS, Atom or RDF) at an http(s) URL")
    adding.add_argument("url", metavar="URL", help="the feed's address")
    adding.add_argument("--name", metavar="NAME", help="what to call it (default: its host)")
    adding.set_defaults(feeds_action=feeds_add)
    listing = actions.add_parser("list", help="the feeds followed: name and URL")
    listing.set_defaults(feeds_action=feeds_list)
    removing = actions.add_parser("remove", help="stop following a feed (its articles stay)")
    removing.add_argument("name", metavar="NAME", help="the feed's name (any case) or URL")
    removing.set_defaults(feeds_action=feeds_remove)
    importing = actions.add_parser("import", help="follow every feed an OPML file lists")
    importing.add_argument("file", metavar="FILE", help="an OPML file (from another feed reader); - reads stdin")
    importing.set_defaults(feeds_action=feeds_import)
    exporting = actions.add_parser("export", help="print the feeds as OPML 2.0")
    exporting.set_defaults(feeds_action=feeds_export)


def feeds_command(args: argparse.Namespace, config: Config, root: Path) -> int:
    return args.feeds_action(args)


def feeds_add(args: argparse.Namespace) -> int:
    try:
        feed, warnings = add_feed(args.url, args.name)
    except FeedError as error:
        say(str(error))
        return EXIT_FAILED
    for warning in warnings:
        say(warning)
    print(f"added {escape_name(feed.name)} ({escape_name(feed.url)})")
    return EXIT_OK


def feeds_list(args: argparse.Namespace) -> int:
    feed_list = load_feeds()
    for warning in feed_list.warnings:
        say(warning)
    if not feed_list.feeds:
        print("no feeds are followed yet: reader feeds add URL")
        return EXIT_OK
    width = min(40, max(len(escape_name(feed.name)) for feed in feed_list.feeds))
    for feed in feed_list.feeds:
        print(f"{fit(escape_name(feed.name), width)}  {escape_name(feed.url)}")
    return EXIT_OK


def feeds_remove(args: argparse.Namespace) -> int:
    try:
        feed, warnings = remove_feed(args.name)
    except FeedError as error:
        say(str(error))
        return EXIT_FAILED
    for warning in warnings:
        say(warning)
    print(f"removed {escape_name(feed.name)} ({escape_name(feed.url)}); its articles stay where they are")
    return EXIT_OK


def feeds_import(args: argparse.Namespace) -> int:
    from .opml import MAX_OPML_BYTES, OpmlError, read_opml

    shown = "standard input" if args.file == "-" else escape_name(args.file)
    try:
        data = _read_file(args.file, MAX_OPML_BYTES)
        outlines = read_opml(data)
    except (OSError, OpmlError) as error:
        reason = escape_line(error.strerror or str(error)) if isinstance(error, OSError) else str(error)
        say(f"{shown}: {reason}")
        return EXIT_USAGE
    try:
        added, refused, warnings = add_feeds(((o.url, o.name) for o in outlines), rename=True)
    except FeedError as error:
        say(str(error))
        return EXIT_FAILED
    for warning in warnings:
        say(warning)
    for feed in added:
        print(f"added {escape_name(feed.name)} ({escape_name(feed.url)})")
    already = [line for line in refused if " is already followed as " in line]
    bad = [line for line in refused if line not in already]
    for line in bad:
        say(f"{shown}: {line}")
    summary = f"{len(added):,} of {len(outlines):,} feeds added"
    if already:
        summary += f", {len(already):,} already followed"
    if bad:
        summary += f", {len(bad):,} refused"
    print(summary)
    return EXIT_FAILED if bad else EXIT_OK


def feeds_export(args: argparse.Namespace) -> int:
    from .opml import write_opml

    feed_list = load_feeds()
    for warning in feed_list.warnings:
        say(warning)
    sys.stdout.write(write_opml(feed_list.feeds))
    return EXIT_OK


def _read_file(name: str, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of a regular file (or stdin); a FIFO or device cannot hang or flood it."""
    if name == "-":
        return sys.stdin.buffer.read(limit + 1)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    with open(os.open(name, flags), "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        return file.read(limit + 1)


# --- reader fetch -------------------------------------------------------------------------------


def add_fetch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these feeds (name or URL; default: every feed)")
    parser.add_argument(
        "--into",
        type=Path,
        metavar="FOLDER",
        help="where the articles go, a folder per feed (default: the config's feeds_folder, else "
        "$XDG_DATA_HOME/reader-news/feeds)",
    )


def fetch_command(args: argparse.Namespace, config: Config, root: Path) -> int:
    from .fetch import fetch_all

    feed_list = load_feeds()
    for warning in feed_list.warnings:
        say(warning)
    if args.names:
        feeds, unknown = select_feeds(feed_list, args.names)
        if unknown:
            for line in unknown:
                say(line)
            return EXIT_FAILED
    else:
        feeds = feed_list.feeds
    if not feeds:
        say("no feeds are followed yet: reader feeds add URL")
        return EXIT_FAILED if feed_list.warnings else EXIT_OK
    into = args.into.expanduser() if args.into is not None else feeds_folder(config)

    def show(done: int, total: int, line: str) -> None:
        print(line, flush=True)

    report = fetch_all(feeds, into, on_progress=show)
    for warning in report.warnings:
        say(warning)
    return EXIT_OK if report.ok else EXIT_FAILED
