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

need=()
for tool in Xvfb openbox xdotool import; do command -v "$tool" >/dev/null || need+=("$tool"); done
if ((${#need[@]})); then
  if [[ $(id -u) == 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb openbox xdotool imagemagick
  else
    echo "missing: ${need[*]} — run: sudo apt-get install xvfb openbox xdotool imagemagick" >&2
    exit 1
  fi
fi
"$PY" -m ispclient.platform_check --install

DATA=$(mktemp -d /tmp/ispclient-x11-XXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_window() {  # NAME-REGEX [TIMEOUT]: the id of a visible window whose name matches
  local deadline=$((SECONDS + ${2:-60})) id
  while ((SECONDS < deadline)); do
    id=$(xdotool search --onlyvisible --name "$1" 2>/dev/null | tail -1 || true)
    if [[ -n $id ]]; then echo "$id"; return 0; fi
    sleep 0.5
  done
  echo "no window named /$1/ within ${2:-60} s" >&2
  return 1
}

shoot() {  # NAME: the whole screen, after the window has painted
  sleep 1.5
  import -window root "$OUT/$1.png"
  echo "$OUT/$1.png"
}

run_one() {  # LABEL WIDTH HEIGHT SCALE DISPLAY
  local label=$1 width=$2 height=$3 scale=$4 display=$5
  Xvfb "$display" -screen 0 "${width}x${height}x24" -nolisten tcp &
  local xvfb=$!
  pids+=("$xvfb")
  export DISPLAY=$display
  for _ in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.2; done
  openbox >/dev/null 2>&1 &
  local wm=$!
  pids+=("$wm")
  sleep 1
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
