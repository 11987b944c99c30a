"""The user guide (Help ▸ User guide, F1): one offline HTML file whose parts are the pages F1
opens; every window's F1 names a part that exists, and F1 scrolls the guide to it — the Today
page, the client list, the reports, the till, staff, the import, and from a modal dialog."""

from __future__ import annotations

import ast
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

import ispclient
from ispclient.resources import resource_path
from ispclient.ui import help as guide_help
from ispclient.ui.context import AppContext
from ispclient.ui.help import PAGES, GuideWindow
from ispclient.ui.main_window import MainWindow

from .conftest import settle

UI = Path(ispclient.__file__).parent / "ui"


class _Anchors(HTMLParser):
    """Every element id, each heading's id with its text, and every link to a part."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.headings: dict[str, str] = {}
        self._heading: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
            if tag in ("h1", "h2", "h3"):
                self._heading = str(a["id"])
                self.headings[self._heading] = ""
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.links.append(str(a["href"])[1:])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3"):
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self.headings[self._heading] += data


def _guide() -> _Anchors:
    parser = _Anchors()
    parser.feed(resource_path("guide", "index.html").read_text(encoding="utf-8"))
    return parser


HEADINGS = _guide().headings


def _f1_pages() -> dict[str, set[str]]:
    """Module → the pages its windows hand to install_f1 / open_guide (read from the source)."""
    found: dict[str, set[str]] = {}
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("install_f1", "open_guide"):
                args = [*node.args, *(k.value for k in node.keywords if k.arg == "page")]
                pages = [a.value for a in args[1:] if isinstance(a, ast.Constant)]
                if pages:
                    found.setdefault(str(path.relative_to(UI)), set()).update(map(str, pages))
    return found


def test_every_page_f1_can_open_is_a_part_of_the_guide_and_every_part_is_a_page() -> None:
    guide = _guide()
    assert len(guide.ids) == len(set(guide.ids)), "an id used twice"
    parts = set(guide.headings) - {""}
    assert set(PAGES) == parts, "PAGES and the guide's parts (h2 ids) differ"
    assert set(guide.links) == parts, "the contents list misses a part or links to none"
    for page in ("today", "staff", "till", "receipts", "import", "reports", "keys", "main"):
        assert page in PAGES


def test_every_window_with_an_f1_page_names_a_part_that_exists() -> None:
    found = _f1_pages()
    for module, pages in found.items():
        assert pages <= set(PAGES), f"{module}: F1 opens {pages - set(PAGES)}, not in the guide"
    expected = {"shifts_window.py": "till", "staff_window.py": "staff", "reports_window.py": "reports",
                "import_wizard.py": "import", "export_dialogs.py": "import", "dialogs/receipt_dialog.py": "receipts",
                "dialogs/correction_dialogs.py": "receipts", "dialogs/payment_dialog.py": "selling",
                "dialogs/sign_in_dialog.py": "staff", "servers_window.py": "servers", "client/window.py": "client"}
    for module, page in expected.items():
        assert page in found.get(module, set()), f"{module} has no F1 to “{page}”"


def test_the_guide_says_the_shortcuts_the_main_window_has(qtbot: QtBot, ctx: AppContext) -> None:
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    text = resource_path("guide", "index.html").read_text(encoding="utf-8")
    keys = text[text.index('<h2 id="keys">'):]
    for action in (main.today_action, main.clients_action, main.find_action, main.new_action, main.pay_action,
                   main.renew_action, main.refresh_action, main.shifts_action, main.reports_action,
                   main.switch_user_action):
        shortcut = action.shortcut().toString()
        assert shortcut and f"<b>{shortcut}</b>" in keys, f"{action.text()}: {shortcut} not in Keys"


def _guide_text() -> str:
    """The guide as plain text, its white space collapsed (a phrase may break across lines)."""
    class Text(HTMLParser):
        parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.feed(resource_path("guide", "index.html").read_text(encoding="utf-8"))
    return " ".join("".join(parser.parts).split())


def _plain(text: str) -> str:
    return text.replace("&", "").removesuffix("…")


def test_the_guide_names_the_menus_tiles_filters_reports_and_roles_the_screens_show(
        qtbot: QtBot, ctx: AppContext) -> None:
    from ispclient.domain.permissions import Role
    from ispclient.store.reports import ReportKind
    from ispclient.ui.reports_window import PRESETS

    main = MainWindow(ctx, start_on_today=True)
    qtbot.addWidget(main)
    text = _guide_text()
    for menu, action in ((main.view_menu, main.today_action), (main.till_menu, main.shifts_action),
                         (main.reports_menu, main.reports_action), (main.file_menu, main.import_action),
                         (main.file_menu, main.export_list_action), (main.file_menu, main.export_action),
                         (main.file_menu, main.switch_user_action), (main.file_menu, main.password_action),
                         (main.manage_menu, main.staff_action)):
        assert action in menu.actions()
        path = f"{_plain(menu.title())} ▸ {_plain(action.text())}"
        assert path in text, f"the guide doesn't say {path}"
    page = main.today_page
    for tile in (page.expired, page.owing, page.takings, page.renewed, page.failures):
        assert tile.caption in text, tile.caption
    assert "Expiring within" in text and page.expiring.caption == "Expiring soon"  # titled with the days once read
    status = main.filters.status
    for i in range(status.count()):
        assert status.itemText(i) in text, status.itemText(i)
    assert main.filters.owes.text() in text
    for kind in (ReportKind.ACTIVE_SUBSCRIBERS, ReportKind.NEW_AND_CHURN, ReportKind.SUBSCRIPTIONS,
                 ReportKind.DEBTORS):
        assert kind.value in text, kind.value
    revenue = text[text.index("Revenue per day"):text.index("Active subscribers")]  # "Revenue per day, per month…"
    for kind in ReportKind:
        if kind.value.startswith("Revenue "):
            assert kind.value.removeprefix("Revenue ") in revenue, kind.value
    for preset in PRESETS:
        assert preset in text, preset
    for role in Role:
        assert f"{role.label}:" in text, role.label


def _guide_window() -> GuideWindow:
    window = guide_help._window
    assert window is not None and window.isVisible()
    return window


def _top_line(guide: GuideWindow) -> str:
    """The line at the top of the guide's view."""
    browser = guide.browser
    return browser.cursorForPosition(browser.viewport().rect().topLeft() + QPoint(4, 4)).block().text()


