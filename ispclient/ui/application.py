"""Starting the GUI: the QApplication, the database, the context, the status service and the
main window — and stopping them in the right order."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from ispclient import APP_DISPLAY_NAME, APP_NAME, __version__
from ispclient.paths import AppPaths

if TYPE_CHECKING:
    from ispclient.ui.backup_actions import BackupActions
    from ispclient.ui.context import AppContext
    from ispclient.ui.main_window import MainWindow
    from ispclient.ui.queue_runner import QueueRunner
    from ispclient.ui.status_service import StatusService

log = logging.getLogger(__name__)

# Styles that follow the OS light/dark colour scheme (Qt 6.5+); Windows 10's default
# "windowsvista" stays light on a dark desktop, so there we switch to Fusion.
_SCHEME_AWARE_STYLES = {"fusion", "windows11", "macos"}
GUI_SWITCH_INTERVAL_S = 0.001  # see create_app


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    """The one QApplication, named so QSettings and the keyring find our entries."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)
    try:
        from ispclient.resources import resource_path

        app.setWindowIcon(QIcon(str(resource_path("icons", "app.svg"))))
    except (ImportError, FileNotFoundError):
        log.warning("The application icon is missing")
    follow_colour_scheme(app)
    from ispclient.ui import collector

    collector.install(app)  # the cyclic collector runs on this thread only (see collector.py)
    # A background thread running Python hands the GIL to the waiting GUI thread after a switch
    # interval — and the GUI thread takes it again at every call from Qt into Python (each cell
    # painted, each event): at the default 5 ms, a status refresh parsed in the background at a
    # million clients froze the window 36-40 ms at a time, at 1 ms 20-24 (bench, side by side).
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: follow_colour_scheme(app))
    return app


def follow_colour_scheme(app: QApplication) -> None:
    """Dark desktop → dark palette: keep a style that follows the scheme, else use Fusion."""
    dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    if dark and app.style().name().lower() not in _SCHEME_AWARE_STYLES:
        app.setStyle("Fusion")


def open_context(app_paths: AppPaths, *, db_url: str | None = None, demo: bool = False) -> AppContext:
    """Open (create or migrate) the database and build the AppContext every window receives."""
    from ispclient.routeros.credentials import CredentialStore
    from ispclient.store import is_open_on, open_database, settings
    from ispclient.ui.context import AppContext, SettingsStore

    app_paths.ensure()
    if db_url is not None or not is_open_on(app_paths.database):
        open_database(db_url or app_paths.database, app_paths.backup_dir)

    # One keyring service per installation: the demo's router passwords never meet the real ones.
    credentials = CredentialStore(settings.keyring_service())
    return AppContext(paths=app_paths, credentials=credentials, store=SettingsStore.load(), demo=demo)


@dataclass
class Session:
    """What a running GUI holds; :meth:`close` stops it in order."""

    app: QApplication
    ctx: AppContext
    status: StatusService
    window: MainWindow
    runner: QueueRunner
    backups: BackupActions
    cleanups: list[Callable[[], object]] = field(default_factory=list)

    def close(self) -> None:
        from ispclient.ui import ops

        # Router calls are cut at once: quitting never waits on a router.
        self.runner.shutdown()
        self.status.shutdown(1000)
        # Each worker closes its own database connection before the database is closed below.
        if not ops.shutdown(2000):
            log.warning("Background work still running at exit (it is left to end with the process)")
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception:
                log.exception("Clean-up failed")
        self.cleanups.clear()


