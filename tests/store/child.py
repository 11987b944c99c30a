"""A second (or third) app process for the crash and concurrency tests.

Run as ``python -m tests.store.child COMMAND ARGS…`` from the repository root. It goes through the
real ``open_database`` and service functions, prints ``ready`` once open, waits for the parent's
"go" file (so two children write at the same moment) and prints one JSON line of results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from ispclient import store
from ispclient.domain.errors import ValidationError
from ispclient.store import clients, instance_lock
from ispclient.store import subscriptions as subs
from ispclient.store.models import Payment


def _wait_for(go: str) -> None:
    print("ready", flush=True)
    deadline = time.monotonic() + 30
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.002)


def _log(f: object, line: str) -> None:
    """Append one line and force it to disk: written only after the transaction committed."""
    f.write(line + "\n")  # type: ignore[attr-defined]
    f.flush()  # type: ignore[attr-defined]
    os.fsync(f.fileno())  # type: ignore[attr-defined]


def crash_loop(target: str, log_path: str, server_id: str, package_id: str) -> None:
    """Write clients, subscriptions and payments until killed, logging each commit after it:
    one line per transaction, ``kind id [kind id…]``."""
    store.open_database(target)
    print("ready", flush=True)
    pid = os.getpid()
    with open(log_path, "a", encoding="utf-8") as log:
        for i in range(1_000_000):
            c = clients.create_client(clients.ClientInput(
                client_code=f"K{pid}-{i}", name=f"Crash test {pid} {i}", pppoe_username=f"k{pid}x{i}",
                server_id=int(server_id)))
            _log(log, f"client {c.id}")
            sub = subs.create_subscription(c.id, int(package_id), date(2026, 1, 1),
                                           payment=subs.PaymentInput("1500"))
            first = Payment.get(Payment.subscription == sub.id)
            _log(log, f"subscription {sub.id} payment {first.id}")  # one transaction, one line
            pay = subs.record_payment(sub.id, subs.PaymentInput("250", reference=f"R{i}"))
            _log(log, f"payment {pay.id}")


def payments(target: str, go: str, subscription_id: str, count: str) -> dict[str, object]:
    store.open_database(target)
    _wait_for(go)
    ids = [subs.record_payment(int(subscription_id), subs.PaymentInput("100")).id for _ in range(int(count))]
    return {"ids": ids}


def receipts(target: str, go: str, client_id: str, subscription_id: str, tag: str, count: str) -> dict[str, object]:
    """Take ``count`` payments (one in three partly to credit), void every 25th, and every 10th
    time first try a payment that is refused after it took its number (a duplicate reference):
    the numbers this process was given, voids included."""
    from ispclient.store import money

    store.open_database(target)
    _wait_for(go)
    numbers: list[str] = []
    refused = 0
    for i in range(int(count)):
        if i % 10 == 0:
            try:
                money.record_payment(int(client_id), money.PaymentInput("100", "Mobile money", "DUP-1"),
                                     subscription_id=int(subscription_id))
                numbers.append("unexpected")
            except money.DuplicateReference:
                refused += 1
        pay = money.record_payment(int(client_id), money.PaymentInput("250" if i % 3 else "100", "Mobile money",
                                                                      f"{tag}-{i}"),
                                   subscription_id=int(subscription_id))
        numbers.append(pay.receipt_no)
        if i % 25 == 24:
            numbers.append(money.void(pay.id, "typed twice").void_receipt_no)
        # A breath between payments, as at a counter: without it one SQLite writer can take the lock
        # back at once after each commit and finish before the other starts (seen under load).
        time.sleep(0.002)
    return {"numbers": numbers, "refused": refused}


def race_clients(target: str, go: str, server_id: str, prefix: str, count: str, clash: str) -> dict[str, object]:
    """Create ``count`` clients whose PPPoE usernames (clash=username) or Client IDs (clash=code)
    the other child also takes. Each outcome is "ok" or the field a ValidationError names."""
    store.open_database(target)
    _wait_for(go)
    outcomes: list[str] = []
    for i in range(int(count)):
        if clash == "username":
            data = clients.ClientInput(client_code=f"{prefix}{i}", name=f"Racer {prefix}{i}",
                                       pppoe_username=f"shared{i}", server_id=int(server_id))
        else:
            data = clients.ClientInput(client_code=f"PPPOE-{i}", name=f"Racer {prefix}{i}")
        try:
            clients.create_client(data)
            outcomes.append("ok")
        except ValidationError as e:
            outcomes.append(",".join(sorted(e.errors)))
    return {"outcomes": outcomes}


def open_at_once(target: str, go: str) -> dict[str, object]:
    from ispclient.store import schema

    _wait_for(go)
    database = store.open_database(target)
    return {"version": schema.version(database)}


def auto_renew(target: str, go: str, today: str) -> dict[str, object]:
    store.open_database(target)
    _wait_for(go)
    return {"created": [s.id for s in subs.run_auto_renew(date.fromisoformat(today))]}


def _rounds(go: str, count: int):  # type: ignore[no-untyped-def]
    """Yield 0…count-1, each once the parent says go for that round (both children at once)."""
    for i in range(count):
        print(f"ready {i}", flush=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(f"{go}-{i}"):
            if time.monotonic() > deadline:
                raise SystemExit(f"no go signal for round {i}")
            time.sleep(0.001)
        yield i


def _outcome(call) -> str:  # type: ignore[no-untyped-def]
    try:
        call()
    except ValidationError as e:
        return type(e).__name__ + ": " + "; ".join(e.errors.values())
    return "ok"


def race_pay(target: str, go: str, ids: str) -> dict[str, object]:
    """Each round: a payment on that round's subscription."""
    store.open_database(target)
    subs_ = [int(i) for i in ids.split(",")]
    return {"outcomes": [_outcome(lambda i=i: subs.record_payment(subs_[i], subs.PaymentInput("100")))
                         for i in _rounds(go, len(subs_))]}


