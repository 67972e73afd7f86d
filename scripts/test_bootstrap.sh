#!/usr/bin/env bash
# Test of the Odoo 19 bootstrap (scripts/bootstrap_odoo.sh), offline, in a throw-away folder.
# Run by scripts/test.sh, which counts its lines; runs alone too:
#   scripts/test_bootstrap.sh [ODOO_TREE]   # a local 19.0 tree (odoo/ and addons/); default
#                                           # $ODOO_SRC, else the tree python3's Odoo comes from
# With a python that cannot import Odoo (a virtual environment without the system's
# site-packages, so without its .pth files, and no PYTHONPATH), require_odoo must:
#   1. set Odoo up from the tree given as ODOO_SRC and hand over a python whose Odoo reports 19.0, and
#      whose gevent starts (the websocket process of a multi-worker server);
#   2. a second time, reuse it: no pip run (PIP_LOG stays unwritten), nothing installed changes; the same
#      with ODOO_SRC naming the folder's own source (not copied onto itself);
#   3. without ODOO_SRC and with an unreachable repository, fail naming the step and ODOO_SRC;
# and an archive given as ODOO_SRC is unpacked without its Enterprise folders.
# Prints "PASS <check>" / "FAIL <check>" on stdout, the rest on stderr; exits non-zero on a failure.

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e  # checks fail, the script goes on; each bootstrap runs in a shell of its own with errexit

result() { check_result bootstrap "$1" "$2"; }  # result CHECK STATUS

valid_tree() { [ -f "$1/odoo/release.py" ] && [ -d "$1/addons/web" ]; }
tree="${1:-}"
if [ -z "$tree" ] || ! valid_tree "$tree"; then tree="${ODOO_SRC:-}"; fi
if [ -z "$tree" ] || ! valid_tree "$tree"; then
    tree="$("$PYTHON" -c 'import odoo, os; print(os.path.dirname(list(odoo.__path__)[0]))' 2>/dev/null || true)"
fi
if [ -z "$tree" ] || ! valid_tree "$tree"; then
    log "no local Odoo 19.0 tree (odoo/ and addons/) to install from: give one as argument or ODOO_SRC"
    result "a local Odoo 19.0 tree to install from" 1
    exit 1
fi
tree="$(cd "$tree" && pwd)"

scratch_dir bootstrap
tmp="$SCRATCH_DIR"
cache="$tmp/odoo"
venv_python="$cache/venv/bin/python"

"$PYTHON" -m venv --without-pip "$tmp/base"
base="$tmp/base/bin/python"
if python_has_odoo19 "$base"; then imports=1; else imports=0; fi
result "the python it starts from cannot import Odoo" "$imports"

# bootstrap NAME VAR=VALUE...: require_odoo in a clean shell with that python, output in $tmp/NAME.*;
# sets rc and took.
bootstrap() {
    local name="$1" t0
    shift
    t0="$(_bo_ds)"
    # shellcheck disable=SC2016  # expanded by that shell
    env -u PYTHONPATH -u RESET_ODOO -u ODOO_SRC -u ODOO_GIT_URL PYTHON="$base" CRM_AMEYO_ODOO_DIR="$cache" "$@" \
        bash -c 'source "$1/scripts/lib.sh"; require_odoo; echo "PYTHON=$PYTHON"; echo "ADDONS_PATH=$ADDONS_PATH"' _ "$REPO_DIR" \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    took="$(_bo_elapsed "$t0")"
    log "bootstrap $name: exit $rc after $took; its log:"
    sed 's/^/    /' "$tmp/$name.err" >&2
}

# 1. First run: everything from the local tree.
log "bootstrap from ODOO_SRC=$tree into $cache (about a minute: a virtual environment and pip)"
bootstrap first ODOO_SRC="$tree" PIP_LOG="$tmp/pip-first.log"
first_took="$took"
[ "$rc" -eq 0 ] && grep -qx "PYTHON=$venv_python" "$tmp/first.out" && grep -qx "ADDONS_PATH=$cache/src/addons" "$tmp/first.out" \
    && [ -s "$tmp/pip-first.log" ]
result "a first run installs Odoo from ODOO_SRC and hands its own python over" $?
version="$(env -u PYTHONPATH "$venv_python" -m odoo --version 2>/dev/null || true)"
origin="$(env -u PYTHONPATH "$venv_python" -c 'import odoo.release, os; print(os.path.realpath(odoo.release.__file__))' 2>/dev/null || true)"
log "the environment's Odoo: '$version' from $origin"
[ "$version" = "Odoo Server 19.0" ] && [ "$origin" = "$(readlink -f "$cache/src/odoo/release.py")" ] \
    && ! find "$cache/src" -maxdepth 2 -name enterprise | grep -q .
