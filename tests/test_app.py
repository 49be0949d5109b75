"""The app driven through the Pilot: keys pressed, widget state checked.

Every test builds its own small library in ``tmp_path`` (the bundled sample
may grow while others work on it) and runs the app with a fixed size.
Opening links is always intercepted: ``App.open_url`` would start a browser.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from conftest import write_article
from textual.widgets import DataTable, Markdown, Static
from textual.widgets._markdown import MarkdownBlock

from reader.app import ReaderApp
from reader.library import ALL, NEW, STARRED, UNREAD, Library, Node, SortKey
from reader.messages import LibraryLoaded
from reader.screens.errors import ErrorsScreen
from reader.screens.help import HelpScreen
from reader.widgets.article_detail import RelatedList
from reader.widgets.article_list import ArticleList
from reader.widgets.topic_tree import TopicTree

SIZE = (120, 35)

# --- building libraries --------------------------------------------------------

_UNSET = object()


def article_text(
    title: str,
    *,
    quality: object = 50,
    heat: object = 50,
    date: str | None = "2021-07-01T12:00:00Z",
    topics: Sequence[str] = ("Space",),
    category: str = "news",
    type: str = "article",
    provider: tuple[str, str] = ("Orbit Wire", "orbitwire.com"),
    web_url: object = _UNSET,
    original_url: str | None = None,
    published: bool = True,
    excerpt: str = "",
    body: str = "",
    related: Iterable[dict] = (),
) -> str:
    """One article file. Strings are written as JSON strings, which YAML reads as double-quoted scalars."""
    if web_url is _UNSET:
        web_url = "https://www.example.com/" + "-".join(title.lower().split())
    lines = ["---", f"title: {json.dumps(title)}", f"category: {json.dumps(category)}", f"type: {json.dumps(type)}"]
    if quality is not None:
        lines.append(f"quality: {quality}")
    if heat is not None:
        lines.append(f"heat: {heat}")
    if date is not None:
        lines.append(f"publishedDateTime: {date}")
    lines.append(f"published: {'true' if published else 'false'}")
    if web_url is not None:
        lines.append(f"webUrl: {json.dumps(web_url)}")
    if original_url is not None:
        lines.append(f"originalUrl: {json.dumps(original_url)}")
    if excerpt:
        lines.append(f"excerpt: {json.dumps(excerpt)}")
    lines += ["provider:", f"  name: {json.dumps(provider[0])}", f"  domain: {json.dumps(provider[1])}"]
    lines.append("topics:")
    lines += [f"  - {json.dumps(topic)}" for topic in topics]
    related = list(related)
    if related:
        lines.append("related:")
        for story in related:
            lines.append(f"  - title: {json.dumps(story['title'])}")
            for key in ("webUrl", "publishedDateTime", "quality"):
                if key in story:
                    lines.append(f"    {key}: {json.dumps(story[key])}")
            if "provider" in story:
                lines += ["    provider:", f"      name: {json.dumps(story['provider'])}"]
    lines.append("---")
    return "\n".join(lines) + "\n\n" + body


def make_library(folder: Path, articles: dict[str, str]) -> Path:
    for name, text in articles.items():
        write_article(folder, name, text)
    return folder


# --- looking at the app ------------------------------------------------------------


async def start(app: ReaderApp, pilot) -> None:
    """Wait until the folder is loaded and the detail pane has caught up."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause(0.1)
    assert app.main_screen.library.complete


def titles(app: ReaderApp) -> list[str]:
    return [app.main_screen.library.articles[index].title for index in app.main_screen.article_list.rows]


def highlighted_title(app: ReaderApp) -> str | None:
    index = app.main_screen.article_list.highlighted
    return None if index is None else app.main_screen.library.articles[index].title


