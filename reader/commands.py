"""Every command of the reader, declared once.

Each row says its id (what a user keymap names), its default keys, the
action it runs, a title (footer and palette) and a description (help and
palette), and where it works. The key bindings of each pane, the command
palette and the help screen are all built from this one table, so a command
cannot exist in one place and be missing from another.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from enum import StrEnum
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


class Scope(StrEnum):
    """Where a command's keys work; the help screen has one section each."""

    MAIN = "Everywhere"
    LIST = "Article list"
    DETAIL = "Article pane"
    RELATED = "Related stories"
    TREE = "Topic tree"
    SEARCH = "Search line"


@dataclass(frozen=True, slots=True)
class Command:
    id: str  # what a keymap in config.toml names
    keys: str  # default keys, comma-separated, Textual's names ("" for palette-only commands)
    action: str  # run on the widget that owns the scope (the screen for MAIN)
    title: str  # short: footer and palette
    description: str  # one line: help and palette
    scope: Scope = Scope.MAIN
    footer: bool = False  # shown in the footer
    palette: bool = True  # offered in the command palette (MAIN commands only)
    key_display: str | None = None


COMMANDS: tuple[Command, ...] = (
    # --- everywhere on the main screen --------------------------------------
    Command("sort.cycle", "s", "cycle_sort", "Sort", "Sort by quality → heat → date", footer=True),
    Command("sort.reverse", "S", "reverse_sort", "Reverse", "Reverse the order (no data stays last)", footer=True),
    Command("sort.quality", "", "sort('quality')", "Sort by quality", "Best articles first"),
    Command("sort.heat", "", "sort('heat')", "Sort by heat", "Most talked-about first"),
    Command("sort.date", "", "sort('date')", "Sort by date", "Newest first"),
    Command("sort.title", "", "sort('title')", "Sort by title", "A to Z"),
    Command("view.overview", "v", "overview", "Overview", "This node in numbers: per day, scores, top names"),
    Command("article.open", "o", "open_article", "Open", "Open the article in the browser", footer=True),
    Command("article.copy", "y", "copy_link", "Copy link", "Copy the article's link to the clipboard"),
    Command("article.next", "J", "next_article", "Next article", "Show the next article in the list"),
    Command("article.previous", "K", "previous_article", "Previous article", "Show the previous article"),
    Command("article.read", "m", "toggle_read", "Read", "Mark the article read, or unread again", footer=True),
    Command("article.star", "f", "toggle_star", "Star", "Star the article, or unstar it", footer=True),
    Command("view.read", "M", "mark_view_read", "All read", "Mark every article in this view read"),
    Command("state.undo", "u", "undo_mark", "Undo", "Undo the last marking (a whole view's too)"),
    Command("unread.next", "n", "next_unread", "Next unread", "Go to the next unread article in this order"),
    Command("unread.previous", "N", "previous_unread", "Previous unread", "Go to the previous unread article"),
    Command("search.open", "slash", "search", "Search", "Search as you type (Enter: results, Esc: clear)", footer=True, key_display="/"),
    Command("search.clear", "escape", "clear_search", "Clear search", "Drop the search; the list as it was", palette=False),
    Command("search.save", "", "save_search", "Save search", "Keep the current search as a node of the tree"),
    Command("library.rescan", "r", "rescan", "Rescan", "Rescan the whole folder for changes now"),
    Command("article.edit", "E", "edit_article", "Edit", "Edit the article's file ($VISUAL, $EDITOR)"),
    Command("feeds.fetch", "R", "fetch_feeds", "Fetch feeds", "Fetch the followed feeds now, in the background"),
    Command("app.errors", "e", "show_errors", "Errors", "Files that could not be read, and why"),
    Command("app.help", "question_mark", "help", "Help", "Every key", footer=True, key_display="?"),
    Command("app.screenshot", "", "screenshot", "Screenshot", "Save an SVG picture of the screen"),
    Command("app.quit", "q", "app.quit", "Quit", "Quit the reader", footer=True),
    Command("pane.next", "tab", "app.focus_next", "Next pane", "List → article → related stories → tree", palette=False),
    Command("pane.previous", "shift+tab", "app.focus_previous", "Previous pane", "The other way round", palette=False),
    Command("app.palette", "ctrl+p", "app.command_palette", "Commands", "Search every command", palette=False),
    # --- the article list ---------------------------------------------------
    Command("list.up", "up,k", "cursor_up", "Up", "Previous article", Scope.LIST),
    Command("list.down", "down,j", "cursor_down", "Down", "Next article", Scope.LIST),
    Command("list.page_up", "pageup", "page_up", "Page up", "A page up", Scope.LIST),
    Command("list.page_down", "pagedown", "page_down", "Page down", "A page down", Scope.LIST),
    Command("list.first", "home,g", "first", "First", "The first article", Scope.LIST),
    Command("list.last", "end,G", "last", "Last", "The last article", Scope.LIST),
    Command("list.choose", "enter", "choose", "Related", "Go to the article's related stories", Scope.LIST),
    # --- the article pane ---------------------------------------------------
    Command("detail.down", "down,j", "scroll_down", "Down", "Scroll down", Scope.DETAIL),
    Command("detail.up", "up,k", "scroll_up", "Up", "Scroll up", Scope.DETAIL),
    Command("detail.page_down", "pagedown,space", "page_down", "Page down", "Scroll a page down", Scope.DETAIL),
    Command("detail.page_up", "pageup", "page_up", "Page up", "Scroll a page up", Scope.DETAIL),
    Command("detail.top", "home,g", "scroll_home", "Top", "The top of the article", Scope.DETAIL),
    Command("detail.bottom", "end,G", "scroll_end", "Bottom", "The end of the article", Scope.DETAIL),
    # --- related stories ----------------------------------------------------
    Command("related.up", "up,k", "cursor_up", "Up", "Previous story", Scope.RELATED),
    Command("related.down", "down,j", "cursor_down", "Down", "Next story", Scope.RELATED),
    Command("related.first", "home,g", "first", "First", "The first story", Scope.RELATED),
    Command("related.last", "end,G", "last", "Last", "The last story", Scope.RELATED),
    Command("related.choose", "enter", "select", "Go", "Jump to it (● in the library) or open it (↗)", Scope.RELATED),
    # --- the search line ----------------------------------------------------
    Command("search.cancel", "escape", "cancel", "Clear search", "Drop the search; the list as it was", Scope.SEARCH),
    Command("search.everywhere", "ctrl+g", "toggle_scope", "Everywhere", "Search everything, or the node again", Scope.SEARCH),
    # --- the topic tree -----------------------------------------------------
    Command("tree.up", "up,k", "cursor_up", "Up", "Previous node", Scope.TREE),
    Command("tree.down", "down,j", "cursor_down", "Down", "Next node", Scope.TREE),
    Command("tree.first", "home,g", "scroll_home", "First", "The first node", Scope.TREE),
    Command("tree.last", "end,G", "scroll_end", "Last", "The last node", Scope.TREE),
    Command("tree.choose", "enter", "select_cursor", "Show", "Show the node's articles (or open a group)", Scope.TREE),
    Command("tree.toggle", "space", "toggle_node", "Open/close", "Open or close a branch", Scope.TREE),
)

