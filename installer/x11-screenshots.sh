#!/usr/bin/env bash
# Screenshots of the demo under a real X server and window manager, as a person would see it:
# Xvfb + openbox at 1366x768, 1920x1080 and 1366x768 at 150 % (QT_SCALE_FACTOR=1.5), each of the
# Today page, the main window's list, a client window, Router sync, the set-up wizard and two
# reports (revenue by payment method, active subscribers), opened with the keyboard
# (xdotool) and taken of the whole screen (`import -window root`).
#
#   bash installer/x11-screenshots.sh [OUT_DIR]        (Debian/Ubuntu; as root it installs
#                                                        xvfb openbox xdotool imagemagick itself)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/x11-screenshots}
PY=${PY:-.venv/bin/python}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

source installer/x11-lib.sh
x11_need_tools
"$PY" -m ispclient.platform_check --install

DATA=$(mktemp -d /tmp/ispclient-x11-XXXX)

run_one() {  # LABEL WIDTH HEIGHT SCALE DISPLAY
  local label=$1 width=$2 height=$3 scale=$4 display=$5
  x11_start "$display" "$width" "$height"
  local xvfb=$XVFB_PID wm=$WM_PID
  QT_SCALE_FACTOR=$scale QT_QPA_PLATFORM=xcb "$PY" -m ispclient --demo --data-dir "$DATA" >"$OUT/app-$label.log" 2>&1 &
  local app=$!
  pids+=("$app")
  main=$(wait_window "Demo data" 120)
  sleep 4  # the list and the first status check
  shoot "today-$label"  # the app starts on the Today page
  xdotool windowactivate --sync "$main" key --clearmodifiers ctrl+2
  shoot "main-$label"
  xdotool windowactivate --sync "$main" key --clearmodifiers Down Return
  client=$(wait_window " — C[0-9]+" 30)
  sleep 2
  shoot "client-$label"
  xdotool windowactivate --sync "$client" key --clearmodifiers Escape
  sleep 1
  xdotool windowactivate --sync "$main" key --clearmodifiers alt+m
  sleep 0.5
  xdotool key --clearmodifiers r
  sync=$(wait_window "Router sync" 30)
  shoot "router-sync-$label"
  xdotool windowactivate --sync "$sync" key --clearmodifiers Escape
  sleep 1
  xdotool windowactivate --sync "$main" key --clearmodifiers alt+m
  sleep 0.5
  xdotool key --clearmodifiers w
  wizard=$(wait_window "^Set up" 30)
  shoot "wizard-$label"
  xdotool windowactivate --sync "$wizard" key --clearmodifiers Escape
  sleep 0.5
  xdotool windowactivate --sync "$main" key --clearmodifiers ctrl+shift+r
  reports=$(wait_window "^Reports" 30)
  xdotool windowactivate --sync "$reports" key --clearmodifiers alt+r Down Down  # revenue by payment method
  shoot "report-methods-$label"
  xdotool windowactivate --sync "$reports" key --clearmodifiers alt+r Down Down Down  # active subscribers
  shoot "report-subscribers-$label"
  xdotool windowactivate --sync "$reports" key --clearmodifiers Escape
  sleep 0.5
  xdotool windowactivate --sync "$main" key --clearmodifiers ctrl+q
  for _ in $(seq 40); do kill -0 "$app" 2>/dev/null || break; sleep 0.25; done
  kill "$app" "$wm" "$xvfb" 2>/dev/null || true
  wait "$app" "$wm" "$xvfb" 2>/dev/null || true
}

run_one 1366x768 1366 768 1 :91
run_one 1920x1080 1920 1080 1 :92
run_one 1366x768-150pct 1366 768 1.5 :93
