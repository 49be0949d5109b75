"""Opening and copying links from the app, by the policy in ``links.py``; and finding the user's editor.

Only http(s) links, parsed as a browser parses them, are ever handed to a
browser; finding and starting it happens in a thread, detached from the
terminal, so a browser that takes seconds to start never freezes the keys
and nothing it prints lands on the screen. A browser that runs in the
terminal (lynx, w3m…) gets the terminal: the app is suspended while it runs.
Where no browser can be started (over SSH, say) the link is copied and shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.dom import DOMNode

if TYPE_CHECKING:
    from . import links


class LinkOpener:
    """Opens and copies links for one screen; its notifications appear there."""

    def __init__(self, owner: DOMNode) -> None:
        self.owner = owner
        # Seams for tests: where the browser comes from and how a GUI one is started.
        # (links.py is imported on first use: start-up does not pay for it.)
        self.find_browser = lambda: _links().find_browser()
        self.launch = lambda argv: _links().launch_detached(argv)

    def open(self, url: str | None) -> bool:
        """Open a link in the background; False when it is not one that may be opened."""
        link = _links().parse_link(url) if url else None
        if link is None:
            self.owner.notify(
                "Only http and https links are opened." if url else "There is no link to open.",
                title="Not opened",
                severity="warning",
                markup=False,
            )
            return False
        if self.owner.app.is_web:  # served (reader serve): the user's browser is the one showing the app
            self.owner.app.open_url(link.url, new_tab=True)
            self.owner.notify(link.host_label, title="Opening in a new tab", markup=False)
            return True
        self.owner.run_worker(lambda: self._open(link), thread=True, group="browser", name="open link")
        return True

    def _open(self, link: links.Link) -> None:
        """In a worker thread: find the browser and start it, or fall back to copying."""
        app = self.owner.app
        browser = self.find_browser()
        if browser is None:
            app.call_from_thread(self._no_browser, link)
            return
        argv = browser.argv(link.url)
        if browser.terminal:
            app.call_from_thread(self._run_in_terminal, argv, link)
            return
        try:
            self.launch(argv)
        except OSError as error:
            app.call_from_thread(self._no_browser, link, f"{argv[0]}: {error.strerror or error}")
            return
        app.call_from_thread(self.owner.notify, link.host_label, title="Opening in browser", markup=False)

    def _run_in_terminal(self, argv: list[str], link: links.Link) -> None:
        """A terminal browser takes the terminal: the app steps aside until it exits."""
        app = self.owner.app
        try:
            with app.suspend():
                error = _links().run_in_terminal(argv)  # an argv list: never a shell
        except Exception:  # no real terminal to hand over (a test, a browser tab): copy instead
            self._no_browser(link)
            return
        if error:
            self._no_browser(link, error)
        app.refresh(layout=True)

    def _no_browser(self, link: links.Link, why: str = "") -> None:
        self.owner.app.copy_to_clipboard(link.url)
        title = "No browser here: link copied" if not why else "The browser did not start: link copied"
        self.owner.notify(f"{link.url}\n{why}".strip(), title=title, timeout=15, markup=False)

    def copy(self, url: str) -> None:
        """Copy a link in the form a browser would open (never a raw string from a file)."""
        text = _links().clipboard_text(url)
        if text is None:
            self.owner.notify("This link cannot be copied.", severity="warning", markup=False)
            return
        self.owner.app.copy_to_clipboard(text)
        self.owner.notify(text, title="Link copied", markup=False)


def editor_command(environ) -> list[str] | None:
    """The user's editor as an argv list ($VISUAL, then $EDITOR), or None.

    The variable may carry options (``code --wait``): it is split as a shell
    would split words, but never run through one.
    """
    import shlex

    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError:
                continue
            if words:
                return words
    return None


def _links():
    from . import links

    return links