BY_ID: dict[str, Command] = {command.id: command for command in COMMANDS}


def bindings(scope: Scope) -> list[Binding]:
    """The key bindings of one scope, each with its command's id so a keymap can remap it."""
    return [
        Binding(
            command.keys,
            command.action,
            command.title,
            show=command.footer,
            key_display=command.key_display,
            id=command.id,
        )
        for command in COMMANDS
        if command.scope is scope and command.keys
    ]


def keys_in_force(command: Command, keymap: Mapping[str, str]) -> list[str]:
    """The keys that run a command now: the user's keymap where it names the command, else the defaults."""
    keys = keymap.get(command.id, command.keys)
    return [key.strip() for key in keys.split(",") if key.strip()]


# The panes share their moving keys: the help screen lists them once, with where they differ.
PANES = (Scope.LIST, Scope.DETAIL, Scope.RELATED, Scope.TREE)
_PANE_NAMES = {Scope.LIST: "list", Scope.DETAIL: "article", Scope.RELATED: "related stories", Scope.TREE: "tree"}
MOVING = "In the panes"


def help_sections(keymap: Mapping[str, str], key_display) -> list[tuple[str, list[tuple[str, str]]]]:
    """(section, [(keys, description)]) for the help screen, with the keys in force.

    The four panes' keys are one section: a key that does the same in each is
    one line ("Up"), one that differs says what it does where. So every key
    fits on one screen at 120x35.
    """
    sections: dict[str, list[tuple[str, str]]] = {}
    moving: dict[str, list[tuple[Scope, str]]] = {}
    for command in COMMANDS:
        keys = keys_in_force(command, keymap)
        if not keys:
            continue
        shown = " ".join(command.key_display or key_display(key) for key in keys)
        if command.scope in PANES:
            moving.setdefault(shown, []).append((command.scope, command.title))
            continue
        sections.setdefault(command.scope.value, []).append((shown, command.description))
    rows = []
    for shown, uses in moving.items():
        where: dict[str, list[str]] = {}
        for scope, title in uses:
            where.setdefault(title, []).append(_PANE_NAMES[scope])
        if len(where) == 1 and len(uses) > 1:
            rows.append((shown, next(iter(where))))
        else:
            rows.append((shown, " · ".join(f"{title} ({', '.join(panes)})" for title, panes in where.items())))
    result = [(Scope.MAIN.value, sections.get(Scope.MAIN.value, []))]
    if rows:
        result.append((MOVING, rows))
    result += [(name, section) for name, section in sections.items() if name != Scope.MAIN.value]
    return result


