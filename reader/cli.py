"""The command line: ``reader [PATH]`` (the app), ``reader list`` and ``reader check``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from . import __version__
from .cache import ArticleCache, default_cache_path
from .config import Config, ConfigError, bundled_path, load_config
from .folder_loader import FolderLoader
from .library import ALL, Library, Node, SortKey
from .model import Article
from .text import counted, fit

EXIT_OK, EXIT_REJECTED, EXIT_NO_FOLDER = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reader",
        usage=(
            "reader [PATH] [--sort KEY] [--no-cache]      open the app\n"
            "       reader list [PATH] [--topic NAME] [--sort KEY] [--limit N] [--json]\n"
            "       reader check [PATH]"
        ),
        description="A fast, keyboard-first terminal reader for folders of Markdown news articles.",
        epilog="Without PATH: the `library` folder from the config file, else the bundled sample.",
    )
    parser.add_argument("--version", action="version", version=f"reader {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{open,list,check}")

    def add_common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("path", nargs="?", type=Path, metavar="PATH", help="the articles folder")
        sub.add_argument("--no-cache", action="store_true", help="parse every file; neither read nor write the cache")

    open_ = commands.add_parser("open", help="browse a folder in the app (the default command)")
    add_common(open_)
    open_.add_argument("--sort", choices=[k.value for k in SortKey], help="the list's first order")

    list_ = commands.add_parser("list", help="print the articles as a table or JSON")
    add_common(list_)
    list_.add_argument("--topic", metavar="NAME", help="only articles under this topic")
    list_.add_argument("--sort", choices=[k.value for k in SortKey], default="quality", help="order (default: quality)")
    list_.add_argument("--limit", type=int, metavar="N", help="at most N articles")
    list_.add_argument("--json", action="store_true", help="a JSON array, one object per article")

    check = commands.add_parser("check", help="report the files that cannot be read; exit 1 if any")
    add_common(check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `reader PATH` and `reader` open the app: "open" is implied unless a command is named.
    if not argv or argv[0] not in ("open", "list", "check", "-h", "--help", "--version"):
        argv.insert(0, "open")
    args = build_parser().parse_args(argv)
    try:
        config = load_config()
    except ConfigError as error:
        print(f"reader: {error}", file=sys.stderr)
        return EXIT_NO_FOLDER
    root = resolve_folder(args.path, config)
    if not root.is_dir():
        print(f"reader: {root}: not a folder", file=sys.stderr)
        return EXIT_NO_FOLDER
    use_cache = config.cache and not args.no_cache
    if args.command == "open":
        from .app import ReaderApp  # Textual is imported only when the app runs

        ReaderApp(root, use_cache=use_cache, sort=SortKey(args.sort or config.sort), theme=config.theme).run()
        return EXIT_OK
    library = load(root, use_cache)
    if args.command == "list":
        return list_articles(library, args)
    return check_folder(library)


def resolve_folder(path: Path | None, config: Config) -> Path:
    if path is not None:
        return path.expanduser()
    if config.library:
        return Path(config.library).expanduser()
    return bundled_path("data")


def open_cache(use_cache: bool) -> ArticleCache | None:
    if not use_cache:
        return None
    try:
        return ArticleCache(default_cache_path())
    except Exception as error:
        print(f"reader: cache unavailable ({error}); loading without it", file=sys.stderr)
        return None


def load(root: Path, use_cache: bool) -> Library:
    return FolderLoader(root, open_cache(use_cache)).load()


# --- reader list --------------------------------------------------------------


def list_articles(library: Library, args: argparse.Namespace) -> int:
    node = ALL if args.topic is None else Node("topic", args.topic)
    if args.topic is not None and library.count(node) == 0:
        match = next((t for t in library.topic_counts if t.casefold() == args.topic.casefold()), None)
        if match is None:
            print(f"reader: no topic {args.topic!r}", file=sys.stderr)
            return EXIT_REJECTED
        node = Node("topic", match)
    indexes = list(library.view(node, SortKey(args.sort)))
    if args.limit is not None:
        indexes = indexes[: max(args.limit, 0)]
    if args.json:
        articles = [library.article(i) for i in indexes]
        rows = [article_json(a, library) for a in articles if a is not None]
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print_table([library.articles[i] for i in indexes])
    return EXIT_OK


def article_json(article: Article, library: Library) -> dict:
    return {
        "id": article.id,
        "path": article.path,
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


def _related_id(library: Library, url: str | None) -> str | None:
    index = library.find_url(url)
    return library.articles[index].id if index is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def print_table(summaries: list) -> None:
    header = f"{'QUAL':>4} {'HEAT':>4}  {'DATE':<10}  {'PROVIDER':<20}  TITLE"
    print(header)
    for s in summaries:
        quality = "-" if s.quality is None else str(s.quality)
        heat = "-" if s.heat is None else str(s.heat)
        when = s.published_at.astimezone().strftime("%Y-%m-%d") if s.published_at else "-"  # local, as in the app
        draft = "[draft] " if s.is_draft else ""
        print(f"{quality:>4} {heat:>4}  {when:<10}  {fit(s.provider.label, 20)}  {draft}{s.title}")
    print(counted(len(summaries), "article"))


# --- reader check -------------------------------------------------------------


def check_folder(library: Library) -> int:
    for error in library.errors:
        print(error)
    for duplicate in library.duplicates:
        print(duplicate)
    print(
        f"{counted(len(library), 'article')} loaded, {counted(len(library.errors), 'file')} rejected, "
        f"{counted(len(library.duplicates), 'duplicate')}, {counted(len(library.skipped), 'other file')} skipped"
    )
    return EXIT_REJECTED if library.errors else EXIT_OK
