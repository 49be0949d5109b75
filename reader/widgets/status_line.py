"""The line at the top: where you are, in which order, and how loading goes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import ProgressBar, Static

from ..text import counted


class StatusLine(Horizontal):
    """Library, node, order and counts on the left; loading progress and problems on the right."""

    def compose(self) -> ComposeResult:
        yield Static(id="status-where")
        yield ProgressBar(id="status-progress", show_eta=False, show_percentage=False)
        yield Static(id="status-loading")
        yield Static(id="status-news")
        yield Static(id="status-problems")

    def show_place(
        self, library_name: str, node_label: str, count: int | None, order: str, *, unread: int | None = None
    ) -> None:
        """Where the user is; ``count`` None while it is not known yet (loading); ``unread`` in the library."""
        self.query_one("#status-where", Static).update(
            Content.assemble(
                (library_name, "bold"),
                (" › ", "dim"),
                node_label,
                (f" {count:,}" if count is not None else " …", "$accent"),
                ("  sorted by ", "dim"),
                (order, "bold"),
                (f"  {unread:,} unread" if unread is not None else "", "dim"),
            )
        )

    def show_progress(self, text: str, done: int | None, total: int | None, *, error: bool = False) -> None:
        """Loading progress (or, with ``error``, why loading stopped); ``text`` empty hides it."""
        bar = self.query_one("#status-progress", ProgressBar)
        loading = self.query_one("#status-loading", Static)
        bar.display = bool(text) and bool(total)
        loading.display = bool(text)
        loading.set_class(error, "-error")
        loading.update(Content(text))
        if total:
            bar.update(total=total, progress=done or 0)

    def show_news(self, text: str) -> None:
        """What just arrived in the folder ("3 new articles"); shown until something newer comes."""
        news = self.query_one("#status-news", Static)
        news.display = bool(text)
        news.update(Content(text))

    def show_problems(self, unreadable: int, duplicates: int) -> None:
        parts: list[str | tuple[str, str]] = []
        if unreadable:
            parts.append((f"{unreadable:,} unreadable", "$error"))
        if duplicates:
            parts.append((f"  {counted(duplicates, 'duplicate')}", "$warning"))
        if parts:
            parts.append((" (e)", "dim"))
        problems = self.query_one("#status-problems", Static)
        problems.display = bool(parts)
        problems.update(Content.assemble(*parts))