def text_of(app: ReaderApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def status(app: ReaderApp) -> str:
    return text_of(app, "#status-where")


def screen_text(app: ReaderApp) -> str:
    """Every line the current screen would send to the terminal, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def screen_segments_text(app: ReaderApp) -> str:
    return "".join(segment.text for strip in app.screen._compositor.render_strips() for segment in strip)


def list_lines(app: ReaderApp) -> list[str]:
    article_list = app.main_screen.article_list
    return [article_list.render_line(y).text for y in range(article_list.scrollable_content_region.height)]


def notifications(app: ReaderApp) -> list:
    return list(app._notifications)


async def move_to_title(app: ReaderApp, pilot, title: str) -> None:
    """Put the list cursor on the article with this title (with keys) and let the detail pane follow."""
    await pilot.press("home")
    for _ in range(len(app.main_screen.article_list.rows)):
        if highlighted_title(app) == title:
            break
        await pilot.press("down")
    assert highlighted_title(app) == title
    await pilot.pause(0.1)


class Recorder:
    """Stands in for starting a browser: records the URL each launch was for."""

    def __init__(self, app: ReaderApp) -> None:
        self.app = app
        self.calls: list[str] = []

    def __call__(self, argv: list[str]) -> None:
        self.calls.append(argv[-1])

    async def seen(self) -> list[str]:
        """The URLs opened so far, once the link workers (finding and starting the browser) are done."""
        await self.app.workers.wait_for_complete()
        return self.calls


def intercept_browser(app: ReaderApp, available: bool = True) -> Recorder:
    from reader.links import Browser, BrowserKind

    recorder = Recorder(app)
    opener = app.main_screen.links
    opener.find_browser = lambda: Browser(("/usr/bin/fake-browser",), BrowserKind.GUI) if available else None
    opener.launch = recorder
    return recorder


# --- sorting -------------------------------------------------------------------

#        quality  heat   date
# Alpha  90       10     2021-01-05
# Beta   50       80     2021-03-01
# Gamma  70       -1     2021-02-01   (heat: no data)
# Delta  -        40     2021-04-01   (no quality)
# Eps    30       60     -            (no date)
QUALITY_ORDER = ["Alpha", "Gamma", "Beta", "Eps", "Delta"]
HEAT_ORDER = ["Beta", "Eps", "Delta", "Alpha", "Gamma"]
DATE_ORDER = ["Delta", "Beta", "Gamma", "Alpha", "Eps"]


@pytest.fixture
def sort_folder(tmp_path: Path) -> Path:
    return make_library(
        tmp_path / "lib",
        {
            "a.md": article_text("Alpha", quality=90, heat=10, date="2021-01-05T10:00:00Z"),
            "b.md": article_text("Beta", quality=50, heat=80, date="2021-03-01T10:00:00Z"),
            "c.md": article_text("Gamma", quality=70, heat=-1, date="2021-02-01T10:00:00Z"),
            "d.md": article_text("Delta", quality=None, heat=40, date="2021-04-01T10:00:00Z"),
            "e.md": article_text("Eps", quality=30, heat=60, date=None),
        },
    )


async def test_default_order_is_quality_and_s_cycles_heat_date_quality(sort_folder: Path) -> None:
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert app.main_screen.list_query.sort is SortKey.QUALITY
        assert titles(app) == QUALITY_ORDER
        assert "sorted by quality ↓" in status(app)

        await pilot.press("s")
        assert titles(app) == HEAT_ORDER
        assert "sorted by heat ↓" in status(app)

        await pilot.press("s")
        assert titles(app) == DATE_ORDER
        assert "sorted by date ↓" in status(app)

        await pilot.press("s")
        assert titles(app) == QUALITY_ORDER
        assert "sorted by quality ↓" in status(app)
        assert app.is_running


async def test_reverse_keeps_missing_values_last(sort_folder: Path) -> None:
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("S")
        assert titles(app) == ["Eps", "Beta", "Gamma", "Alpha", "Delta"]  # Delta has no quality
        assert app.main_screen.list_query.reverse
        assert "sorted by quality ↑" in status(app)

        await pilot.press("S")
        assert titles(app) == QUALITY_ORDER
        assert "sorted by quality ↓" in status(app)

        await pilot.press("s", "S")  # heat, reversed: Gamma (heat -1 = no data) stays last
        assert titles(app) == ["Alpha", "Delta", "Eps", "Beta", "Gamma"]
        assert "sorted by heat ↑" in status(app)

        await pilot.press("s", "S")  # date, reversed: Eps (no date) stays last
        assert titles(app) == ["Alpha", "Gamma", "Beta", "Delta", "Eps"]
        assert "sorted by date ↑" in status(app)


async def test_cursor_stays_on_the_same_article_when_the_order_changes(sort_folder: Path) -> None:
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("down")  # Gamma, second by quality
        assert highlighted_title(app) == "Gamma"

        await pilot.press("s")  # last by heat
        assert highlighted_title(app) == "Gamma"
        assert app.main_screen.article_list.cursor == HEAT_ORDER.index("Gamma")

        await pilot.press("s")
        assert highlighted_title(app) == "Gamma"
        assert app.main_screen.article_list.cursor == DATE_ORDER.index("Gamma")

        await pilot.press("S")
        assert highlighted_title(app) == "Gamma"
        assert app.main_screen.article_list.cursor == 1

        await pilot.pause(0.1)
        assert app.main_screen.detail.article is not None and app.main_screen.detail.article.title == "Gamma"


async def test_sort_from_the_command_line_option(sort_folder: Path) -> None:
    app = ReaderApp(sort_folder, use_cache=False, sort=SortKey.DATE)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert titles(app) == DATE_ORDER
        assert "sorted by date ↓" in status(app)
        await pilot.press("s")  # date is last in the cycle: back to quality
        assert titles(app) == QUALITY_ORDER


# --- the topic tree -------------------------------------------------------------


@pytest.fixture
def topic_folder(tmp_path: Path) -> Path:
    return make_library(
        tmp_path / "topics",
        {
            "1.md": article_text("Rocket lands", quality=90, topics=["Space"], provider=("Orbit Wire", "o.com")),
            "2.md": article_text("Moon base", quality=80, topics=["Space", "Robotics"], provider=("Orbit Wire", "o.c")),
            "3.md": article_text("Robot dog", quality=70, topics=["Robotics"], provider=("Byte Daily", "bytedaily.io")),
            "4.md": article_text(
                "Ice sheets", quality=60, topics=["Climate"], category="research", provider=("Byte Daily", "b.io")
            ),
        },
    )


def tree_nodes(tree: TopicTree):
    """Every node below the root, depth first, in display order."""
    found = []

    def visit(node, depth):
        for child in node.children:
            found.append((depth, str(child.label), child))
            visit(child, depth + 1)

    visit(tree.root, 0)
    return found


def find_node(tree: TopicTree, data: Node):
    for _, _, node in tree_nodes(tree):
        if node.data == data:
            return node
    raise AssertionError(f"no tree node for {data}")


async def choose_in_tree(app: ReaderApp, pilot, data: Node) -> None:
    """Move the tree's cursor to a node with the keyboard's effect (move_cursor), then press enter."""
    tree = app.main_screen.tree
    tree.focus()
    node = find_node(tree, data)
    parent = node.parent
    while parent is not None:
        parent.expand()
        parent = parent.parent
    await pilot.pause()
    tree.move_cursor(node)
    await pilot.pause()
    assert tree.cursor_node is node
    await pilot.press("enter")
    await pilot.pause(0.1)


async def test_tree_labels_counts_and_category_groups(topic_folder: Path) -> None:
    app = ReaderApp(topic_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        nodes = tree_nodes(app.main_screen.tree)
        labels = [(depth, label) for depth, label, _ in nodes]
        assert labels[0] == (0, "All articles 4/4")
        by_data = {node.data: (depth, label) for depth, label, node in nodes}
        # One merged Topics branch first: "all Space stories" whatever their category.
        assert by_data[Node("topics")] == (0, "Topics 3")
        assert by_data[Node("topic", "Space")] == (1, "Space 2/2")
        assert by_data[Node("categories")] == (0, "Categories 2")
        assert by_data[Node("category", "news")] == (1, "news 3/3")
        assert by_data[Node("category", "research")] == (1, "research 1/1")
        assert by_data[Node("topic", "Space", "news")] == (2, "Space 2/2")
        assert by_data[Node("topic", "Robotics", "news")] == (2, "Robotics 2/2")
        assert by_data[Node("topic", "Climate", "research")] == (2, "Climate 1/1")
        assert by_data[Node("providers")] == (0, "Providers 2")
        assert by_data[Node("provider", "Orbit Wire")] == (1, "Orbit Wire 2/2")
        assert by_data[Node("provider", "Byte Daily")] == (1, "Byte Daily 2/2")
        order = [node.data for depth, _, node in nodes if depth == 0]
        assert order == [ALL, UNREAD, STARRED, NEW, Node("topics"), Node("categories"), Node("providers")]
        # Topics open; categories and providers closed until asked for.
        tree = app.main_screen.tree
        assert find_node(tree, Node("topics")).is_expanded
        assert not find_node(tree, Node("categories")).is_expanded
        assert not find_node(tree, Node("providers")).is_expanded


async def test_one_category_is_not_grouped(tmp_path: Path) -> None:
    folder = make_library(
        tmp_path / "flat",
        {
            "1.md": article_text("One", topics=["Space"]),
            "2.md": article_text("Two", topics=["Climate"]),
        },
    )
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        top = [node.data for depth, _, node in tree_nodes(app.main_screen.tree) if depth == 0]
        assert top == [ALL, UNREAD, STARRED, NEW, Node("topics"), Node("providers")]
        assert find_node(app.main_screen.tree, Node("topics")).is_expanded


async def test_choosing_a_topic_shows_only_its_articles(topic_folder: Path) -> None:
    app = ReaderApp(topic_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert len(app.main_screen.article_list.rows) == 4

        await choose_in_tree(app, pilot, Node("topic", "Robotics"))
        assert app.main_screen.list_query.node == Node("topic", "Robotics")
        assert titles(app) == ["Moon base", "Robot dog"]
        assert "Robotics 2" in status(app)
        assert app.main_screen.detail.article is not None and app.main_screen.detail.article.title == "Moon base"

        await choose_in_tree(app, pilot, Node("topic", "Space", "news"))
        assert titles(app) == ["Rocket lands", "Moon base"]
        assert "news › Space 2" in status(app)

        await choose_in_tree(app, pilot, Node("category", "research"))
        assert titles(app) == ["Ice sheets"]

        await choose_in_tree(app, pilot, Node("provider", "Byte Daily"))
        assert titles(app) == ["Robot dog", "Ice sheets"]
        assert "Byte Daily 2" in status(app)

        await choose_in_tree(app, pilot, ALL)
        assert len(app.main_screen.article_list.rows) == 4
        assert "All articles 4" in status(app)


async def test_choosing_a_group_branch_does_not_change_the_list(topic_folder: Path) -> None:
    app = ReaderApp(topic_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await choose_in_tree(app, pilot, Node("topics"))
        assert app.main_screen.list_query.node == ALL
        assert len(app.main_screen.article_list.rows) == 4


async def test_sorting_within_a_topic(topic_folder: Path) -> None:
    app = ReaderApp(topic_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await choose_in_tree(app, pilot, Node("topic", "Robotics"))
        app.main_screen.article_list.focus()
        await pilot.press("S")
        assert titles(app) == ["Robot dog", "Moon base"]
        assert app.main_screen.list_query.node == Node("topic", "Robotics")


# --- moving in the list ------------------------------------------------------------


@pytest.fixture
def hundred_folder(tmp_path: Path) -> Path:
    # Quality 99 down to 0: the list's order is the file order.
    return make_library(
        tmp_path / "hundred",
        {f"{n:03d}.md": article_text(f"Story {n:03d}", quality=99 - n, heat=n) for n in range(100)},
    )


async def test_list_keys_move_the_cursor(hundred_folder: Path) -> None:
    app = ReaderApp(hundred_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        article_list = app.main_screen.article_list
        assert app.focused is article_list
        assert len(article_list.rows) == 100
        assert titles(app)[:3] == ["Story 000", "Story 001", "Story 002"]
        page = article_list.scrollable_content_region.height - 1
        assert page > 5

        assert article_list.cursor == 0
        await pilot.press("up")
        assert article_list.cursor == 0
        await pilot.press("down")
        assert article_list.cursor == 1
        await pilot.press("j")
        assert article_list.cursor == 2
        await pilot.press("k")
        assert article_list.cursor == 1
        await pilot.press("up")
        assert article_list.cursor == 0

        await pilot.press("pagedown")
        assert article_list.cursor == page
        await pilot.press("pagedown")
        assert article_list.cursor == 2 * page
        await pilot.press("pageup")
        assert article_list.cursor == page
        await pilot.press("pageup", "pageup")
        assert article_list.cursor == 0

        await pilot.press("end")
        assert article_list.cursor == 99
        assert highlighted_title(app) == "Story 099"
        await pilot.press("down", "j", "pagedown")
        assert article_list.cursor == 99
        await pilot.press("home")
        assert article_list.cursor == 0
        await pilot.press("G")
        assert article_list.cursor == 99
        await pilot.press("g")
        assert article_list.cursor == 0


async def test_the_cursor_row_is_always_on_screen(hundred_folder: Path) -> None:
    app = ReaderApp(hundred_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        article_list = app.main_screen.article_list
        await pilot.press("end")
        await pilot.pause()
        assert any("Story 099" in line for line in list_lines(app))
        assert not any("Story 000" in line for line in list_lines(app))
        await pilot.press("home")
        await pilot.pause()
        assert "Story 000" in list_lines(app)[0]
        await pilot.press(*["pagedown"] * 3)
        await pilot.pause()
        top = article_list.scroll_offset.y
        assert top <= article_list.cursor < top + article_list.scrollable_content_region.height


async def test_detail_follows_the_cursor(hundred_folder: Path) -> None:
    app = ReaderApp(hundred_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert app.main_screen.detail.article is not None and app.main_screen.detail.article.title == "Story 000"
        await pilot.press("down", "down", "down")
        await pilot.pause(0.1)
        assert app.main_screen.detail.article.title == "Story 003"
        assert text_of(app, "#detail-title") == "Story 003"
        await pilot.press("end")
        await pilot.pause(0.1)
        assert app.main_screen.detail.article.title == "Story 099"


async def test_tab_moves_focus_between_tree_list_and_related(tmp_path: Path) -> None:
    folder = make_library(
        tmp_path / "tabs",
        {
            "1.md": article_text(
                "With related",
                quality=90,
                related=[{"title": "Elsewhere", "webUrl": "https://other.example.org/x"}],
            ),
            "2.md": article_text("Plain", quality=10),
        },
    )
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        related = app.query_one("#detail-related", RelatedList)
        assert related.display
        assert app.focused is app.main_screen.article_list
        await pilot.press("tab")
        assert app.focused is app.main_screen.detail  # the pane itself, so keys scroll a long body
        await pilot.press("tab")
        assert app.focused is related
        await pilot.press("tab")
        assert app.focused is app.main_screen.tree
        await pilot.press("tab")
        assert app.focused is app.main_screen.article_list
        await pilot.press("shift+tab")
        assert app.focused is app.main_screen.tree
        await pilot.press("shift+tab")
        assert app.focused is related
        await pilot.press("shift+tab")
        assert app.focused is app.main_screen.detail
        await pilot.press("shift+tab")
        assert app.focused is app.main_screen.article_list

        # Without related stories, tab goes from the list to the detail pane, then the tree.
        await pilot.press("down")
        await pilot.pause(0.1)
        assert not related.display
        await pilot.press("tab")
        assert app.focused is app.main_screen.detail
        await pilot.press("tab")
        assert app.focused is app.main_screen.tree
        await pilot.press("tab")
        assert app.focused is app.main_screen.article_list


# --- the detail pane ---------------------------------------------------------


@pytest.fixture
def detail_folder(tmp_path: Path) -> Path:
    return make_library(
        tmp_path / "detail",
        {
            "main.md": article_text(
                "Launch window opens",
                quality=77,
                heat=-1,
                topics=["Space", "Rockets"],
                category="analysis",
                type="video",
                provider=("Orbit Wire", "orbitwire.com"),
                web_url="https://www.orbitwire.com/launch",
                published=False,
                excerpt="The window is short this year.",
                body="## Countdown\n\nEngines are **fuelled** and ready.\n\n- first stage\n- second stage\n",
                related=[
                    {
                        "title": "Pad repairs finished",
                        "webUrl": "https://www.orbitwire.com/pad",
                        "publishedDateTime": "2021-06-01T00:00:00Z",
                        "quality": 60,
                        "provider": "Orbit Wire",
                    },
                    {
                        "title": "Rival rocket delayed",
                        "webUrl": "https://news.example.net/rival",
                        "provider": "Example News",
                    },
                ],
            ),
            "pad.md": article_text(
                "Pad repairs finished", quality=40, heat=12, topics=["Ground"], web_url="https://www.orbitwire.com/pad"
            ),
        },
    )


async def test_detail_shows_every_field(detail_folder: Path) -> None:
    app = ReaderApp(detail_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert highlighted_title(app) == "Launch window opens"
        article = app.main_screen.detail.article
        assert article is not None and article.id == app.main_screen.library.articles[app.main_screen.article_list.highlighted].id

        assert text_of(app, "#detail-title") == "Launch window opens"
        meta = text_of(app, "#detail-meta")
        for expected in (
            "Orbit Wire",
            "orbitwire.com",
            "Quality 77",
            "Heat no data",
            "Topics Space, Rockets",
            "analysis / video",
            "UTC",  # the zone of the date, which is shown in local time
            "DRAFT",
            "2021",
        ):
            assert expected in meta, expected
        assert text_of(app, "#detail-excerpt") == "The window is short this year."

        body = app.query_one("#detail-body", Markdown)
        assert body.display
        rendered = "\n".join(str(block.render()) for block in body.query(MarkdownBlock))
        assert "Countdown" in rendered
        assert "Engines are fuelled and ready." in rendered
        assert "second stage" in rendered
        assert "**" not in rendered  # rendered, not shown as source

        related = app.query_one("#detail-related", RelatedList)
        assert related.display and related.option_count == 2
        first = str(related.get_option_at_index(0).prompt)
        second = str(related.get_option_at_index(1).prompt)
        # One line a story: ● in the library (Enter jumps), ↗ elsewhere (Enter opens).
        assert first.startswith("● Pad repairs finished") and "\n" not in first
        assert "q60" in first and "2021-06-01" in first
        assert second.startswith("↗ Rival rocket delayed")
        assert "Example News" in second
        assert "Related stories  2" in text_of(app, "#detail-related-heading")


async def test_detail_of_a_plain_article_hides_empty_parts(detail_folder: Path) -> None:
    app = ReaderApp(detail_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await move_to_title(app, pilot, "Pad repairs finished")
        meta = text_of(app, "#detail-meta")
        assert "Quality 40" in meta and "Heat 12" in meta
        assert "DRAFT" not in meta
        assert not app.query_one("#detail-excerpt").display
        assert not app.query_one("#detail-body").display
        assert not app.query_one("#detail-related").display
        assert not app.query_one("#detail-related-heading").display


async def test_draft_is_marked_in_the_list(detail_folder: Path) -> None:
    app = ReaderApp(detail_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        lines = list_lines(app)
        assert lines[0].startswith("•◌ Launch window opens")  # unread, and a draft
        assert lines[1].startswith("•  Pad repairs finished")


async def test_empty_folder_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert app.main_screen.article_list.highlighted is None
        assert "No articles here." in list_lines(app)[0]
        assert text_of(app, "#detail-title") == "No articles here."
        recorder = intercept_browser(app)
        await pilot.press("o", "y", "s", "S", "end", "enter")
        assert (await recorder.seen()) == []
        assert app.is_running


# --- related stories ----------------------------------------------------------


@pytest.fixture
def related_folder(tmp_path: Path) -> Path:
    return make_library(
        tmp_path / "related",
        {
            "a.md": article_text(
                "Probe reaches Mars",
                quality=90,
                topics=["Space"],
                related=[
                    {"title": "Lander test passes", "webUrl": "https://www.example.com/lander"},
                    {"title": "Ocean warming study", "webUrl": "https://www.example.com/ocean/"},
                    {"title": "Outside story", "webUrl": "https://elsewhere.example.org/story?id=7"},
                ],
            ),
            "b.md": article_text(
                "Lander test passes", quality=80, topics=["Space"], web_url="https://www.example.com/lander"
            ),
            "c.md": article_text(
                "Ocean warming study", quality=10, topics=["Climate"], web_url="https://WWW.example.com/ocean"
            ),
        },
    )


async def choose_related(app: ReaderApp, pilot, position: int) -> None:
    """Enter on the list focuses the related stories; move to one and press enter."""
    await pilot.press("enter")
    await pilot.pause()
    related = app.query_one("#detail-related", RelatedList)
    assert app.focused is related
    related.highlighted = position
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause(0.1)


async def test_related_in_library_jumps_to_it(related_folder: Path) -> None:
    app = ReaderApp(related_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        recorder = intercept_browser(app)
        await choose_in_tree(app, pilot, Node("topic", "Space"))
        app.main_screen.article_list.focus()
        await pilot.pause()
        assert titles(app) == ["Probe reaches Mars", "Lander test passes"]

        await choose_related(app, pilot, 0)
        assert (await recorder.seen()) == []
        assert app.main_screen.list_query.node == Node("topic", "Space")  # it is in this topic: stay here
        assert highlighted_title(app) == "Lander test passes"
        assert app.focused is app.main_screen.article_list
        assert app.main_screen.detail.article is not None and app.main_screen.detail.article.title == "Lander test passes"


async def test_related_outside_the_topic_switches_to_all_articles(related_folder: Path) -> None:
    app = ReaderApp(related_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        recorder = intercept_browser(app)
        await choose_in_tree(app, pilot, Node("topic", "Space"))
        app.main_screen.article_list.focus()
        await pilot.pause()

        # Its URL differs in case and trailing slash: still the same story.
        await choose_related(app, pilot, 1)
        assert (await recorder.seen()) == []
        assert app.main_screen.list_query.node == ALL
        assert len(app.main_screen.article_list.rows) == 3
        assert highlighted_title(app) == "Ocean warming study"
        assert "All articles 3" in status(app)
        assert app.main_screen.tree.cursor_node is not None and app.main_screen.tree.cursor_node.data == ALL
        assert app.main_screen.detail.article is not None and app.main_screen.detail.article.title == "Ocean warming study"


async def test_related_outside_the_library_opens_its_url(related_folder: Path) -> None:
    app = ReaderApp(related_folder, use_cache=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        recorder = intercept_browser(app)
        await choose_related(app, pilot, 2)
        assert (await recorder.seen()) == ["https://elsewhere.example.org/story?id=7"]
        assert highlighted_title(app) == "Probe reaches Mars"


# --- opening and copying links -------------------------------------------------


@pytest.fixture
def link_folder(tmp_path: Path) -> Path:
    return make_library(
        tmp_path / "links",
        {
            "1.md": article_text(
                "Both links",
                quality=90,
                web_url="https://aggregator.example.com/both",
                original_url="https://publisher.example.com/both",
            ),
            "2.md": article_text("Web link only", quality=80, web_url="https://aggregator.example.com/web"),
            "3.md": article_text(
                "Script link", quality=70, web_url="javascript:alert(1)", original_url="javascript:alert(2)"
            ),
            "4.md": article_text(
                "Script original",
                quality=60,
                web_url="https://aggregator.example.com/safe",
                original_url="javascript:alert(3)",
                body="[click me](javascript:alert(4)) and [a page](https://ok.example.com/page)\n",
            ),
        },
    )


async def test_o_opens_original_url_else_web_url(link_folder: Path) -> None:
    app = ReaderApp(link_folder, use_cache=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        recorder = intercept_browser(app)
        await pilot.press("o")
        assert (await recorder.seen()) == ["https://publisher.example.com/both"]
        await pilot.press("down", "o")
        assert (await recorder.seen())[-1] == "https://aggregator.example.com/web"
        # A javascript: originalUrl is never kept: the web link is opened instead.
        await pilot.press("down", "down", "o")
        assert highlighted_title(app) == "Script original"
        assert (await recorder.seen())[-1] == "https://aggregator.example.com/safe"
        assert any(n.title == "Opening in browser" for n in notifications(app))


async def test_javascript_links_are_refused(link_folder: Path) -> None:
    app = ReaderApp(link_folder, use_cache=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        recorder = intercept_browser(app)
        await move_to_title(app, pilot, "Script link")
        meta = text_of(app, "#detail-meta")
        assert "No web link" in meta
        await pilot.press("o")
        assert (await recorder.seen()) == []
        warnings = [n for n in notifications(app) if n.severity == "warning"]
        assert warnings and warnings[-1].title == "Not opened"

        await pilot.press("y")
        assert app.clipboard == ""
        assert "no web link" in notifications(app)[-1].message

        # The app's own check, whatever hands it a link.
        app.main_screen.links.open("javascript:alert(1)")
        await pilot.pause()
        assert (await recorder.seen()) == []
        assert notifications(app)[-1].message == "Only http and https links are opened."
        assert notifications(app)[-1].severity == "warning"


async def test_links_in_the_body_go_through_the_same_check(link_folder: Path) -> None:
    app = ReaderApp(link_folder, use_cache=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        recorder = intercept_browser(app)
        await move_to_title(app, pilot, "Script original")
        body = app.query_one("#detail-body", Markdown)
        assert body.display
        body.post_message(Markdown.LinkClicked(body, "javascript:alert(4)"))
        await pilot.pause()
        assert (await recorder.seen()) == []
        assert notifications(app)[-1].severity == "warning"
        body.post_message(Markdown.LinkClicked(body, "https://ok.example.com/page"))
        await pilot.pause()
        assert (await recorder.seen()) == ["https://ok.example.com/page"]


async def test_without_a_browser_the_link_is_copied(link_folder: Path) -> None:
    app = ReaderApp(link_folder, use_cache=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        recorder = intercept_browser(app, available=False)
        await pilot.press("o")
        assert (await recorder.seen()) == []
        assert app.clipboard == "https://publisher.example.com/both"
        assert notifications(app)[-1].title == "No browser here: link copied"


async def test_y_copies_the_link(link_folder: Path) -> None:
    app = ReaderApp(link_folder, use_cache=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        recorder = intercept_browser(app)
        await pilot.press("y")
        assert app.clipboard == "https://publisher.example.com/both"
        last = notifications(app)[-1]
        assert last.title == "Link copied" and last.message == "https://publisher.example.com/both"
        await pilot.press("down", "y")
        assert app.clipboard == "https://aggregator.example.com/web"
        assert (await recorder.seen()) == []


# --- hostile titles -----------------------------------------------------------------

HOSTILE = ["[/]", "[@click=app.quit]x[/]", "[bold red]x"]
RAW_ESC_TITLE = "Esc \x1b[31mred\x1b[0m \x1b]0;owned\x07title \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ end"


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    for number, title in enumerate(HOSTILE):
        write_article(
            folder,
            f"{number}.md",
            article_text(
                title, quality=90 - number, excerpt=f"excerpt {title}", topics=[title], provider=(title, "x.com")
            ),
        )
    # Raw ESC bytes in the file (json.dumps would escape them, so write the scalars by hand).
    raw = (
        "---\n"
        f"title: '{RAW_ESC_TITLE}'\n"  # single-quoted: the backslash of ST is literal
        'excerpt: "Raw \x1b[2J\x1b[Hclear and \x1b[5mblink\x1b[0m"\n'
        "quality: 10\n"
        "webUrl: https://www.example.com/esc\n"
        "topics: [Escapes]\n"
        "---\n\nBody \x1b[31mred\x1b[0m text\n"
    )
    write_article(folder, "raw.md", raw.encode("utf-8"))
    # ESC written as a YAML escape: it reaches the parser as a real control character.
    write_article(
        folder,
        "escaped.md",
        '---\ntitle: "Yaml \\e[1mbold\\e[0m \\x9b31m title"\nquality: 5\n'
        'webUrl: https://www.example.com/yaml-esc\nexcerpt: "Yaml \\e]52;c;aGk=\\a excerpt"\n---\n',
    )
    return folder


def assert_no_escape(app: ReaderApp) -> None:
    assert "\x1b" not in screen_segments_text(app)
    assert "\x9b" not in screen_segments_text(app)
    for line in list_lines(app):
        assert "\x1b" not in line


async def test_hostile_titles_are_shown_literally(hostile_folder: Path) -> None:
    app = ReaderApp(hostile_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert len(app.main_screen.library) == 5, app.main_screen.library.errors
        lines = list_lines(app)
        for position, title in enumerate(HOSTILE):
            assert lines[position].startswith("•  " + title), (lines[position], title)
        assert_no_escape(app)

        for title in HOSTILE:
            await move_to_title(app, pilot, title)
            assert text_of(app, "#detail-title") == title
            assert text_of(app, "#detail-excerpt") == f"excerpt {title}"
            assert f"{title} x.com" in text_of(app, "#detail-meta")
            assert_no_escape(app)
        # The tree's labels are literal too.
        assert any(label == "[@click=app.quit]x[/] 1/1" for _, label, _ in tree_nodes(app.main_screen.tree))
        # The status line, with a hostile topic chosen.
        await choose_in_tree(app, pilot, Node("topic", "[/]"))
        assert "[/] 1" in status(app)
        assert titles(app) == ["[/]"]
        assert app.is_running


async def test_escape_sequences_never_reach_the_screen(hostile_folder: Path) -> None:
    app = ReaderApp(hostile_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        esc_titles = [t for t in titles(app) if t.startswith(("Esc", "Yaml"))]
        assert len(esc_titles) == 2
        for title in esc_titles:
            assert not any(ch in title for ch in "\x1b\x07\x9b")
            await move_to_title(app, pilot, title)
            shown = text_of(app, "#detail-title")
            assert shown == title
            assert "title" in shown and ("red" in shown or "bold" in shown)
            assert "\x1b" not in text_of(app, "#detail-excerpt")
            assert_no_escape(app)
        assert app.is_running


async def test_clicking_a_hostile_title_does_not_run_an_action(hostile_folder: Path) -> None:
    app = ReaderApp(hostile_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await move_to_title(app, pilot, "[@click=app.quit]x[/]")
        await pilot.click("#detail-title")
        await pilot.pause()
        await pilot.click("#list", offset=(3, app.main_screen.article_list.cursor))
        await pilot.pause()
        assert app.is_running
        assert app.return_code is None


# --- errors and help ------------------------------------------------------------


@pytest.fixture
def broken_folder(tmp_path: Path) -> Path:
    folder = make_library(tmp_path / "broken", {"good.md": article_text("Good one")})
    write_article(folder, "bad/yaml.md", "---\ntitle: [unclosed\nquality: 1\n---\n")
    write_article(folder, "empty.md", "")
    write_article(folder, "notes.txt", "no front matter here\n")
    return folder


async def test_unreadable_files_are_counted_and_listed(broken_folder: Path) -> None:
    app = ReaderApp(broken_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert len(app.main_screen.library) == 1
        assert "2 unreadable" in text_of(app, "#status-problems")
        assert app.query_one("#status-problems").display

        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ErrorsScreen)
        table = app.screen.query_one(DataTable)
        rows = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert "bad/yaml.md" in rows and "invalid YAML" in rows["bad/yaml.md"]
        assert rows.get("empty.md") == "empty file"
        assert rows.get("notes.txt", "").startswith("skipped")
        summary = str(app.screen.query_one("#errors-summary", Static).render())
        assert summary.startswith("2 unreadable, 0 duplicates")

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorsScreen)
        assert app.focused is app.main_screen.article_list


async def test_no_problems_means_no_problem_count(sort_folder: Path) -> None:
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert not app.query_one("#status-problems").display
        await pilot.press("e")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert str(table.get_row_at(0)[0]) == "Every file loaded."
        await pilot.press("e")  # e closes it too
        await pilot.pause()
        assert not isinstance(app.screen, ErrorsScreen)


async def test_help_lists_the_keys(sort_folder: Path) -> None:
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(widget.render()) for widget in app.screen.query(Static))
        # Every command that has keys is listed, with its description, from the one table.
        from reader.commands import COMMANDS, PANES

        for command in COMMANDS:
            if command.keys:
                # The panes' keys are one section, by title; the others by description.
                wanted = command.title if command.scope in PANES else command.description
                assert wanted in text, command.id
        for section in ("Everywhere", "In the panes", "Search line", "Mouse"):
            assert section in text, section
        assert "shift+tab" in text and "J" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits(sort_folder: Path) -> None:
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


# --- loading -------------------------------------------------------------------


async def test_second_start_reads_the_cache(sort_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_path = tmp_path / "c.sqlite3"
    first = ReaderApp(sort_folder, cache_path=cache_path)
    async with first.run_test(size=SIZE) as pilot:
        await start(first, pilot)
        assert titles(first) == QUALITY_ORDER
    assert cache_path.exists()

    # Hold the folder scan until the test lets it go: whatever is on screen before that
    # came from the cache.
    import reader.folder_loader

    release = threading.Event()
    real_walk = reader.folder_loader.walk

    def held_walk(root):
        release.wait(10)
        yield from real_walk(root)

    monkeypatch.setattr(reader.folder_loader, "walk", held_walk)
    second = ReaderApp(sort_folder, cache_path=cache_path)
    try:
        async with second.run_test(size=SIZE) as pilot:
            for _ in range(200):  # the first screen's rows, then the library read whole from the cache
                if second.main_screen.library.complete:
                    break
                await pilot.pause(0.02)
            assert titles(second) == QUALITY_ORDER
            # Read whole from the cache: the whole library, while the held walk looks for changes.
            assert second.main_screen.library.complete
            assert "Alpha" in list_lines(second)[0]

            release.set()
            await start(second, pilot)
            assert titles(second) == QUALITY_ORDER
            assert second.main_screen.library.complete
            assert second.main_screen.detail.article is not None and second.main_screen.detail.article.title == "Alpha"
            assert not second.query_one("#status-loading").display
    finally:
        release.set()


async def test_cache_notices_changed_files(sort_folder: Path, tmp_path: Path) -> None:
    cache_path = tmp_path / "c.sqlite3"
    first = ReaderApp(sort_folder, cache_path=cache_path)
    async with first.run_test(size=SIZE) as pilot:
        await start(first, pilot)
    write_article(sort_folder, "z.md", article_text("Zeta", quality=99))
    (sort_folder / "a.md").unlink()
    second = ReaderApp(sort_folder, cache_path=cache_path)
    async with second.run_test(size=SIZE) as pilot:
        await start(second, pilot)
        assert titles(second) == ["Zeta", "Gamma", "Beta", "Eps", "Delta"]


async def test_loading_keeps_the_cursor_on_its_article(sort_folder: Path, tmp_path: Path) -> None:
    """A newer library (the final one after the cached one) keeps the highlighted article."""
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("down", "down")
        assert highlighted_title(app) == "Beta"
        app.main_screen.post_message(LibraryLoaded(app.main_screen.library))
        await pilot.pause()
        assert highlighted_title(app) == "Beta"


async def test_a_missing_folder_does_not_crash(tmp_path: Path) -> None:
    app = ReaderApp(tmp_path / "nowhere", use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert app.is_running
        assert app.main_screen.article_list.highlighted is None


# --- a large library ---------------------------------------------------------------


async def test_ten_thousand_articles(tmp_path: Path) -> None:
    from bench.corpus import write_corpus

    folder = tmp_path / "big"
    write_corpus(folder, 10_000, seed=1)
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        # Parsed in processes (more than 2,000 files), with nothing reported as failed.
        assert [n.message for n in notifications(app) if n.severity == "error"] == []
        count = len(app.main_screen.library)
        assert count + len(app.main_screen.library.errors) + len(app.main_screen.library.duplicates) == 10_000
        assert count > 9_000
        article_list: ArticleList = app.main_screen.article_list
        assert len(article_list.rows) == count
        assert f"All articles {count:,}" in status(app)

        qualities = [app.main_screen.library.articles[i].quality for i in article_list.rows]
        known = [q for q in qualities if q is not None]
        assert known == sorted(known, reverse=True)

        await pilot.press("end")
        assert article_list.cursor == count - 1
        await pilot.pause(0.1)
        assert app.main_screen.detail.article is not None
        assert app.main_screen.detail.article.id == app.main_screen.library.articles[article_list.rows[-1]].id
        assert any(line.strip() for line in list_lines(app))

        last = article_list.highlighted
        await pilot.press("s")
        assert app.main_screen.list_query.sort is SortKey.HEAT
        heats = [app.main_screen.library.articles[i].heat for i in article_list.rows]
        with_heat = [h for h in heats if h is not None]
        assert with_heat == sorted(with_heat, reverse=True)
        assert heats[len(with_heat) :] == [None] * (count - len(with_heat))
        assert article_list.highlighted == last

        await pilot.press("S", "home", "pagedown", "G")
        assert article_list.cursor == count - 1
        assert app.is_running


# --- the command palette -------------------------------------------------------


async def test_command_palette_has_our_commands(sort_folder: Path) -> None:
    from reader.commands import ReaderCommands, palette_commands

    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        provider = ReaderCommands(app.screen)
        hits = [hit async for hit in provider.discover()]
        shown = [str(hit.display) for hit in hits]
        # Every main-screen command of the table, with its keys in force beside it.
        for command in palette_commands():
            assert any(text.startswith(command.title) for text in shown), command.id
        assert "Sort  (s)" in shown and "Help  (?)" in shown
        # Textual's "Keys" panel duplicates help; its "Screenshot" is replaced by ours.
        system = [command.title for command in app.get_system_commands(app.screen)]
        assert "Keys" not in system and "Screenshot" not in system and "Theme" in system

        by_title = {str(hit.display): hit for hit in hits}
        by_title["Sort by title"].command()
        await pilot.pause()
        assert titles(app) == sorted(QUALITY_ORDER)
        assert "sorted by title ↑" in status(app)  # A to Z: the arrow says ascending
        by_title["Sort by heat"].command()
        await pilot.pause()
        assert titles(app) == HEAT_ORDER


async def test_command_palette_runs_a_command(sort_folder: Path) -> None:
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"sort by heat")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.main_screen.list_query.sort is SortKey.HEAT
        assert titles(app) == HEAT_ORDER


# --- found in review: keys a person reaches for -----------------------------------


async def test_enter_then_enter_jumps_to_the_first_related_story(related_folder: Path) -> None:
    app = ReaderApp(related_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert highlighted_title(app) == "Probe reaches Mars"
        await pilot.press("enter", "enter")  # to the related stories, then the first of them
        await pilot.pause(0.1)
        assert highlighted_title(app) == "Lander test passes"
        assert app.focused is app.main_screen.article_list


async def test_the_detail_pane_scrolls_from_the_keyboard(tmp_path: Path) -> None:
    body = "\n\n".join(f"Paragraph {n} of a long body." for n in range(60))
    folder = make_library(tmp_path / "long", {"a.md": article_text("Long read", body=body)})
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.pause(0.3)  # the Markdown body renders
        await pilot.press("tab")
        assert app.focused is app.main_screen.detail
        assert app.main_screen.detail.scroll_y == 0
        await pilot.press("pagedown", "j", "down")
        await pilot.pause()
        assert app.main_screen.detail.scroll_y > 0
        await pilot.press("home")
        await pilot.pause()
        assert app.main_screen.detail.scroll_y == 0


async def test_a_new_library_leaves_an_untouched_cursor_at_the_top(sort_folder: Path) -> None:
    """While loading, the best articles arrive: a cursor the user has not moved stays on row 0."""
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        write_article(sort_folder, "z.md", article_text("Zenith", quality=99))
        from reader.folder_loader import FolderLoader

        app.main_screen.post_message(LibraryLoaded(FolderLoader(sort_folder).load()))
        await pilot.pause(0.1)
        assert app.main_screen.article_list.cursor == 0
        assert highlighted_title(app) == "Zenith"


async def test_a_new_library_does_not_move_the_tree_cursor_under_the_user(sort_folder: Path) -> None:
    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        app.main_screen.tree.focus()
        await pilot.press("down", "down")
        await pilot.pause()
        where = app.main_screen.tree.cursor_node.data
        assert where is not None and where != ALL
        app.main_screen.post_message(LibraryLoaded(app.main_screen.library))
        await pilot.pause(0.1)
        assert app.main_screen.tree.cursor_node.data == where


async def test_enter_on_a_category_shows_it_and_keeps_it_open(tmp_path: Path) -> None:
    folder = make_library(
        tmp_path / "cats",
        {
            "a.md": article_text("News one", category="news", topics=["Space"]),
            "b.md": article_text("Research one", category="research", topics=["Climate"]),
        },
    )
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await choose_in_tree(app, pilot, Node("category", "news"))
        assert titles(app) == ["News one"]
        branch = next(n for n in app.main_screen.tree._all_nodes() if n.data == Node("category", "news"))
        assert branch.is_expanded


async def test_end_while_loading_waits_for_the_whole_library_and_says_so(sort_folder: Path) -> None:
    from reader.folder_loader import FolderLoader

    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        whole = FolderLoader(sort_folder).load()
        part = Library(list(whole.articles)[:2], complete=False)  # a snapshot of a load half done
        app.main_screen.post_message(LibraryLoaded(part))
        await pilot.pause(0.1)
        app.main_screen.article_list.focus()
        await pilot.press("end")
        await pilot.pause(0.1)
        news = text_of(app, "#status-news")
        assert "once the whole library is in" in news
        assert app.main_screen.article_list.cursor == len(app.main_screen.article_list.rows) - 1
        app.main_screen.post_message(LibraryLoaded(whole))
        await pilot.pause(0.2)
        article_list = app.main_screen.article_list
        assert len(article_list.rows) == len(whole) > 2
        assert article_list.cursor == len(article_list.rows) - 1  # the true last article
        assert "whole library" not in text_of(app, "#status-news")


async def test_a_key_that_moves_the_cursor_cancels_the_wait_for_the_end(sort_folder: Path) -> None:
    from reader.folder_loader import FolderLoader

    app = ReaderApp(sort_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        whole = FolderLoader(sort_folder).load()
        app.main_screen.post_message(LibraryLoaded(Library(list(whole.articles)[:3], complete=False)))
        await pilot.pause(0.1)
        app.main_screen.article_list.focus()
        await pilot.press("end", "up")
        await pilot.pause(0.1)
        app.main_screen.post_message(LibraryLoaded(whole))
        await pilot.pause(0.2)
        assert app.main_screen.article_list.cursor != len(app.main_screen.article_list.rows) - 1
