"""The command line: ``reader [PATH]`` (the app), ``reader list``, ``check``, ``mark`` and ``state``.

Everything printed is safe for the terminal: paths go through ``escape_name``,
messages from outside through ``escape_line``, article text is clean from
loading; JSON keeps real strings (it escapes controls itself). Output never
ends in a traceback: stdout and stderr replace what their encoding cannot
write, and a reader of the output that goes away (``| head``) ends the
command quietly.

Reading state (``reader.state``) is user data: commands that only read it
never create the file; ``mark`` and ``state import`` check that their change
was saved before they say it was made. Only the app records sightings and
runs (``see``, ``begin_run``): a command run from a script is not the user
looking at the library.
"""

from __future__ import annotations

import argparse
import codecs
import difflib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .cache import ArticleCache, default_cache_path
from .config import Config, ConfigError, bundled_path, library_problem, load_config
from .feeds import feeds_folder, feeds_folder_has_articles
from .feeds_cli import add_feeds_options, add_fetch_options, feeds_command, fetch_command
from .folder_loader import FolderLoader
from .library import ALL, Library, Node, SortKey
from .model import Article, ArticleSummary, name_key
from .serve import add_serve_options, serve
from .state import ReadingState, StateError, StateImportError, StateStore, default_state_path
from .text import counted, escape_line, escape_name, fit, safe_error

EXIT_OK, EXIT_REJECTED, EXIT_NO_FOLDER = 0, 1, 2
EXIT_USAGE = 2  # as argparse exits: the command line (or a file it names) cannot be used
# What a program killed by SIGPIPE reports: whoever read the output stopped reading.
EXIT_BROKEN_PIPE = 128 + 13
SORT_KEYS = [key.value for key in SortKey]


