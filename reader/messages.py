"""What the library session tells the screen, in one place.

The session works in threads and talks to the UI only through these
messages. Progress comes in floods: a newer one replaces an older one still
waiting in the queue (``can_replace``), as toolong does, so a slow frame never
has a backlog of stale progress to paint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from .folder_loader import LoadProgress
from .library import Library
from .model import Article

if TYPE_CHECKING:
    from .state import ReadingState


@dataclass
class FirstScreenRead(Message):
    """The top rows of the starting order, read from the cache before anything else."""

    library: Library
    order: str


@dataclass
class LibraryLoaded(Message):
    """A (newer) library: the cached set, a growing one, the final one, or one the watcher updated."""

    library: Library
    live: bool = False  # from the watcher: the user is reading; nothing may move under them
    added: int = 0  # articles the watcher found that were not there before

    def can_replace(self, message: Message) -> bool:
        # Only the newest snapshot matters; a complete one (or one that says
        # articles arrived) must never be dropped for a partial one.
        return isinstance(message, LibraryLoaded) and not message.library.complete


@dataclass
class SearchAnswered(Message):
    """The full-text index answered words of the search (excerpts, bodies): the list shows it again."""

    library: Library

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SearchAnswered)


@dataclass
class LoadProgressed(Message):
    progress: LoadProgress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LoadProgressed)


@dataclass
class LoadFailed(Message):
    """Loading stopped: the reason is plain text, already safe to show."""

    reason: str


@dataclass
class LoadWarning(Message):
    """Something the user should know that did not stop loading (the cache was damaged, say)."""

    text: str


@dataclass
class StateChanged(Message):
    """A new snapshot of the reading state, after a mark (already on disk) or another window's."""

    state: ReadingState
    note: str = ""  # what changed, for the user ("12 articles marked read"); empty for a quiet refresh
    error: bool = False  # the note says why nothing changed

    def can_replace(self, message: Message) -> bool:
        # A quiet refresh may be dropped for a newer one; a note never is.
        return isinstance(message, StateChanged) and not message.note


@dataclass
class FeedsFetching(Message):
    """Feeds being fetched (R): ``done`` of ``total``; ``summary`` set once, when all are done."""

    done: int
    total: int
    summary: str = ""
    failed: bool = False

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FeedsFetching) and not message.summary


@dataclass
class ArticleRead(Message):
    """The full article for the detail pane (None: its file is gone or broken)."""

    library: Library
    index: int
    article: Article | None
