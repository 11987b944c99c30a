# Shared by installer/x11-*.sh: the X tools, the app's data folder, and the helpers that wait for
# a window and take a whole-screen picture. Sourced after `cd` to the repository and setting OUT.

x11_need_tools() {  # as root, install what's missing (Debian/Ubuntu); otherwise say what to install
  local need=() tool
  for tool in Xvfb openbox xdotool import; do command -v "$tool" >/dev/null || need+=("$tool"); done
  ((${#need[@]})) || return 0
  if [[ $(id -u) == 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb openbox xdotool imagemagick
  else
    echo "missing: ${need[*]} — run: sudo apt-get install xvfb openbox xdotool imagemagick" >&2
    exit 1
  fi
}

pids=()
x11_cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap x11_cleanup EXIT

x11_start() {  # DISPLAY WIDTH HEIGHT: Xvfb and openbox on it; sets DISPLAY, XVFB_PID, WM_PID
  # The first free display from DISPLAY on: another program's X server (a Wine check, another
  # run) would otherwise be photographed instead of ours.
  local n=${1#:}
  while [[ -e /tmp/.X$n-lock || -e /tmp/.X11-unix/X$n ]]; do n=$((n + 1)); done
  Xvfb ":$n" -screen 0 "${2}x${3}x24" -nolisten tcp &
  XVFB_PID=$!
  pids+=("$XVFB_PID")
  export DISPLAY=:$n
  for _ in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.2; done
  openbox >/dev/null 2>&1 &
  WM_PID=$!
  pids+=("$WM_PID")
  sleep 1
}

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
