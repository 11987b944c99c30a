"""Window geometry and table columns that persist, and windows that fit the screen they are on.

:class:`WindowState` is mixed into every top-level window: ``restore_window_state()`` at the end
of ``__init__`` and nothing else — closing saves. A first size is a share of the available
screen area (never the fixed 1280×760 that put the status bar below a 1366×768 screen); a
saved geometry is clamped to a screen that still exists (a second monitor since unplugged).
Saved column widths never fall below what the header's own text needs.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QScreen
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from ispclient.paths import AppPaths


def available_area(widget: QWidget | None = None) -> QRect:
    """The usable area (without task bars) of the widget's screen, else the primary screen."""
    screen: QScreen | None = None
    if widget is not None:
        screen = widget.screen()
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)


def fitted_size(preferred: QSize, widget: QWidget | None = None, share: float = 0.9) -> QSize:
    """``preferred``, shrunk to at most ``share`` of the available screen area."""
    area = available_area(widget)
    return QSize(min(preferred.width(), int(area.width() * share)),
                 min(preferred.height(), int(area.height() * share)))


def clamp_to_screens(widget: QWidget) -> None:
    """Move/shrink a top-level window so all of it is on one existing screen."""
    frame = widget.frameGeometry()
    screens = QGuiApplication.screens()
    if not screens:
        return
    screen = QGuiApplication.screenAt(frame.center()) or max(
        screens, key=lambda s: s.availableGeometry().intersected(frame).width()
        * s.availableGeometry().intersected(frame).height())
    area = screen.availableGeometry()
    extra_w = frame.width() - widget.width()  # window frame and title bar
    extra_h = frame.height() - widget.height()
    width = min(widget.width(), area.width() - extra_w)
    height = min(widget.height(), area.height() - extra_h)
    if (width, height) != (widget.width(), widget.height()):
        widget.resize(max(width, widget.minimumWidth()), max(height, widget.minimumHeight()))
        frame = widget.frameGeometry()
    x = min(max(frame.x(), area.left()), area.right() - frame.width() + 1)
    y = min(max(frame.y(), area.top()), area.bottom() - frame.height() + 1)
    if (x, y) != (frame.x(), frame.y()):
        widget.move(x, y)


def header_minimum(header: QHeaderView, section: int) -> int:
    """The width the section's title (and the sort arrow) needs."""
    model = header.model()
    title = str(model.headerData(section, header.orientation())) if model is not None else ""
    return header.fontMetrics().horizontalAdvance(title) + 28


def keep_headers_readable(header: QHeaderView) -> None:
    """Widen any section narrower than its own title (a width saved while cut off)."""
    for section in range(header.count()):
        if header.isSectionHidden(section):
            continue
        minimum = header_minimum(header, section)
        if header.sectionSize(section) < minimum:
            header.resizeSection(section, minimum)


# The newest value of each (file, key) this process has read or saved, and the keys the file
# does not have: a window opened right after another closed gets what that one left, and the
# file is read once per key.
_saved: dict[tuple[str, str], QByteArray] = {}
_absent: set[tuple[str, str]] = set()


def _write(path: str) -> None:
    """Every value known for this file, written and synced (QSettings' sync ends in an fsync, and
    PySide holds the GIL through it: 0.1–0.5 s on a busy disk, with every thread of the app
    waiting — a lane thread would not help)."""
    st = QSettings(path, QSettings.Format.IniFormat)
    for (file, key), value in _saved.items():
        if file == path:
            st.setValue(key, value)
    st.sync()


def forget_groups(path: str, groups: tuple[str, ...]) -> None:
    """Windows of these kinds open at their first-run size again (their saved state removed)."""
    for slot in [slot for slot in _saved if slot[0] == path and slot[1].split("/")[0] in groups]:
        del _saved[slot]
    st = QSettings(path, QSettings.Format.IniFormat)
    for group in groups:
        st.remove(group)
    st.sync()


def _header_key(group: str, table: str) -> str:
    return f"{group}/{table}_header"


