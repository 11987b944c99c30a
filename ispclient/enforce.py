"""Auto-renew, expiry enforcement and the router change queue in one run — no Qt.

The app runs :func:`enforce` on a timer in a worker; ``ispclient enforce --data-dir D`` runs
:func:`run_headless` (Windows Task Scheduler at night, app closed). Same rules either way:

1. roll expired auto-renew subscriptions into their next period;
2. queue each client whose desired PPP secret changed (expiry after the grace period, …);
3. apply the queue to every router.

Exit status: 0 all applied, 1 some changes wait for a router that can't be reached, 2 a
router refused a change or the run failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from ispclient.paths import AppPaths
from ispclient.routeros.credentials import CredentialStore
from ispclient.routeros.target import RouterTarget
from ispclient.store import router_queue, settings
from ispclient.store.provisioning import sync_all
from ispclient.store.secrets import PasswordCipher
from ispclient.store.subscriptions import run_auto_renew

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PENDING, EXIT_ERROR = 0, 1, 2
ACTOR = "enforce"
_VERBS = {"disable": "disabled", "limit": "limited", "remove": "removed", "nothing": "expired"}


@dataclass
class EnforceSummary:
    renewed: int = 0
    cut_off: int = 0  # clients newly disabled / limited / removed
    restored: int = 0  # clients back in service
    applied: int = 0  # queue entries applied
    pending: int = 0  # waiting for an unreachable router
    failed: int = 0  # refused by a router
    action: str = "disable"
    managed: bool = True
    problems: dict[str, str] = field(default_factory=dict)  # router name → why not reached

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_ERROR
        return EXIT_PENDING if self.pending else EXIT_OK

    def line(self) -> str:
        text = (f"enforce: {self.renewed} renewed, {self.cut_off} {_VERBS.get(self.action, 'expired')}, "
                f"{self.restored} re-enabled, {self.applied} applied, {self.pending} pending, {self.failed} failed")
        if not self.managed:
            text += " (router secrets not managed)"
        return text


def router_targets(credentials: CredentialStore) -> dict[int, RouterTarget]:
    """A ready target per router whose API password this PC has; the others are left out."""
    return router_queue.router_targets(credentials.get)


def apply_rules(*, today: date | None = None, actor: str = ACTOR) -> EnforceSummary:
    """Steps 1 and 2 alone — auto-renew and queueing what expiry changes — which never wait on
    a router (the app runs them on their own timer, apart from draining the queue)."""
    with router_queue.own_connection():
        s = settings.load()
        today = today or settings.today()
        summary = EnforceSummary(action=s.expiry_action, managed=s.manage_secrets)
        summary.renewed = len(run_auto_renew(today, actor=actor))
        counts = sync_all(today=today, actor=actor)
        summary.cut_off, summary.restored = counts.cut_off, counts.restored
        summary.pending, summary.failed = router_queue.waiting_counts()
    return summary


def enforce(
    targets: Mapping[int, RouterTarget],
    *,
    today: date | None = None,
    now: datetime | None = None,
    cipher: PasswordCipher | None = None,
    ignore_backoff: bool = False,
    actor: str = ACTOR,
) -> EnforceSummary:
    """One full run against an open database; safe in a worker thread (own connection).

    Routers are drained side by side, each within its own deadlines, so the run ends within
    the slowest router's deadlines (the login, then one per change it applies)."""
    with router_queue.own_connection():
        summary = apply_rules(today=today, actor=actor)
        report = router_queue.drain(targets, cipher=cipher, now=now, actor=actor, ignore_backoff=ignore_backoff)
        summary.applied, summary.pending, summary.failed = report.applied, report.pending, report.failed
        names = router_queue.server_names()
        summary.problems = {names.get(sid, str(sid)): why for sid, why in report.problems.items()}
        router_queue.purge()
    log.info("%s", summary.line())
    return summary


def run_headless(app_paths: AppPaths, db_url: str | None = None, *, now: datetime | None = None,
                 out: Callable[[str], object] = print) -> int:
    """``ispclient enforce``: open the database, run once, print the one-line summary."""
    from ispclient import store

    try:
        store.open_database(db_url or app_paths.database, backup_dir=app_paths.backup_dir)
        try:
            credentials = CredentialStore(settings.keyring_service())
            summary = enforce(router_targets(credentials), now=now, ignore_backoff=True)
        finally:
            store.close_database()
    except Exception as error:  # noqa: BLE001 - Task Scheduler only sees the exit status and this line
        log.exception("enforce failed")
        out(f"enforce: error: {type(error).__name__}: {error}")
        return EXIT_ERROR
    out(summary.line())
    for name, why in summary.problems.items():
        out(f"  {name}: {why}")
    return summary.exit_code
