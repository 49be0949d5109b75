"""The ``?`` screen: every key, by the pane it works in, with the keys in force.

Built from the command table (``commands.py``) and the user's keymap, so a
remapped key shows as it is, and a command cannot be bound without being
listed here.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

Section = tuple[str, list[tuple[str, str]]]

# Sections that go in the left column; the rest go right. Two columns fit
# every key on one screen at 120x35; under 100 columns they stack and scroll.
_LEFT = ("Everywhere",)
_MOUSE = ("Mouse", [("click", "choose a node, a row, a story, a column heading (sorts)"), ("wheel", "scroll")])


class HelpScreen(ModalScreen[None]):
    """Keys, by the pane they work in."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = [*sections, _MOUSE]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "Esc to close"
            with Horizontal(id="help-columns"):
                for column in (True, False):
                    with Vertical(classes="help-column"):
                        for title, rows in self.sections:
                            if (title in _LEFT) == column:
                                yield Static(Content(title), classes="help-section")
                                yield Static(_rows(rows), classes="help-keys")


def _rows(rows: list[tuple[str, str]]) -> Content:
    width = max((len(keys) for keys, _ in rows), default=0)
    return Content("\n").join(
        Content.assemble((keys.ljust(width + 2), "bold $accent"), description) for keys, description in rows
    )