def race_cancel(target: str, go: str, ids: str) -> dict[str, object]:
    store.open_database(target)
    subs_ = [int(i) for i in ids.split(",")]
    return {"outcomes": [_outcome(lambda i=i: subs.cancel_subscription(subs_[i], "Race"))
                         for i in _rounds(go, len(subs_))]}


def race_delete(target: str, go: str, ids: str) -> dict[str, object]:
    store.open_database(target)
    clients_ = [int(i) for i in ids.split(",")]
    return {"outcomes": [_outcome(lambda i=i: clients.delete_client(clients_[i]))
                         for i in _rounds(go, len(clients_))]}


def race_sell(target: str, go: str, ids: str, package_id: str, start: str) -> dict[str, object]:
    store.open_database(target)
    clients_ = [int(i) for i in ids.split(",")]
    return {"outcomes": [_outcome(lambda i=i: subs.create_subscription(clients_[i], int(package_id),
                                                                       date.fromisoformat(start)))
                         for i in _rounds(go, len(clients_))]}


def race_edit(target: str, go: str, ids: str, field: str, value: str) -> dict[str, object]:
    """Each round: open the client's edit form (read it and its version), then at "go" change one
    field and save — as a front-desk PC does."""
    import dataclasses

    from ispclient.store.models import Client

    store.open_database(target)
    clients_ = [int(i) for i in ids.split(",")]
    outcomes: list[str] = []
    forms = []
    for cid in clients_:  # every form is filled before the races start
        c = Client.get_by_id(cid)
        forms.append((clients.ClientInput(c.client_code, c.name, c.phone, c.email, c.address, c.pppoe_username,
                                          c.server_id, c.notes), c.version))
    for i in _rounds(go, len(clients_)):
        data, version = forms[i]
        edited = dataclasses.replace(data, **{field: f"{value} {i}"})
        outcomes.append(_outcome(lambda i=i, edited=edited, version=version: clients.edit_client(
            clients_[i], edited, expected_version=version)))
    return {"outcomes": outcomes}


