"""Screenshots of the import wizard on a real X display (run under Xvfb with a window manager):

    Xvfb :99 -screen 0 1366x768x24 & DISPLAY=:99 openbox &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python -m bench.wizard_screenshots OUT_DIR

Writes import-1-file.png … import-5-done.png and export-dialog.png: the whole screen, window
manager frames included, as a user sees them.
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def main(out: Path) -> int:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from bench.transfer import _fresh_data, _in_memory_keyring
    from ispclient.routeros.credentials import CredentialStore
    from ispclient.store import clients
    from ispclient.ui import ops
    from ispclient.ui.application import create_app
    from ispclient.ui.context import AppContext, SettingsStore
    from ispclient.ui.export_dialogs import ExportDialog
    from ispclient.ui.import_wizard import ImportWizard

    out.mkdir(parents=True, exist_ok=True)
    _in_memory_keyring()
    app = create_app([])
    folder = Path(tempfile.mkdtemp(prefix="ispclient-shots-"))
    app_paths = _fresh_data(folder / "data")
    clients.create_client(clients.ClientInput(client_code="C00007", name="Grace Njoroge", phone="+254733000007"))
    rows = [["Full name", "Mobile", "Email", "Username", "Password", "Router", "Plan", "Expires on", "Paid"]]
    names = ["Amina Wanjiru", "Baraka Otieno", "Chebet Kiptoo", "Daudi Mwangi", "Esther Achieng", "Faith Kamau",
             "Hassan Odhiambo", "Imani Banda", "Juma Phiri", "Zoë Müller"]
    for i, name in enumerate(names):
        rows.append([name, f"07{12000100 + i:08d}", f"{name.split()[0].lower()}@example.co.ke", f"client{i:04d}",
                     f"pw{i}secret", "Main router", "Home 10" if i % 3 else "Gold 50", f"{5 + i:02d}/02/2026",
                     "yes" if i % 4 else "no"])
    rows += [["", "0712 000999", "", "client0099", "", "Main router", "Home 10", "2026-02-01", ""],
             ["Kofi Mensah", "12345", "kofi@", "client0003", "x", "Main router", "Home 10", "31/02/2026", ""],
             ["=HYPERLINK(\"http://x\")", "", "", "", "", "", "", "", ""],
             ["Grace Njoroge", "0733 000007", "grace@example.co.ke", "client0042", "pw", "Main router", "Office 20",
              "20/02/2026", "yes"]]
    rows[0].append("Price")
    for row in rows[1:]:
        row += [""] * (9 - len(row)) + ["5000" if row[6] == "Gold 50" else ""]
    # What the old system said each owes (negative: paid ahead): the counter's ledger takes it.
    rows[0].append("Balance")
    for i, row in enumerate(rows[1:]):
        row.append({1: "1,200", 4: "-500", 6: "350", 13: "800"}.get(i, ""))
    source = folder / "customers-from-old-system.csv"
    with open(source, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)

    ctx = AppContext(paths=app_paths, credentials=CredentialStore("shots"), store=SettingsStore.load())
    wizard = ImportWizard(ctx)
    wizard.move(20, 20)
    wizard.resize(1300, 700)
    wizard.show()

    def settle(seconds: float = 0.6) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end or ops.in_flight():
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str) -> None:
        settle()
        screen = QGuiApplication.primaryScreen()
        screen.grabWindow(0).save(str(out / name))
        print(out / name)

    wizard.path_edit.setText(str(source))
    shot("import-1-file.png")
    wizard.next_button.click()
    shot("import-2-mapping.png")
    wizard.match_box.setCurrentIndex(wizard.match_box.findData("phone"))
    wizard.next_button.click()
    shot("import-3-preview.png")
    wizard.filter_box.setCurrentIndex(3)
    shot("import-4-problems.png")
    wizard.filter_box.setCurrentIndex(0)
    wizard.next_button.click()
    shot("import-5-done.png")
    wizard.close()
    dialog = ExportDialog(ctx, None, "payments")
    dialog.move(300, 200)
    dialog.show()
    shot("export-dialog.png")
    dialog.close()
    ops.shutdown(3000)
    _ = QApplication
    _ = date
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))