def start_session(app_paths: AppPaths, *, db_url: str | None = None, demo: bool = False,
                  argv: Sequence[str] | None = None) -> Session:
    """Everything up to a built (not yet shown) main window; the demo also gets its data and
    its simulated routers."""
    from ispclient import store
    from ispclient.store import backup
    from ispclient.store.instance_lock import DataInUse, InstanceLock
    from ispclient.ui import msgbox

    app = create_app(argv)
    # The router modules' imports first of all, in the background: started once the window was
    # being built they were still running (holding the GIL in unmarshals) as the list landed and
    # painted — the start's longest stalls (45-59 ms at 100,000 clients; 28-57 started here).
    _preload_router_modules(app)
    cleanups: list[Callable[[], object]] = []
    lock = None
    if demo or backup.sqlite_file(app_paths, db_url) is not None:
        # One window per SQLite data folder: a second one is told plainly who has it open.
        lock = InstanceLock(app_paths.data_dir)
        try:
            lock.acquire(timeout_s=3)  # a restarting app may still be quitting
        except DataInUse as e:
            msgbox.error(None, "ispclient is already open", str(e))
            raise SystemExit(1) from None
        cleanups.append(lock.release)
    try:
        ctx = _open(app_paths, db_url, demo)
        cleanups.append(store.close_database)  # before the lock goes (clean-ups run in reverse)
        if demo:
            from ispclient import demo as demo_data

            routers = demo_data.start_demo_routers(app_paths, ctx.credentials)
            cleanups += [router.stop for router in routers]
            ctx.session.sign_in(demo_data.ensure_demo_staff())  # the demo opens as its owner
        from ispclient.ui.list_read import STATE_GROUP, STATE_TABLE, FirstRead
        from ispclient.ui.models.client_list import ClientListModel
        from ispclient.ui.window_state import saved_sort

        # The list's first read (auto-renew first) starts in the background now, before the
        # window's modules are imported and its widgets built (~0.3 s of this thread that the
        # read overlaps); the window takes it over, and it lands once the event loop runs.
        model = ClientListModel(ctx.connections)
        first_read = FirstRead(ctx, model, saved_sort(app_paths, STATE_GROUP, STATE_TABLE))
        from ispclient.ui.backup_actions import BackupActions
        from ispclient.ui.main_window import MainWindow
        from ispclient.ui.queue_runner import QueueRunner
        from ispclient.ui.status_service import StatusService

        status = StatusService(ctx, app)
        runner = QueueRunner(ctx, parent=app)
        window = MainWindow(ctx, status, model=model, runner=runner, start_on_today=True, first_read=first_read)
        model.setParent(window)
        # The routers are asked once the list is in and painted: the first read and a whole
        # refresh (the routers' answers parsed, applied to the list) competed for the CPU, and
        # the list came ~1 s later for it; building the batches as the list painted held the GIL.
        status.hold_until(window.list_settled)
        backups = BackupActions(window, app_paths, db_url=None if demo else db_url, lock=lock)
        window.add_file_actions(backups.actions)
        from ispclient.domain.permissions import Permission

        if backups.db_path is not None:  # on PostgreSQL they stay off (the server is backed up)
            for action, permission in ((backups.back_up_action, Permission.BACKUP),
                                       (backups.check_action, Permission.BACKUP),
                                       (backups.restore_action, Permission.RESTORE)):
                window.require(action, permission)
        backups.status_message.connect(window.show_note)
    except BaseException:
        for cleanup in reversed(cleanups):
            cleanup()
        raise
    # What start-up made (modules, widgets, the catalog) lives as long as the app: frozen out of
    # the collector's way, or the first full pass on the GUI thread walks it all (~40 ms).
    gc.freeze()
    return Session(app, ctx, status, window, runner, backups, cleanups)


def _preload_router_modules(parent: QObject) -> None:
    """The router modules (librouteros, asyncio: ~50 ms of imports) loaded in the background
    while the database opens and the window is built: neither on the GUI thread before its first
    paint nor by the first status refresh after it (a background import then holds the GIL while
    the window paints)."""
    import importlib

    from ispclient.ui import ops

    ops.Op(parent, lambda: importlib.import_module("ispclient.routeros.status"), lane=ops.Lane.SLOW) \
        .on_failure(lambda e: log.warning("preloading the router modules failed: %r", e)).run()