def shift_pay(target: str, go: str, username: str, password: str, ids: str, method: str, amount: str,
              counted: str) -> dict[str, object]:
    """A cashier on their own PC: sign in, take a payment on each subscription (at the parent's
    go, while the other PC does the same), then close the shift with the cash counted."""
    from ispclient.store import access, shifts, staff

    store.open_database(target)
    actor = staff.sign_in(username, password)
    with access.acting_as(actor):
        _wait_for(go)
        paid = [subs.record_payment(int(i), subs.PaymentInput(amount, method)).id for i in ids.split(",")]
        shift = shifts.my_open_shift()
        assert shift is not None
        report = shifts.close_shift(shift.id, counted) if counted else shifts.shift_report(shift.id)
    return {"shift": report.shift.id, "payments": paid, "expected_cash": report.cash_up.expected_cash_minor,
            "total": report.cash_up.expected_total_minor, "difference": report.shift.difference_minor,
            "entries": [e.id for e in report.entries]}


def backup_then_hang(db_path: str, backup_dir: str) -> None:
    """Start a backup and stop dead once its partial file is written (the parent kills us)."""
    from ispclient.store import backup

    def hang(fd: int) -> None:
        print("ready", flush=True)
        time.sleep(60)

    backup.os.fsync = hang  # type: ignore[assignment]
    backup.create_backup(Path(db_path), Path(backup_dir), "manual")


def hold_lock(data_dir: str) -> None:
    instance_lock.InstanceLock(Path(data_dir)).acquire()
    print("ready", flush=True)
    time.sleep(60)


# --- the parent's side ---------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.store.child", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_ready(proc: subprocess.Popen[str], timeout: float = 30) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        _, err = proc.communicate(timeout=timeout)
        raise AssertionError(f"child did not start: {line!r}\n{err}")


def run_together(tmp: Path, *commands: tuple[str, ...], timeout: float = 60) -> list[dict[str, object]]:
    """Start every child, wait until each is open and ready, then let them all go at once."""
    go = tmp / f"go-{time.monotonic_ns()}"
    procs = [spawn(cmd[0], cmd[1], str(go), *cmd[2:]) for cmd in commands]
    for p in procs:
        wait_ready(p)
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, f"child failed:\n{err}"
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def race_rounds(tmp: Path, rounds: int, *commands: tuple[str, ...],
                timeout: float = 120) -> list[dict[str, object]]:
    """Start every child; then, ``rounds`` times, wait until each is ready for the round and let
    them all go at once."""
    go = tmp / f"go-{time.monotonic_ns()}"
    procs = [spawn(cmd[0], cmd[1], str(go), *cmd[2:]) for cmd in commands]
    try:
        for i in range(rounds):
            for p in procs:
                assert p.stdout is not None
                line = p.stdout.readline().strip()
                if line != f"ready {i}":
                    p.kill()
                    raise AssertionError(f"child not ready for round {i}: {line!r}\n{p.communicate(timeout=30)[1]}")
            Path(f"{go}-{i}").touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            assert p.returncode == 0, f"child failed:\n{err}"
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


COMMANDS = {"crash": crash_loop, "payments": payments, "receipts": receipts, "clients": race_clients,
            "open": open_at_once,
            "renew": auto_renew, "lock": hold_lock, "pay": race_pay, "cancel": race_cancel,
            "delete": race_delete, "sell": race_sell, "edit": race_edit, "hang-backup": backup_then_hang,
            "shift-pay": shift_pay}

if __name__ == "__main__":
    result = COMMANDS[sys.argv[1]](*sys.argv[2:])  # type: ignore[operator]
    store.close_database()
    print(json.dumps(result), flush=True)
