#!/usr/bin/env bash
# The counter under a real X server and window manager (Xvfb + openbox, 1366x768), driven with the
# keyboard as the front desk would: find the client who owes the most by phone (Ctrl+F), open them
# (the Overview with its balance and Record payment…), Alt+P, type the amount, Enter, then V for
# the print preview of the receipt. Whole-screen pictures (`import -window root`).
#
#   bash installer/x11-counter-screenshots.sh [OUT_DIR]   (needs xvfb openbox xdotool imagemagick;
#                                                          installed as root when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/x11-screenshots}
PY=${PY:-.venv/bin/python}
DISPLAY_NO=${DISPLAY_NO:-:94}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
source installer/x11-lib.sh
x11_need_tools

DATA=$(mktemp -d /tmp/ispclient-x11-counter-XXXX)
x11_start "$DISPLAY_NO" 1366 768
QT_QPA_PLATFORM=xcb "$PY" -m ispclient --demo --data-dir "$DATA" >"$OUT/app-counter.log" 2>&1 &
app=$!
pids+=("$app")
main=$(wait_window "Demo data" 120)
sleep 4

# The client who owes the most, and a phone to find them by (read from the demo's database).
read -r phone owed < <("$PY" - "$DATA/demo/ispclient.sqlite3" <<'PYEOF'
import sqlite3, sys
row = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute(
    "SELECT phone, balance_minor FROM client WHERE deleted_at IS NULL AND phone != '' AND balance_minor > 0 "
    "ORDER BY balance_minor DESC LIMIT 1").fetchone()
print(row[0], row[1] // 100)
PYEOF
)
echo "client by phone $phone, owes $owed"

xdotool windowactivate --sync "$main" key --clearmodifiers ctrl+f
xdotool type --delay 40 "$phone"
sleep 2
shoot "counter-found-by-phone"
xdotool key --clearmodifiers Down Return
client=$(wait_window " — C[0-9]+" 30)
sleep 2
shoot "counter-overview"
xdotool windowactivate --sync "$client" key --clearmodifiers alt+p
pay=$(wait_window "^Record payment" 30)
sleep 1
xdotool type --delay 40 "$owed"
shoot "counter-record-payment"
xdotool windowactivate --sync "$pay" key --clearmodifiers Return
receipt=$(wait_window "^Payment recorded" 30)
shoot "counter-payment-recorded"
xdotool windowactivate --sync "$receipt" key --clearmodifiers v
wait_window " — preview" 30 >/dev/null
sleep 2
shoot "counter-receipt-preview"
xdotool key --clearmodifiers Escape
sleep 0.5
xdotool windowactivate --sync "$receipt" key --clearmodifiers Escape
sleep 0.5
xdotool windowactivate --sync "$main" key --clearmodifiers ctrl+q
for _ in $(seq 40); do kill -0 "$app" 2>/dev/null || break; sleep 0.25; done