def palette_commands() -> Iterator[Command]:
    return (command for command in COMMANDS if command.scope is Scope.MAIN and command.palette)


class ReaderCommands(Provider):
    """The command palette's entries: every main-screen command, run on the main screen."""

    def _entries(self) -> Iterable[tuple[Command, str]]:
        keymap = self.app._keymap  # the keys in force, shown beside each entry
        for command in palette_commands():
            keys = keys_in_force(command, keymap)
            shown = ", ".join(command.key_display or self.app.get_key_display(Binding(key, "")) for key in keys)
            yield command, f"{command.title}  ({shown})" if shown else command.title

    def _run(self, command: Command) -> None:
        from .screens.main import MainScreen

        # The palette sits over the main screen; the command acts on it, wherever it was opened.
        target = next((s for s in reversed(self.app.screen_stack) if isinstance(s, MainScreen)), None)
        if target is not None:
            self.app.call_later(target.run_action, command.action)

    async def discover(self) -> Hits:
        for command, title in self._entries():
            yield DiscoveryHit(title, partial(self._run, command), help=command.description)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, title in self._entries():
            score = matcher.match(f"{command.title} {command.description}")
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, command), help=command.description)


def check_keymap(keymap: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The user's keymap with unknown command ids left out, and one warning per problem.

    A clash is two commands that would answer the same key in the same place:
    in one pane, or a pane and the main screen (the pane's would win).
    """
    from textual.app import App

    warnings = []
    known: dict[str, str] = {}
    keymap = App._normalize_keymap(dict(keymap))  # "?" -> "question_mark", as Textual will read them
    for command_id, keys in keymap.items():
        if command_id in BY_ID:
            known[command_id] = keys
            continue
        near = get_close_matches(command_id, list(BY_ID), n=1)
        hint = f"; did you mean {near[0]}?" if near else " (the README lists the ids)"
        warnings.append(f"[keys]: no command {_shown(command_id)}{hint}")
    for scope in Scope:
        places = (Scope.MAIN,) if scope is Scope.MAIN else (Scope.MAIN, scope)
        owners: dict[str, str] = {}
        for command in COMMANDS:
            if command.scope not in places:
                continue
            for key in keys_in_force(command, known):
                other = owners.setdefault(key, command.id)
                if other != command.id and (command.id in known or other in known):
                    warnings.append(f"[keys]: {_shown(key)} is both {other} and {command.id}; {other} wins")
    return known, list(dict.fromkeys(warnings))


def _shown(text: str) -> str:
    return repr("".join(c if c.isprintable() else "?" for c in text[:40]))