# --- commands ------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A subcommand: ``reader NAME [options]``.

    ``run(args, config, root)`` gets the library folder (PATH, else the
    config's, else the bundled sample); it has been checked to be a folder
    when ``uses_library``. ``check(args)`` says what argparse cannot (which
    options go together): a message it returns is a usage error, exit 2.
    """

    name: str
    summary: str  # one line, for ``reader --help``
    add_options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Config, Path], int]
    uses_library: bool = True
    check: Callable[[argparse.Namespace], str | None] | None = None


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but its complaints quote what was typed escaped (``unrecognized arguments`` echoes it raw)."""

    has_subcommands = False

    def error(self, message: str):  # type: ignore[override]
        super().error(escape_line(message))

    def add_subparsers(self, **kwargs):  # type: ignore[no-untyped-def,override]
        self.has_subcommands = True
        return super().add_subparsers(**kwargs)

    def parse_command_line(self, argv: Sequence[str]) -> argparse.Namespace:
        """Arguments may come between options (``reader mark a --read b``), except where
        there are subcommands, which argparse's intermixed parsing cannot take."""
        return self.parse_args(argv) if self.has_subcommands else self.parse_intermixed_args(argv)


def _add_path_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", type=Path, metavar="PATH", help="the articles folder (default: the config's library)"
    )
    parser.add_argument("--no-cache", action="store_true", help="parse every file; neither read nor write the cache")


def _add_check_options(parser: argparse.ArgumentParser) -> None:
    _add_path_options(parser)
    parser.add_argument("--all", action="store_true", help="also list the files skipped as not articles, and why")


def _add_list_options(parser: argparse.ArgumentParser) -> None:
    _add_path_options(parser)
    parser.add_argument("--topic", metavar="NAME", help="only articles with this topic")
    parser.add_argument("--category", metavar="NAME", help="only articles in this category")
    parser.add_argument("--provider", metavar="NAME", help="only articles from this provider")
    parser.add_argument("--sort", choices=SORT_KEYS, help="the order (default: the config's sort, else quality)")
    parser.add_argument("--limit", type=_count, metavar="N", help="at most N articles")
    parser.add_argument("--unread", action="store_true", help="only articles not read yet")
    parser.add_argument("--starred", action="store_true", help="only starred articles")
    parser.add_argument(
        "--query", type=_query, metavar="TEXT", help='only what the search matches, as / in the app: topic:AI "a phrase"'
    )
    parser.add_argument(
        "--json", action="store_true", help="a JSON array, one object per article (with read, starred, first_seen)"
    )
    parser.add_argument(
        "--body",
        action="store_true",
        help="with --json: also what only the file holds (excerpt, body, links, related stories), read from each file",
    )


def _query(text: str):  # -> query.Query
    """A --query read as the app's search line reads it; a bad one is a usage error (exit 2) with the app's message."""
    from .query import QueryError, parse

    try:
        return parse(text)
    except QueryError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _count(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{escape_name(text)!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def app_parser() -> argparse.ArgumentParser:
    """``reader [PATH]``: the app, with the commands listed after its own options."""
    width = max(len(name) for name in COMMANDS) + 2
    listing = "\n".join(f"  {name:<{width}}{command.summary}" for name, command in COMMANDS.items())
    parser = ArgumentParser(
        prog="reader",
        usage="reader [PATH] [--sort KEY] [--no-cache]\n       reader {" + ",".join(COMMANDS) + "} [options]",
        description="A fast, keyboard-first terminal reader for folders of Markdown news articles.",
        epilog=(
            f"commands:\n{listing}\n\n"
            "`reader COMMAND --help` shows a command's options. Without PATH: the `library`\n"
            "folder from the config file, else the feeds folder once `reader fetch` has\n"
            "filled it, else the bundled sample. `reader state --help` says where reading\n"
            "state (read, starred) is kept."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"reader {__version__}")
    _add_path_options(parser)
    parser.add_argument(
        "--sort", choices=SORT_KEYS, help="the list's first order (default: the last one chosen, else the config's)"
    )
    return parser


def command_parser(command: Command) -> argparse.ArgumentParser:
    description = command.summary[:1].upper() + command.summary[1:] + "."
    parser = ArgumentParser(prog=f"reader {command.name}", description=description)
    command.add_options(parser)
    return parser


def parse_arguments(argv: Sequence[str]) -> tuple[Command | None, argparse.Namespace]:
    """The command named first (None: the app) and its options; argparse exits on --help or a mistake."""
    if argv and argv[0] in COMMANDS:
        command = COMMANDS[argv[0]]
        parser = command_parser(command)
        args = parser.parse_command_line(argv[1:])
        problem = command.check(args) if command.check is not None else None
        if problem is not None:
            parser.error(problem)
        return command, args
    return None, app_parser().parse_args(argv)


# --- main ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    _tolerate_unencodable_output()
    try:
        try:
            return _main(list(sys.argv[1:] if argv is None else argv))
        finally:
            sys.stdout.flush()  # a closed pipe shows here when the output was short
    except BrokenPipeError:
        _discard_further_output()
        return EXIT_BROKEN_PIPE


def _main(argv: list[str]) -> int:
    command, args = parse_arguments(argv)
    try:
        config, warnings = load_config()
    except ConfigError as error:
        say(str(error))
        return EXIT_NO_FOLDER
    for warning in warnings:
        say(warning)
    root = resolve_folder(getattr(args, "path", None), config)
    if command is not None and not command.uses_library:
        return command.run(args, config, root)
    problem = library_problem(root)
    if problem is not None:
        say(problem)
        return EXIT_NO_FOLDER
    if not root.is_dir():
        say(f"{escape_name(str(root))}: not a folder")
        return EXIT_NO_FOLDER
    if command is None:
        return run_app(args, config, root, warnings)
    return command.run(args, config, root)


def say(message: str) -> None:
    """One line on stderr; ``message`` is already safe to print (escaped where it names anything)."""
    print(f"reader: {message}", file=sys.stderr)


def _tolerate_unencodable_output() -> None:
    """What the output's encoding cannot write (ASCII, a lone surrogate) is escaped, never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _discard_further_output() -> None:
    """After a broken pipe: Python's own flush at exit must not fail (and print) again."""
    with suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def resolve_folder(path: Path | None, config: Config) -> Path:
    if path is not None:
        return path.expanduser()
    if config.library:
        return Path(config.library).expanduser()
    fetched = feeds_folder(config)
    if feeds_folder_has_articles(fetched):  # someone who follows feeds reads them without a setting
        return fetched
    return bundled_path("data")


def run_app(args: argparse.Namespace, config: Config, root: Path, warnings: list[str]) -> int:
    from .app import ReaderApp  # Textual is imported only when the app runs
    from .preferences import ChoiceMemory, load_preferences, start_choices

    preferences, more_warnings = load_preferences()
    choices = start_choices(config, preferences, sort=args.sort)
    ReaderApp(
        root,
        use_cache=config.cache and not args.no_cache,
        sort=SortKey(choices.sort),
        reverse=choices.reverse,
        theme=choices.theme,
        warnings=[*warnings, *more_warnings],
        remember=ChoiceMemory(config),
        mark_read=config.mark_read,
        watch=config.watch,
        fields=config.fields,
        keys=config.keys,
        feeds_into=feeds_folder(config),
        # config.toml's saved searches, then those saved from the palette (a name once: config's)
        searches=[*config.searches, *((n, t) for n, t in preferences.searches if n not in dict(config.searches))],
    ).run()
    return EXIT_OK


def open_cache(use_cache: bool, fields_signature: str = "") -> ArticleCache | None:
    if not use_cache:
        return None
    try:
        return ArticleCache(default_cache_path(fields_signature))
    except Exception as error:
        say(f"cache unavailable ({safe_error(error)}); loading without it")
        return None


def load(root: Path, use_cache: bool, config: Config | None = None) -> Library:
    config = config or Config()
    with FolderLoader(root, open_cache(use_cache, config.fields_signature), names=config.fields) as loader:
        library = loader.load()
    for warning in loader.warnings:  # a damaged cache moved aside, a full disk: said, never fatal
        say(warning)
    return library


# --- reader list --------------------------------------------------------------


def list_articles(args: argparse.Namespace, config: Config, root: Path) -> int:
    if args.body and not args.json:
        say("--body goes with --json (the table shows no bodies)")
        return EXIT_USAGE
    library = load(root, config.cache and not args.no_cache, config)
    if library.errors:  # never a silent gap in a listing: said on stderr, whatever the output format
        say(f"{counted(len(library.errors), 'file')} could not be read (reader check names them)")
    key = SortKey(args.sort or config.sort)
    indexes = select(library, args, key)
    if indexes is None:
        return EXIT_REJECTED
    state = ReadingState()
    if args.json or args.unread or args.starred or (args.query is not None and args.query.uses_state):
        with reading_state(create=False) as store:
            try:
                state = store.snapshot()
            except StateError as error:
                say(str(error))
                return EXIT_REJECTED
    summaries, ids = library.articles, library.ids()
    if args.unread:
        indexes = [i for i in indexes if ids[i] not in state.read]
    if args.starred:
        indexes = [i for i in indexes if ids[i] in state.starred]
    if args.query is not None:
        from .fulltext import cli_full_text
        from .query import filter_indexes

        use_index = config.cache and not args.no_cache  # the full-text index is a cache too
        full_text = cli_full_text(root, library, args.query, config.fields, use_index=use_index, say=say)
        indexes = list(filter_indexes(args.query, summaries, state, indexes, full_text=full_text))
    total = len(indexes)
    if args.limit is not None:
        indexes = indexes[: args.limit]
    if args.json and args.body:
        from .folder_loader import read_articles

        articles = read_articles(root, [summaries[i].path for i in indexes], config.fields)
        print_json([article_json(a, library, state) for a in articles if a is not None])
    elif args.json:
        # What the cache holds for every article: as fast as the table, no file opened.
        print_json([summary_json(summaries[i], state) for i in indexes])
    else:
        print_table([summaries[i] for i in indexes], total)
    return EXIT_OK


def select(library: Library, args: argparse.Namespace, key: SortKey) -> list[int] | None:
    """The articles that match every one of --topic, --category and --provider, in ``key``'s order.

    None when a name matches nothing in the library (and that has been said).
    """
    nodes = []
    for kind, name in (("topic", args.topic), ("category", args.category), ("provider", args.provider)):
        if name is None:
            continue
        node = find_node(library, kind, name)
        if node is None:
            say(not_found(library, kind, name))
            return None
        nodes.append(node)
    indexes = list(library.view(nodes[0] if nodes else ALL, key))
    for node in nodes[1:]:
        members = set(library.view(node, key))
        indexes = [i for i in indexes if i in members]
    return indexes


def _names(library: Library, kind: str) -> dict[str, int]:
    return {"topic": library.topic_counts, "category": library.category_counts, "provider": library.provider_counts}[
        kind
    ]


def find_node(library: Library, kind: str, name: str) -> Node | None:
    """The tree node a name from the command line means: exactly that name, else the same regardless of case."""
    names = _names(library, kind)
    if name in names:
        return Node(kind, name)
    # The same name regardless of case, spacing or Unicode form, as the tree merges them.
    folded = name_key(name)
    match = next((known for known in names if name_key(known) == folded), None)
    return Node(kind, match) if match is not None else None


def not_found(library: Library, kind: str, name: str, shown: int = 10) -> str:
    """One line: no such name, what it is instead (another kind, a near spelling), and which names exist."""
    message = f"no {kind} '{escape_name(name)}'"
    other = next((k for k in ("topic", "category", "provider") if k != kind and find_node(library, k, name)), None)
    if other is not None:
        message += f"; it is a {other} (--{other})"
    names = _names(library, kind)
    by_fold = {known.casefold(): known for known in names if known}
    near = difflib.get_close_matches(name.casefold(), list(by_fold), n=3, cutoff=0.6)
    if near and other is None:
        message += "; did you mean " + " or ".join(f"'{escape_name(by_fold[n])}'" for n in near) + "?"
    if not by_fold:
        return message + f" (the library has no {kind}s)"
    common = sorted(by_fold.values(), key=lambda known: (-names[known], known.casefold()))
    listed = ", ".join(escape_name(known) for known in common[:shown])
    more = f", … ({len(common):,} in all)" if len(common) > shown else ""
    return message + f". {kind.capitalize()}s: {listed}{more}"


def print_json(rows: list[dict]) -> None:
    # UTF-8 output gets the characters themselves; any other encoding gets \u escapes
    # (never a backslashreplace of a character, which would not be JSON).
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        utf8 = codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        utf8 = False
    json.dump(rows, sys.stdout, ensure_ascii=not utf8, indent=2)
    sys.stdout.write("\n")


def json_path(path: str) -> str:
    """A path for JSON: as it is, unless it holds bytes that are not UTF-8 (lone surrogates,
    which no UTF-8 JSON can carry); then the escaped form ``reader check`` prints."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return escape_name(path)
    return path


def summary_json(article: ArticleSummary | Article, state: ReadingState) -> dict:
    """What ``reader list --json`` says of every article: the list's fields and the reading state."""
    first_seen = state.first_seen(article.id)
    row = {
        "id": json_path(article.id),
        "path": json_path(article.path),
        "title": article.title,
        "category": article.category,
        "type": article.type,
        "quality": article.quality,
        "heat": article.heat,
        "published": article.published,
        "published_at": _iso(article.published_at),
        "read": article.id in state.read,
        "starred": article.id in state.starred,
        "first_seen": _iso(datetime.fromtimestamp(first_seen, UTC)) if first_seen is not None else None,
        "provider": {"name": article.provider.name, "domain": article.provider.domain},
        "topics": list(article.topics),
        "authors": list(article.authors),
        "url": article.url,
    }
    if row["path"] != article.path:
        row["path_escaped"] = True
    return row


def article_json(article: Article, library: Library, state: ReadingState) -> dict:
    """``summary_json`` and what only the file holds (``--body``)."""
    row = summary_json(article, state)
    row.update(
        excerpt=article.excerpt,
        web_url=article.web_url,
        original_url=article.original_url,
        body=article.body,
        related=[
            {
                "title": story.title,
                "url": story.url,
                "provider": {"name": story.provider.name, "domain": story.provider.domain},
                "published_at": _iso(story.published_at),
                "quality": story.quality,
                "article_id": _related_id(library, story.url),
            }
            for story in article.related
        ],
    )
    return row


def _related_id(library: Library, url: str | None) -> str | None:
    index = library.find_url(url)
    return json_path(library.articles[index].id) if index is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def print_table(summaries: list, total: int | None = None) -> None:
    header = f"{'QUAL':>4} {'HEAT':>4}  {'DATE':<10}  {'PROVIDER':<20}  TITLE"
    print(header)
    for s in summaries:
        quality = "-" if s.quality is None else str(s.quality)
        heat = "-" if s.heat is None else str(s.heat)
        when = s.published_at.astimezone().strftime("%Y-%m-%d") if s.published_at else "-"  # local, as in the app
        draft = "[draft] " if s.is_draft else ""
        print(f"{quality:>4} {heat:>4}  {when:<10}  {fit(s.provider.label, 20)}  {draft}{s.title}")
    total = len(summaries) if total is None else total
    shown = len(summaries)
    print(counted(total, "article") if shown == total else f"{shown:,} of {counted(total, 'article')}")


# --- reader check -------------------------------------------------------------


def check(args: argparse.Namespace, config: Config, root: Path) -> int:
    library = load(root, config.cache and not args.no_cache, config)
    for error in library.errors:
        print(f"{escape_name(error.path)}: {escape_line(error.reason)}")
    for duplicate in library.duplicates:
        print(f"{escape_name(duplicate.path)}: duplicate of {escape_name(duplicate.kept)}")
    if getattr(args, "all", False):
        for skipped in sorted(library.skipped, key=lambda s: s.path):
            print(f"{escape_name(skipped.path)}: skipped: {escape_line(skipped.reason)}")
    print(
        f"{counted(len(library), 'article')} loaded, {counted(len(library.errors), 'file')} rejected, "
        f"{counted(len(library.duplicates), 'duplicate')}, {counted(len(library.skipped), 'other file')} skipped"
    )
    return EXIT_REJECTED if library.errors else EXIT_OK


# --- reading state: reader mark, reader state ---------------------------------------


@contextmanager
def reading_state(*, create: bool) -> Iterator[StateStore]:
    """The reading-state store for one command, closed at the end, its warnings said once each.

    The store's warnings (a damaged file moved aside, a folder that cannot be
    written) are ready-to-print sentences. Without ``create``, a state file
    that does not exist yet is not made: nothing has been marked, and a command
    that only reads state leaves no file behind.
    """
    path = default_state_path()
    store = StateStore(path if create or os.path.lexists(path) else None)
    try:
        yield store
    finally:
        store.close()
        for warning in store.warnings:
            say(warning)


# --mark option: (field, value, what the summary line says was done)
MARKS = {
    "read": ("read", True, "marked read"),
    "unread": ("read", False, "marked unread"),
    "star": ("starred", True, "starred"),
    "unstar": ("starred", False, "unstarred"),
}
_MARK_HELP = {"read": "mark them read", "unread": "mark them unread", "star": "star them", "unstar": "unstar them"}
_MARK_FILTERS = ("topic", "category", "provider", "before")


def _add_mark_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "articles",
        nargs="*",
        metavar="ARTICLE",
        help="an article's id or path, as `reader list --json` prints them, or the path to its file",
    )
    what = parser.add_argument_group("what to do (one of)").add_mutually_exclusive_group(required=True)
    for option in MARKS:
        what.add_argument(f"--{option}", dest="mark", action="store_const", const=option, help=_MARK_HELP[option])
    which = parser.add_argument_group(
        "which articles", "ARTICLE..., or filters (an article must match every one given), or --all"
    )
    which.add_argument("--topic", metavar="NAME", help="the articles with this topic")
    which.add_argument("--category", metavar="NAME", help="the articles in this category")
    which.add_argument("--provider", metavar="NAME", help="the articles from this provider")
    which.add_argument(
        "--before",
        type=_moment,
        metavar="DATE",
        help="the articles published before DATE: 2021-06-30 (midnight, local time, as `reader list` shows "
        "dates) or a date and time (2021-06-30T12:00Z); undated articles are left alone",
    )
    which.add_argument("--all", action="store_true", help="every article in the library")
    parser.add_argument(
        "--library", dest="path", type=Path, metavar="PATH", help="the articles folder (default: the config's library)"
    )
    parser.add_argument("--no-cache", action="store_true", help="parse every file; neither read nor write the cache")


def _moment(text: str) -> datetime:
    """--before: an ISO date or date and time, local time unless it names its zone."""
    try:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo is not None else moment.astimezone()
    except (ValueError, OverflowError, OSError):
        raise argparse.ArgumentTypeError(
            f"{escape_name(text)!r} is not an ISO date (2021-06-30) or date and time (2021-06-30T12:00Z)"
        ) from None


def _check_mark(args: argparse.Namespace) -> str | None:
    """Which articles must be said, one way: marking everything is never what a forgotten argument means."""
    filters = [f"--{name}" for name in _MARK_FILTERS if getattr(args, name) is not None]
    if args.all and (args.articles or filters):
        return "--all marks every article: give it alone, without ARTICLE or " + (filters or ["filters"])[0]
    if args.articles and filters:
        return f"give ARTICLE ids or paths, or {filters[0]}, not both"
    if not (args.all or args.articles or filters):
        return "which articles? Give ARTICLE ids or paths, --topic, --category, --provider, --before, or --all"
    return None


class ArticleFinder:
    """Which article a name from the command line means.

    In turn: its id or its path inside the library; the same as ``reader
    list --json`` or ``reader check`` prints them (escaped, for a name that is
    not UTF-8 or holds control characters); its web address in any spelling
    (as a related story's link is matched); the path of its file, from here
    or absolute.
    """

    def __init__(self, library: Library, root: Path) -> None:
        self._library = library
        self._root = root
        self._by_path = {summary.path: index for index, summary in enumerate(library.articles)}
        self._by_escaped: dict[str, int] | None = None

    def find(self, name: str) -> int | None:
        library = self._library
        index = library.index_of(name)
        if index is None:
            index = self._by_path.get(name)
        if index is None:
            index = self._escaped().get(name)
        if index is None:
            index = library.find_url(name)
        if index is None:
            index = self._file(name)
        return index

    def _escaped(self) -> dict[str, int]:
        if self._by_escaped is None:  # built only when a name is not found as it is
            self._by_escaped = {}
            for index, summary in enumerate(self._library.articles):
                for name in (summary.id, summary.path):
                    for shown in (json_path(name), escape_name(name)):
                        self._by_escaped.setdefault(shown, index)
        return self._by_escaped

    def _file(self, name: str) -> int | None:
        try:
            pairs = (
                (os.path.abspath(self._root), os.path.abspath(name)),
                (os.path.realpath(self._root), os.path.realpath(name)),  # a library reached through a link
            )
            for root, file in pairs:
                relative = os.path.relpath(file, root)
                if relative == os.pardir or relative.startswith(os.pardir + os.sep):
                    continue
                index = self._by_path.get(relative.replace(os.sep, "/"))
                if index is not None:
                    return index
        except (OSError, ValueError):  # a NUL in the name; another drive
            return None
        return None


def mark(args: argparse.Namespace, config: Config, root: Path) -> int:
    library = load(root, config.cache and not args.no_cache, config)
    unknown: list[str] = []
    if args.articles:
        finder = ArticleFinder(library, root)
        indexes = []
        for name in args.articles:
            index = finder.find(name)
            if index is None:
                unknown.append(name)
            else:
                indexes.append(index)
    else:
        found = select(library, args, SortKey.QUALITY)
        if found is None:
            return EXIT_REJECTED
        indexes = found
        if args.before is not None:
            before = args.before
            indexes = [
                i for i in indexes if (moment := library.articles[i].published_at) is not None and moment < before
            ]
    for name in unknown:
        say(f"no article '{escape_name(name)}' in {escape_name(str(root))}")
    ids = list(dict.fromkeys(library.articles[i].id for i in indexes))  # named twice (id and path): once
    field, value, done = MARKS[args.mark]
    changed = 0
    if ids:
        with reading_state(create=True) as store:
            try:
                change = (store.mark_read if field == "read" else store.star)(ids, value)
            except StateError as error:
                say(str(error))
                return EXIT_REJECTED
            saved = store.saved
        if not saved:
            say("nothing was marked: the reading state cannot be saved")
            return EXIT_REJECTED
        changed = len(change)
    already = len(ids) - changed
    line = f"{counted(changed, 'article')} {done}"
    if already:
        line += f" ({already:,} already {'was' if already == 1 else 'were'})"
    print(line)
    return EXIT_REJECTED if unknown else EXIT_OK


# An export of a million articles is about 200 MB; anything over this is not one (or is /dev/zero).
MAX_IMPORT_BYTES = 1 << 30


def _add_state_options(parser: argparse.ArgumentParser) -> None:
    # Raw, so that the path is never wrapped (at a hyphen) and can be copied whole.
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        f"{parser.description}\n\nReading state (read, starred, first seen) is kept in\n"
        f"  {escape_name(str(default_state_path()))}\n"
        "An export is a backup of it; import brings it back, here or on another machine."
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True, title="actions")
    export = actions.add_parser(
        "export",
        help="print every article's read, starred and first-seen marks as JSON",
        description="Print every article's read, starred and first-seen marks, with when each changed, as JSON.",
    )
    export.set_defaults(state_action=export_state)
    importing = actions.add_parser(
        "import",
        help="merge an export into the state here (per article and mark, the newer change wins)",
        description="Merge an export into the reading state here: per article and mark, the newer change wins; "
        "an article keeps its earliest first sighting. A file that cannot be used changes nothing.",
    )
    importing.add_argument("file", metavar="FILE", help="an export, from this machine or another; - reads stdin")
    importing.set_defaults(state_action=import_state)


def state_command(args: argparse.Namespace, config: Config, root: Path) -> int:
    return args.state_action(args)


def export_state(args: argparse.Namespace) -> int:
    with reading_state(create=False) as store:
        try:
            data = store.export()
        except StateError as error:
            say(str(error))
            return EXIT_REJECTED
    # ASCII: an id made from a file name that is not UTF-8 holds lone
    # surrogates, which only \u escapes carry (and bring back on import).
    text = json.dumps(data, ensure_ascii=True, indent=1)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:  # a full disk: a backup that stops short must not look like one
        _discard_further_output()
        say(f"the export could not be written ({safe_error(error)})")
        return EXIT_REJECTED
    return EXIT_OK


class _Unusable(Exception):
    """An import file that cannot be used; the message is one printable line."""


def _read_export(name: str) -> object:
    try:
        if name == "-":
            raw = sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
        else:
            with open(name, "rb") as file:
                raw = file.read(MAX_IMPORT_BYTES + 1)
    except OSError as error:
        raise _Unusable(f"cannot be read ({escape_line(error.strerror or safe_error(error))})") from None
    except AttributeError:  # no standard input at all
        raise _Unusable("cannot be read (no standard input)") from None
    if len(raw) > MAX_IMPORT_BYTES:
        raise _Unusable(f"is over {MAX_IMPORT_BYTES >> 20:,} MB: not a reading-state export")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise _Unusable(f"is not JSON ({error.msg}, line {error.lineno} column {error.colno})") from None
    except (ValueError, RecursionError) as error:  # not UTF-8 (nor -16, -32); nested deeper than Python goes
        raise _Unusable(f"is not JSON ({safe_error(error)})") from None


def import_state(args: argparse.Namespace) -> int:
    name = "standard input" if args.file == "-" else escape_name(args.file)
    try:
        data = _read_export(args.file)
    except _Unusable as problem:
        say(f"{name}: {problem}")
        return EXIT_USAGE
    with reading_state(create=True) as store:
        try:
            counts = store.import_(data)
        except StateImportError as error:  # checked whole before anything is written
            say(f"{name}: {error}")
            return EXIT_USAGE
        except StateError as error:
            say(str(error))
            return EXIT_REJECTED
        saved = store.saved
    if not saved:
        say("nothing was imported: the reading state cannot be saved")
        return EXIT_REJECTED
    print(
        f"{counted(counts.articles, 'article')} imported; changed: {counts.read:,} read or unread, "
        f"{counts.starred:,} starred or unstarred, {counts.first_seen:,} first seen"
    )
    return EXIT_OK


# --- the commands, in the order ``reader --help`` lists them ---------------------------

COMMANDS = {
    command.name: command
    for command in (
        Command("list", "print the articles as a table or JSON", _add_list_options, list_articles),
        Command("check", "report the files that cannot be read; exit 1 if any", _add_check_options, check),
        Command("mark", "mark articles read or unread, starred or not", _add_mark_options, mark, check=_check_mark),
        Command("serve", "serve the app to a browser tab (this machine only, unless --host)", add_serve_options, serve),
        Command(
            "state",
            "export the reading state as JSON, or import an export",
            _add_state_options,
            state_command,
            uses_library=False,
        ),
        Command(
            "feeds",
            "the feeds followed: add, list, remove, import or export (OPML)",
            add_feeds_options,
            feeds_command,
            uses_library=False,
        ),
        Command(
            "fetch",
            "fetch the feeds' new articles into the feeds folder; exit 1 if one fails",
            add_fetch_options,
            fetch_command,
            uses_library=False,
        ),
    )
}
