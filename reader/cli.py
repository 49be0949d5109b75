"""The command line: ``reader [PATH]`` (the app), ``reader list`` and ``reader check``.

Everything printed is safe for the terminal: paths go through ``escape_name``,
messages from outside through ``escape_line``, article text is clean from
loading; JSON keeps real strings (it escapes controls itself). Output never
ends in a traceback: stdout and stderr replace what their encoding cannot
write, and a reader of the output that goes away (``| head``) ends the
command quietly.
"""

from __future__ import annotations

import argparse
import codecs
import difflib
import json
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import __version__
from .cache import ArticleCache, default_cache_path
from .config import Config, ConfigError, bundled_path, library_problem, load_config
from .folder_loader import FolderLoader
from .library import ALL, Library, Node, SortKey
from .model import Article
from .text import counted, escape_line, escape_name, fit, safe_error

EXIT_OK, EXIT_REJECTED, EXIT_NO_FOLDER = 0, 1, 2
# What a program killed by SIGPIPE reports: whoever read the output stopped reading.
EXIT_BROKEN_PIPE = 128 + 13
SORT_KEYS = [key.value for key in SortKey]


# --- commands ------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A subcommand: ``reader NAME [PATH] [options]``."""

    name: str
    summary: str  # one line, for ``reader --help``
    add_options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Config, Path], int]


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but its complaints quote what was typed escaped (``unrecognized arguments`` echoes it raw)."""

    def error(self, message: str):  # type: ignore[override]
        super().error(escape_line(message))


def _add_path_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", type=Path, metavar="PATH", help="the articles folder (default: the config's library)"
    )
    parser.add_argument("--no-cache", action="store_true", help="parse every file; neither read nor write the cache")


def _add_list_options(parser: argparse.ArgumentParser) -> None:
    _add_path_options(parser)
    parser.add_argument("--topic", metavar="NAME", help="only articles with this topic")
    parser.add_argument("--category", metavar="NAME", help="only articles in this category")
    parser.add_argument("--provider", metavar="NAME", help="only articles from this provider")
    parser.add_argument("--sort", choices=SORT_KEYS, help="the order (default: the config's sort, else quality)")
    parser.add_argument("--limit", type=_count, metavar="N", help="at most N articles")
    parser.add_argument("--json", action="store_true", help="a JSON array, one object per article")


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
        usage="reader [PATH] [--sort KEY] [--no-cache]\n       reader {" + ",".join(COMMANDS) + "} [PATH] [options]",
        description="A fast, keyboard-first terminal reader for folders of Markdown news articles.",
        epilog=(
            f"commands:\n{listing}\n\n"
            "`reader COMMAND --help` shows a command's options. Without PATH: the `library`\n"
            "folder from the config file, else the bundled sample."
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
        return command, command_parser(command).parse_args(argv[1:])
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
    root = resolve_folder(args.path, config)
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
    ).run()
    return EXIT_OK


def open_cache(use_cache: bool) -> ArticleCache | None:
    if not use_cache:
        return None
    try:
        return ArticleCache(default_cache_path())
    except Exception as error:
        say(f"cache unavailable ({safe_error(error)}); loading without it")
        return None


def load(root: Path, use_cache: bool) -> Library:
    return FolderLoader(root, open_cache(use_cache)).load()


# --- reader list --------------------------------------------------------------


def list_articles(args: argparse.Namespace, config: Config, root: Path) -> int:
    library = load(root, config.cache and not args.no_cache)
    key = SortKey(args.sort or config.sort)
    nodes = []
    for kind, name in (("topic", args.topic), ("category", args.category), ("provider", args.provider)):
        if name is None:
            continue
        node = find_node(library, kind, name)
        if node is None:
            say(not_found(library, kind, name))
            return EXIT_REJECTED
        nodes.append(node)
    indexes = list(library.view(nodes[0] if nodes else ALL, key))
    for node in nodes[1:]:
        members = set(library.view(node, key))
        indexes = [i for i in indexes if i in members]
    total = len(indexes)
    if args.limit is not None:
        indexes = indexes[: args.limit]
    if args.json:
        articles = [library.article(i) for i in indexes]
        print_json([article_json(a, library) for a in articles if a is not None])
    else:
        print_table([library.articles[i] for i in indexes], total)
    return EXIT_OK


def _names(library: Library, kind: str) -> dict[str, int]:
    return {"topic": library.topic_counts, "category": library.category_counts, "provider": library.provider_counts}[
        kind
    ]


def find_node(library: Library, kind: str, name: str) -> Node | None:
    """The tree node a name from the command line means: exactly that name, else the same regardless of case."""
    names = _names(library, kind)
    if name in names:
        return Node(kind, name)
    folded = name.casefold()
    match = next((known for known in names if known.casefold() == folded), None)
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


def article_json(article: Article, library: Library) -> dict:
    row = {
        "id": json_path(article.id),
        "path": json_path(article.path),
        "title": article.title,
        "excerpt": article.excerpt,
        "category": article.category,
        "type": article.type,
        "quality": article.quality,
        "heat": article.heat,
        "published": article.published,
        "published_at": _iso(article.published_at),
        "provider": {"name": article.provider.name, "domain": article.provider.domain},
        "topics": list(article.topics),
        "authors": list(article.authors),
        "url": article.url,
        "web_url": article.web_url,
        "original_url": article.original_url,
        "body": article.body,
        "related": [
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
    }
    if row["path"] != article.path:
        row["path_escaped"] = True
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
    library = load(root, config.cache and not args.no_cache)
    for error in library.errors:
        print(f"{escape_name(error.path)}: {escape_line(error.reason)}")
    for duplicate in library.duplicates:
        print(f"{escape_name(duplicate.path)}: duplicate of {escape_name(duplicate.kept)}")
    print(
        f"{counted(len(library), 'article')} loaded, {counted(len(library.errors), 'file')} rejected, "
        f"{counted(len(library.duplicates), 'duplicate')}, {counted(len(library.skipped), 'other file')} skipped"
    )
    return EXIT_REJECTED if library.errors else EXIT_OK


# --- the commands, in the order ``reader --help`` lists them ---------------------------

COMMANDS = {
    command.name: command
    for command in (
        Command("list", "print the articles as a table or JSON", _add_list_options, list_articles),
        Command("check", "report the files that cannot be read; exit 1 if any", _add_path_options, check),
    )
}