def _press_f1(qtbot: QtBot, window: QWidget) -> GuideWindow:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    guide = _guide_window()
    qtbot.waitExposed(guide)
    return guide


def _at(qtbot: QtBot, guide: GuideWindow, page: str) -> None:
    qtbot.waitUntil(lambda: _top_line(guide) == HEADINGS[page], timeout=3000)


def test_f1_on_the_today_page_opens_its_part_and_on_the_list_finding_a_client(
        qtbot: QtBot, ctx: AppContext) -> None:
    main = MainWindow(ctx, start_on_today=True)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    settle(qtbot)
    assert main.tabs.currentWidget() is main.today_page
    guide = _press_f1(qtbot, main)
    assert guide.browser.source().isLocalFile()
    _at(qtbot, guide, "today")
    assert HEADINGS["today"] == "The Today page"
    guide.close()
    qtbot.keyClick(main, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # the client list
    assert main.tabs.currentWidget() is main.clients_page
    _at(qtbot, _press_f1(qtbot, main), "main")
    qtbot.keyClick(main, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert main.tabs.currentWidget() is main.today_page
    main.guide_action.trigger()  # Help ▸ User guide: the part about what the window shows
    _at(qtbot, _guide_window(), "today")


def test_f1_in_the_reports_window_opens_the_reports_and_esc_closes_it(qtbot: QtBot, ctx: AppContext) -> None:
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    reports = main.show_reports()
    qtbot.waitExposed(reports)
    settle(qtbot)
    guide = _press_f1(qtbot, reports)
    _at(qtbot, guide, "reports")
    assert HEADINGS["reports"] == "Reports"
    guide.close()
    reports.activateWindow()
    qtbot.waitUntil(reports.isActiveWindow, timeout=2000)
    qtbot.keyClick(reports, Qt.Key.Key_Escape)
    assert not reports.isVisible()


@pytest.mark.parametrize(("show", "page"), [
    (lambda main: main.show_shifts(), "till"),
    (lambda main: main.show_staff(), "staff"),
    (lambda main: __import__("ispclient.ui.import_wizard", fromlist=["x"]).open_import(main.ctx, main), "import"),
], ids=["shifts", "staff", "import"])
def test_f1_in_the_till_staff_and_import_windows_opens_their_part(
        qtbot: QtBot, ctx: AppContext, show: Callable[[MainWindow], QWidget], page: str) -> None:
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    window = show(main)
    qtbot.waitExposed(window)
    settle(qtbot)
    _at(qtbot, _press_f1(qtbot, window), page)


def test_f1_in_a_modal_dialog_opens_the_guide_under_it_where_it_can_be_read(qtbot: QtBot, ctx: AppContext) -> None:
    """The sign-in at the first start is exec()'d: the guide goes under it (not blocked by it),
    even when the guide was already open under the main window."""
    from ispclient.ui.session import sign_in_at_start

    main = MainWindow(ctx)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    main.guide_action.trigger()
    assert _guide_window().parentWidget() is not None  # open already, under a window the dialog will block
    seen: list[tuple[bool, str, bool]] = []

    def answer() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None:
            QTimer.singleShot(20, answer)
            return
        guide = _press_f1(qtbot, modal)
        _at(qtbot, guide, "staff")
        line = _top_line(guide)
        guide.activateWindow()
        qtbot.waitUntil(guide.isActiveWindow, timeout=2000)
        qtbot.keyClick(guide.browser, Qt.Key.Key_Escape)  # a window the dialog blocks takes no key: stays open
        seen.append((guide.parentWidget() is modal, line, guide.isVisible()))
        modal.close()

    QTimer.singleShot(0, answer)
    assert not sign_in_at_start(ctx)  # no staff yet: the owner account is asked for; closed unanswered
    assert seen == [(True, "Signing in, staff and roles", False)]