result "the installed Odoo reports 19.0, from the cache folder, without Enterprise code" $?
env -u PYTHONPATH "$venv_python" -c 'from gevent import monkey; monkey.patch_all()' >"$tmp/gevent.err" 2>&1
rc=$?
[ "$rc" -eq 0 ] || tail -n 3 "$tmp/gevent.err" >&2
result "the environment starts a multi-worker Odoo's websocket process (gevent's plugins load)" "$rc"
[ "$(grep -c 'Odoo 19 setup: .*: done in [0-9]*\.[0-9]s$' "$tmp/first.err")" -ge 4 ]
result "each setup step says what it does and how long it took" $?

# 2. Second run: reused as it is.
touch "$tmp/before-second"
sleep 1
bootstrap second ODOO_SRC="$tree" PIP_LOG="$tmp/pip-second.log"
second_took="$took"
site="$("$venv_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
changed="$(find "$cache/venv.stamp" "$cache/src.origin" "$cache/requirements.txt" "$site"/*.dist-info "$site"/*.pth \
    -maxdepth 0 -newer "$tmp/before-second")"
[ -z "$changed" ] || log "changed by the second run: $changed"
[ "$rc" -eq 0 ] && grep -qx "PYTHON=$venv_python" "$tmp/second.out" && grep -q 'Odoo 19 setup: reusing ' "$tmp/second.err" \
    && [ ! -e "$tmp/pip-second.log" ] && [ -z "$changed" ]
result "a second run reuses the environment without reinstalling (pip not run)" $?

# 2b. ODOO_SRC naming the folder's own source: used as it is, not copied onto itself, nothing reinstalled.
src_inode="$(stat -c %i "$cache/src")"
origin_before="$(cat "$cache/src.origin")"
bootstrap own ODOO_SRC="$cache/src" PIP_LOG="$tmp/pip-own.log"
[ "$rc" -eq 0 ] && grep -qx "PYTHON=$venv_python" "$tmp/own.out" && grep -q "is this folder's own source: used as it is" "$tmp/own.err" \
    && [ "$(stat -c %i "$cache/src")" = "$src_inode" ] && [ "$(cat "$cache/src.origin")" = "$origin_before" ] \
    && [ ! -e "$tmp/pip-own.log" ] && [ ! -e "$cache/src.new" ]
result "ODOO_SRC naming the folder's own source reuses it as it is" $?

# 3. No ODOO_SRC and a repository out of reach: the failure names the step and the remedy.
cache="$tmp/offline"
bootstrap offline ODOO_GIT_URL="$tmp/no-such-repository"
[ "$rc" -eq 2 ] && grep -q "FAILED at step 'get the Odoo 19.0 Community source" "$tmp/offline.err" \
    && grep -q 'set ODOO_SRC to a local Odoo 19.0 Community tree or archive' "$tmp/offline.err"
result "without network nor ODOO_SRC the failure names the step and says to set ODOO_SRC" $?

# 4. An archive: a 19.0 skeleton under one top folder, with Enterprise folders beside and inside odoo/.
skel="$tmp/skeleton/odoo-19.0"
mkdir -p "$skel/odoo/tools" "$skel/odoo/enterprise" "$skel/addons/web" "$skel/enterprise/web_enterprise"
cp "$tree/odoo/release.py" "$skel/odoo/"
touch "$skel/odoo/tools/__init__.py" "$skel/odoo/enterprise/__init__.py" "$skel/addons/web/__manifest__.py" \
    "$skel/enterprise/web_enterprise/__manifest__.py"
echo 'cbor2==5.4.2 ; python_version < "3.12"' >"$skel/requirements.txt"
tar -czf "$tmp/odoo-19.0.tar.gz" -C "$tmp/skeleton" odoo-19.0
mkdir -p "$tmp/archive"
(set -e; ODOO_SRC="$tmp/odoo-19.0.tar.gz" BO_LOG="$tmp/archive.log" odoo_fetch_source "$tmp/archive") 2>"$tmp/archive.err"
rc=$?
sed 's/^/    /' "$tmp/archive.err" >&2
[ "$rc" -eq 0 ] && [ -f "$tmp/archive/src/odoo/release.py" ] && [ -f "$tmp/archive/src/addons/web/__manifest__.py" ] \
    && [ -f "$tmp/archive/src/requirements.txt" ] && [ -z "$(find "$tmp/archive" -name '*enterprise*')" ]
result "an archive as ODOO_SRC is unpacked without its Enterprise folders" $?

log "bootstrap timings: first run $first_took (copy of the tree, virtual environment, pip), second run $second_took (reused)"
[ "$CHECK_FAILURES" -eq 0 ]