def saved_sort(paths: AppPaths, group: str, table: str) -> tuple[int, bool] | None:
    """(column, descending) of the sort a table's saved header shows, read before its window
    is built (the list's first read starts first); None when nothing was saved. Reads the file,
    as :meth:`WindowState.restore_table` then does (~0.2 ms for a header without a model)."""
    value = QSettings(str(paths.settings_file), QSettings.Format.IniFormat).value(_header_key(group, table))
    if not isinstance(value, QByteArray):
        return None
    header = QHeaderView(Qt.Orientation.Horizontal)
    try:
        if not header.restoreState(value):
            return None
        section = header.sortIndicatorSection()
        return (section, header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder) if section >= 0 else None
    finally:
        header.deleteLater()


class WindowState:
    """Mixin for a QWidget window: geometry and table headers saved per window kind.

    Subclasses set ``state_group`` ("ClientWindow") and ``default_size``, list their tables in
    ``state_tables()`` (name → view) and have ``self.ctx.paths`` (an :class:`AppPaths`).
    ``save_later``: closing keeps the state in memory (the next window of the kind opens with it)
    and the file gets it with the next write — another window's close, at the latest the main
    window's as the app quits; for windows opened and closed all day (a client's), whose close
    would otherwise wait on a disk sync each time."""

    state_group = "Window"
    default_size = QSize(1000, 680)
    save_later = False

    def state_paths(self) -> AppPaths:
        return self.ctx.paths  # type: ignore[attr-defined, no-any-return]

    def state_tables(self) -> dict[str, QTableView]:
        return {}

    def _settings(self) -> QSettings:
        return QSettings(str(self.state_paths().settings_file), QSettings.Format.IniFormat)

    def _saved_value(self, key: str, settings: QSettings | None = None) -> QByteArray | None:
        slot = (str(self.state_paths().settings_file), key)
        known = _saved.get(slot)
        if known is not None or slot in _absent:
            return known
        value = (settings or self._settings()).value(key)
        if isinstance(value, QByteArray):
            _saved[slot] = value
            return value
        _absent.add(slot)
        return None

    def restore_window_state(self) -> bool:
        """Geometry and headers as last saved (clamped to the screens there are now); False when
        nothing was saved and the defaults were used."""
        restored = self.restore_geometry()
        st = self._settings()
        for name, table in self.state_tables().items():
            self.restore_table(name, table, st)
        return restored

    def restore_geometry(self) -> bool:
        """The window's saved size and place (clamped to the screens there are now), else the
        default size; False when nothing was saved."""
        widget = self._widget()
        geometry = self._saved_value(f"{self.state_group}/geometry")
        restored = isinstance(geometry, QByteArray) and widget.restoreGeometry(geometry)
        if restored:
            clamp_to_screens(widget)
        else:
            widget.resize(fitted_size(self.default_size, widget))
        return bool(restored)

    def restore_table(self, name: str, table: QTableView, settings: QSettings | None = None) -> bool:
        """One table's saved header (a table made after the window, e.g. a tab built when first
        shown); sets the table's ``widthsRestored`` property when there was one."""
        saved = self._saved_value(_header_key(self.state_group, name), settings)
        header = table.horizontalHeader()
        if not (isinstance(saved, QByteArray) and header.restoreState(saved)):
            return False
        keep_headers_readable(header)
        table.setProperty("widthsRestored", True)
        return True

    def save_window_state(self) -> None:
        """Geometry and the headers of ``state_tables()`` (a table left out keeps what was saved)."""
        widget = self._widget()
        values = {f"{self.state_group}/geometry": widget.saveGeometry()}
        for name, table in self.state_tables().items():
            values[_header_key(self.state_group, name)] = table.horizontalHeader().saveState()
        path = str(self.state_paths().settings_file)
        _saved.update({(path, key): value for key, value in values.items()})
        _absent.difference_update((path, key) for key in values)
        if not self.save_later:
            _write(path)

    def _widget(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.save_window_state()
        from ispclient.ui import ops

        ops.forget(self._widget())  # answers still on their way are for a closed window
        super().closeEvent(event)  # type: ignore[misc]