@contextmanager
def building_splash() -> Iterator[Callable[[int, int], None]]:
    """A splash screen with a progress line while the demo data is made (the window can't open
    before it exists); yields the progress callback."""
    from PySide6.QtGui import QColor, QPainter, QPixmap
    from PySide6.QtWidgets import QSplashScreen

    app = QApplication.instance()
    pixmap = QPixmap(460, 150)
    pixmap.fill(QColor("#f4f6f8"))
    painter = QPainter(pixmap)
    icon = app.windowIcon() if isinstance(app, QApplication) else QIcon()
    icon.paint(painter, 20, 20, 48, 48)
    font = painter.font()
    font.setPointSizeF(font.pointSizeF() * 1.4)
    painter.setFont(font)
    painter.setPen(QColor("#1f2328"))
    painter.drawText(84, 52, f"{APP_DISPLAY_NAME} — demo")
    painter.end()
    splash = QSplashScreen(pixmap)
    splash.show()

    def progress(done: int, total: int) -> None:
        splash.showMessage(f"Making the demo data: {done} of {total} clients…",
                           Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter, QColor("#1f2328"))
        QApplication.processEvents()

    progress(0, 0)
    try:
        yield progress
    finally:
        splash.close()
        splash.deleteLater()


def _open(app_paths: AppPaths, db_url: str | None, demo: bool) -> AppContext:
    """The context on the data; a damaged or too-new database offers a backup instead."""
    from ispclient.store.schema import SchemaError
    from ispclient.ui.backup_actions import offer_restore

    while True:
        try:
            if demo:
                from ispclient import demo as demo_data

                if demo_data.needs_building(app_paths):  # ~25 s the first time: say so, with progress
                    with building_splash() as progress:
                        demo_data.build_demo(app_paths, progress=progress)
                return open_context(app_paths, demo=True)
            return open_context(app_paths, db_url=db_url)
        except SchemaError as e:
            if not offer_restore(None, e, app_paths, db_url):
                raise SystemExit(1) from None


def _signed_in(session: Session, demo: bool) -> bool:
    """From here on nothing changes data unless someone signed in (the demo: its owner already
    is); Switch user and the idle lock are set up. False: nobody signed in, the app closes."""
    from ispclient.store import access
    from ispclient.ui.session import install_locker, sign_in_at_start

    access.set_process_default(None)
    if not demo and not sign_in_at_start(session.ctx):
        return False
    hint = ""
    if demo:
        from ispclient import demo as demo_data

        hint = (f"Demo accounts: {', '.join(f'{u} ({r.value})' for u, _n, r in demo_data.DEMO_STAFF)}; "
                f"password {demo_data.DEMO_STAFF_PASSWORD}")
    session.window.locker = install_locker(session.ctx, session.window, hint)
    return True


def offer_setup(session: Session) -> None:
    """A fresh installation (or a set-up left half-way) opens the set-up wizard once the list has
    loaded and shows no client."""
    from ispclient.ui.setup_wizard import SetupWizard, needs_setup

    window, ctx = session.window, session.ctx

    def loaded() -> None:
        window.list_loaded.disconnect(loaded)
        if needs_setup(ctx.settings(), window.model.counts().total > 0, bool(ctx.catalog().servers)):
            SetupWizard.ask(window, ctx)

    window.list_loaded.connect(loaded)


def run(app_paths: AppPaths, *, db_url: str | None = None, demo: bool = False,
        screenshot_dir: Path | None = None) -> int:
    """Open the app and run until the main window closes; the exit code."""
    session = start_session(app_paths, db_url=db_url, demo=demo)
    try:
        if screenshot_dir is not None:
            from ispclient.ui.screenshots import capture

            return capture(session, Path(screenshot_dir))
        if not _signed_in(session, demo):
            return 0
        session.window.show()
        from ispclient.domain.permissions import Permission

        # A second PC on a shared database (or a restored backup) may lack the PPPoE key; only a
        # role that may import it is asked.
        if not demo and session.ctx.session.can(Permission.SERVERS):
            from ispclient.ui.dialogs.pppoe_key_dialog import offer_import

            offer_import(session.window)
        if not demo and session.ctx.session.can(Permission.SETTINGS):  # the set-up wizard sets them
            offer_setup(session)
        session.status.start()
        session.runner.start()
        session.backups.schedule_automatic_backup()
        return int(session.app.exec())
    finally:
        session.close()
