"""``ispclient import FILE`` and ``ispclient export KIND`` (no Qt).

    ispclient import clients.xlsx [--match client_code|pppoe_username|phone|none] [--router NAME]
                     [--unpaid] [--create-packages] [--package-days 30] [--dry-run]
                     [--encoding cp1252] [--delimiter ";"] [--sheet NAME] [--report FILE]
    ispclient export clients|payments|subscriptions|audit --format csv|xlsx -o FILE
                     [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--search TEXT] [--status S] [--server NAME]

Exit codes: 0 done (rows refused by the checks are listed in the report), 1 refused or failed,
2 misuse.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ispclient.paths import AppPaths

COMMANDS = {"import": "import FILE: bring clients in from CSV, XLSX or a MikroTik export (import --help)",
            "export": "export clients|payments|subscriptions|audit --format csv|xlsx -o FILE (export --help)"}
_GLOBAL_WITH_VALUE = {"--data-dir", "--db-url", "--screenshot"}


@dataclass(frozen=True)
class Split:
    before: list[str]  # the app's own options
    command: str
    rest: list[str]


def split(argv: Sequence[str]) -> Split | None:
    """``[--data-dir D] import FILE --match phone`` → the app's options, the command, its own
    arguments; None when the command line is not an import or export."""
    skip = False
    for i, word in enumerate(argv):
        if skip:
            skip = False
            continue
        if word in _GLOBAL_WITH_VALUE:
            skip = True
            continue
        if word.startswith("-"):
            continue
        if word in COMMANDS:
            return Split(list(argv[:i]), word, list(argv[i + 1:]))
        return None
    return None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a date written YYYY-MM-DD") from None


def import_parser() -> argparse.ArgumentParser:
    from ispclient.dataio.prepare import MatchKey

    p = argparse.ArgumentParser(prog="ispclient import", description="Bring clients in from a CSV or XLSX file, or "
                                "the /ppp secret lines of a MikroTik export. Shows the verdicts, then writes the rows "
                                "in batches (each one transaction with its audit trail).")
    p.add_argument("file", type=Path)
    p.add_argument("--match", choices=[m.value for m in MatchKey], default=MatchKey.CLIENT_CODE.value,
                   help="how a row finds the client it updates (default: client_code)")
    p.add_argument("--router", metavar="NAME", help="the router of rows that name none")
    p.add_argument("--unpaid", action="store_true", help="subscriptions from the file are unpaid (default: paid up)")
    p.add_argument("--create-packages", action="store_true",
                   help="create packages the file names that don't exist (price from the Price column)")
    p.add_argument("--package-days", type=int, default=30, help="validity of created packages (default 30)")
    p.add_argument("--dry-run", action="store_true", help="check and show the verdicts; write nothing")
    p.add_argument("--encoding", help="the CSV's text encoding (default: detected), e.g. utf-8, cp1252, utf-16")
    p.add_argument("--delimiter", help="the CSV's delimiter (default: detected); \\t for tab")
    p.add_argument("--sheet", help="the XLSX sheet (default: the first)")
    p.add_argument("--report", type=Path, help="where to write the rows not imported (default: next to FILE)")
    return p


def export_parser() -> argparse.ArgumentParser:
    from ispclient.dataio.export import KINDS

    p = argparse.ArgumentParser(prog="ispclient export", description="Write data out to CSV or XLSX.")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--format", choices=("csv", "xlsx"), help="default: from the file name's extension, else csv")
    p.add_argument("-o", "--output", type=Path, required=True, help="the file to write")
    p.add_argument("--from", dest="start", type=_day, help="payments, subscriptions, audit: from this day")
    p.add_argument("--to", dest="end", type=_day, help="…to this day (included)")
    p.add_argument("--search", default="", help="clients: only those matching these words")
    p.add_argument("--status", default="", help="clients: only this subscription status (Active, Expired…)")
    p.add_argument("--server", default="", help="clients: only those on this router")
    return p


def _say(text: str) -> None:
    print(text, flush=True)


def _fail(text: str) -> int:
    print(text, file=sys.stderr, flush=True)
    return 1


def run(command: Split, paths: AppPaths, db_url: str | None) -> int:
    parser = import_parser() if command.command == "import" else export_parser()
    try:
        args = parser.parse_args(command.rest)
    except SystemExit as e:
        return int(e.code or 0)
    from ispclient import store
    from ispclient.store.errors import DatabaseUnavailable
    from ispclient.store.schema import SchemaError

    try:
        store.open_database(db_url or paths.database, paths.backup_dir)
    except (SchemaError, DatabaseUnavailable) as e:
        return _fail(str(e))
    try:
        return run_import(args, paths) if command.command == "import" else run_export(args)
    finally:
        store.close_database()


def run_export(args: argparse.Namespace) -> int:
    from ispclient.dataio import export

    fmt = export.format_for(args.output, args.format)
    if args.kind == "clients":
        table = export.clients(search=args.search, status=args.status, server=args.server)
    elif args.kind == "payments":
        table = export.payments(args.start, args.end)
    elif args.kind == "subscriptions":
        table = export.subscriptions(args.start, args.end)
    else:
        table = export.audit(args.start, args.end)
    started = time.perf_counter()
    try:
        count = export.write(table, args.output, fmt)
    except OSError as e:
        return _fail(f"{args.output} could not be written: {e.strerror or e}.")
    _say(f"Wrote {count:,} {args.kind} rows to {args.output} ({fmt.upper()}, {time.perf_counter() - started:.1f} s).")
    return 0


def run_import(args: argparse.Namespace, paths: AppPaths) -> int:
    from ispclient.dataio import apply, mapping, prepare, sources
    from ispclient.domain.errors import ValidationError
    from ispclient.domain.money import format_money
    from ispclient.store import queries, settings

    delimiter = "\t" if args.delimiter in ("\\t", "tab") else args.delimiter
    try:
        source = sources.open_source(args.file, sources.ReadOptions(args.encoding, delimiter, args.sheet))
    except sources.SourceError as e:
        return _fail(str(e))
    chosen, why = mapping.initial(source.header, paths.config_dir)
    _say(f"{args.file.name}: {source.info.describe()}; columns {why}:")
    for i, name in enumerate(source.header):
        field = chosen.columns.get(i)
        _say(f"    {name!r:<28} → {mapping.LABELS[field] if field else 'not imported'}")
    server_id = None
    if args.router:
        found = [s for s in queries.servers() if s.name.casefold() == args.router.casefold()]
        if not found:
            return _fail(f"There is no router named “{args.router}” (Manage ▸ Servers lists them).")
        server_id = found[0].id
    options = prepare.ImportOptions(prepare.MatchKey(args.match), server_id, not args.unpaid,
                                    new_package_days=args.package_days)
    started = time.perf_counter()
    try:
        preview = prepare.preview(source, chosen, options)
    except sources.SourceError as e:
        return _fail(str(e))
    try:
        _say(f"Checked {len(preview):,} rows in {time.perf_counter() - started:.1f} s: {preview.summary()}.")
        for note in preview.notes:
            _say(note)
        new_packages: list[prepare.NewPackage] = []
        if preview.unknown_packages:
            names = ", ".join(f"“{u.name}” ({u.rows:,} rows)" for u in preview.unknown_packages.values())
            if args.create_packages:
                currency = settings.load().currency
                for unknown in preview.unknown_packages.values():
                    price = unknown.price_minor()
                    if price is None:
                        return _fail(f"“{unknown.name}” needs a price to be created: the file has no Price column "
                                     "for it. Add it under Manage ▸ Packages, or give the file a Price column.")
                    new_packages.append(prepare.NewPackage(unknown.name, price, args.package_days))
                    _say(f"Package “{unknown.name}” will be created: {format_money(price, currency)} for "
                         f"{args.package_days} days.")
            else:
                _say(f"Packages not in the catalogue: {names}. Their rows are not imported unless you add them "
                     "(Manage ▸ Packages) or pass --create-packages.")
        if args.dry_run:
            _say("Dry run: nothing was written.")
            return 0
        if preview.to_write == 0:
            _say("Nothing to import.")
            return 0 if len(preview) else 1
        report = args.report or apply.default_report_path(args.file, paths.data_dir / "reports")
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            if done % 10_000 < apply.BATCH_ROWS or done == total:
                _say(f"    {done:,} of {total:,} rows written …")

        try:
            result = apply.apply_import(preview, create_packages=new_packages, progress=progress, report=report)
        except ValidationError as e:
            return _fail(" ".join(e.errors.values()))
        mapping.save(paths.config_dir, source.header, chosen)
        _say(f"{result.summary()} ({time.perf_counter() - started:.1f} s)")
        if result.report is not None:
            _say(f"The rows not imported, with the reasons, are in {result.report} (passwords left out).")
        return 0 if result.complete else 1
    finally:
        preview.close()
