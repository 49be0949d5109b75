"""The search line above the list: `/` opens it, results follow as you type.

It only reads keys and says what was typed; the screen parses the query,
keeps the last good results while the text does not parse, and shows the
problem here, under the line.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from ..commands import Scope, bindings


class SearchBar(Vertical):
    """An input, where it searches (the node, or everything), and the last problem with the query."""

    BINDINGS = bindings(Scope.SEARCH)

    @dataclass
    class Changed(Message):
        """The query text changed (every keystroke)."""

        text: str

    @dataclass
    class Submitted(Message):
        """Enter: go to the results."""

        text: str

    @dataclass
    class Cancelled(Message):
        """Esc: the search is dropped and the list is as it was."""

    @dataclass
    class ScopeToggled(Message):
        """Search everything instead of the chosen node, or the node again."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="search-line"):
            yield Static("/", id="search-prompt")
            yield Input(
                placeholder="words, topic:AI quality>=80 age<7d is:unread in:body … (Esc clears)", id="search-input"
            )
            yield Static(id="search-scope")
        yield Static(id="search-problem")

    @property
    def input(self) -> Input:
        return self.query_one("#search-input", Input)

    def open(self, scope: str) -> None:
        self.display = True
        self.show_scope(scope)
        self.show_problem("")
        self.input.focus()

    def close(self) -> None:
        self.display = False
        self.input.value = ""
        self.show_problem("")

    def show_scope(self, scope: str) -> None:
        self.query_one("#search-scope", Static).update(
            Content.assemble(("in ", "dim"), (scope, "bold"), ("  ctrl+g", "dim"))
        )

    def show_problem(self, text: str) -> None:
        problem = self.query_one("#search-problem", Static)
        problem.display = bool(text)
        problem.update(Content(text))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())

    def action_toggle_scope(self) -> None:
        self.post_message(self.ScopeToggled())

    def on_click(self, event) -> None:
        if event.widget is not None and event.widget.id == "search-scope":
            self.post_message(self.ScopeToggled())
