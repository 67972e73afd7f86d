# shellcheck shell=bash
# Installs Odoo 19.0 Community for scripts/run.sh and scripts/test.sh when their python cannot
# import it. Sourced by scripts/lib.sh: require_odoo calls bootstrap_odoo, which leaves PYTHON
# pointing at the interpreter it prepared. Everything lives in one cache folder, outside the
# checkout (Odoo scans an addon's folder):
#
#   $CRM_AMEYO_ODOO_DIR   default ~/.cache/crm_ameyo/odoo19, or /var/tmp/crm_ameyo-odoo as root
#     src/                the 19.0 Community source: odoo/ and addons/ (Enterprise code never enters)
#     src.origin          where src/ came from (a git URL, or ODOO_SRC)
#     requirements.txt    what pip installs: the source's requirements.txt, else this project's
#                         requirements-odoo19.txt; cbor2 5.4.2 replaced by 5.6.5 in either, and
#                         zope.interface/zope.event pinned for gevent's pkg_resources (websocket)
#     venv/               the virtual environment; a .pth file in it makes src/ importable
#     venv.stamp          what venv/ was built from (python, requirements): a change reinstalls
#     setup.log           the output of git, venv, apt-get and pip
#
# Settings (environment):
#   ODOO_SRC=<folder or .tar.gz/.tar/.zip>  a local 19.0 tree holding odoo/ and addons/ (possibly
#                        under one top folder) instead of the clone; folders are copied as hard
#                        links when the file system allows. Given again with another value, the
#                        source is replaced.
#   ODOO_GIT_URL         the repository cloned otherwise (default the official Community one,
#                        branch 19.0, depth 1)
#   RESET_ODOO=1         throw the folder's source and environment away and build them again
#   CRM_AMEYO_ODOO_DIR   the folder
# A second run finds everything in place and only checks it (about a second).

ODOO_GIT_URL_DEFAULT="https://github.com/odoo/odoo.git"
ODOO_BRANCH="19.0"
ODOO_PTH_NAME="crm_ameyo_odoo19.pth"

# odoo_cache_dir: the bootstrap's folder (beside the run state of scripts/run.sh).
odoo_cache_dir() {
    if [ -n "${CRM_AMEYO_ODOO_DIR:-}" ]; then
        echo "$CRM_AMEYO_ODOO_DIR"
    elif [ "$(id -u)" -eq 0 ]; then
        echo /var/tmp/crm_ameyo-odoo
    else
        echo "${XDG_CACHE_HOME:-$HOME/.cache}/crm_ameyo/odoo19"
    fi
}

# python_has_odoo19 PYTHON: true when PYTHON imports Odoo 19.0.
python_has_odoo19() {
    "$1" -c 'import odoo.release, sys; sys.exit(tuple(odoo.release.version_info[:2]) != (19, 0))' >/dev/null 2>&1
}

# Tenths of a second since the epoch, and the time elapsed since such a mark ("12.3s").
_bo_ds() {
    local t="${EPOCHREALTIME:-$SECONDS.0}"
    t="${t/,/.}"
    local frac="${t#*.}0"
    echo $(( ${t%.*} * 10 + 10#${frac:0:1} ))
}
_bo_elapsed() {
    local d=$(( $(_bo_ds) - $1 ))
    echo "$((d / 10)).$((d % 10))s"
}

# _bo_step TITLE REMEDY COMMAND...: one timed setup step, run in a subshell with errexit on.
# On failure: which step, after how long, what to do, where the full output is; then exit 2.
_bo_step() {
    local title="$1" remedy="$2" t0 rc errexit=0
    shift 2
    t0="$(_bo_ds)"
    log "Odoo 19 setup: $title ..."
    case "$-" in *e*) errexit=1 ;; esac
    set +e
    (set -e; "$@")
    rc=$?
    [ "$errexit" -eq 0 ] || set -e
    if [ "$rc" -ne 0 ]; then
        log "Odoo 19 setup FAILED at step '$title' (after $(_bo_elapsed "$t0"))."
        log "  What to do: $remedy"
        log "  Full output: $BO_LOG. Odoo installed your own way works too: README, section 1."
        exit 2
    fi
    log "Odoo 19 setup: $title: done in $(_bo_elapsed "$t0")"
}

# _bo_apt PACKAGE...: install Debian packages, as root or through sudo.
_bo_apt() {
    if ! command -v apt-get >/dev/null 2>&1; then
        log "  missing: $* (no apt-get here: install their equivalent, then run again)"
        return 1
    fi
    local as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    log "  ${as_root[*]:+sudo }apt-get install $*"
    "${as_root[@]}" apt-get update -qq >>"$BO_LOG" 2>&1 || true
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$BO_LOG" 2>&1
}

# _bo_own_source PATH: PATH is the bootstrap folder's source (src/ or inside it) or the folder itself.
_bo_own_source() {
    local path dir
    path="$(readlink -f "$1" 2>/dev/null)" || return 1
    dir="$(readlink -f "$BO_DIR")"
    case "$path" in
        "$dir"|"$dir/src"|"$dir/src/"*) return 0 ;;
    esac
    return 1
}

# _bo_find_root FOLDER: the folder holding odoo/release.py, FOLDER itself or one level below.
_bo_find_root() {
    local d
    if [ -f "$1/odoo/release.py" ]; then echo "$1"; return 0; fi
    for d in "$1"/*/; do
        d="${d%/}"
        [ "${d##*/}" = enterprise ] && continue
        if [ -f "$d/odoo/release.py" ]; then echo "$d"; return 0; fi
    done
    return 1
}

# _bo_take_tree ROOT DEST: ROOT's odoo/, addons/ and requirements.txt into DEST, as hard links
# when possible (instant, no space), else as a copy. An enterprise/ folder is left behind.
_bo_take_tree() {
    local root="$1" dest="$2" entry name
    [ -d "$root/addons" ] || { log "  $root has odoo/ but no addons/ (crm, web... live there)"; return 1; }
    [ ! -e "$root/enterprise" ] || log "  leaving out $root/enterprise (Enterprise code is never installed)"
    mkdir -p "$dest/odoo"
    for entry in "$root/odoo"/* "$root/odoo"/.[!.]*; do
        [ -e "$entry" ] || [ -L "$entry" ] || continue
        name="${entry##*/}"
        if [ "$name" = enterprise ]; then
            log "  leaving out $entry (Enterprise code is never installed)"
            continue
        fi
        cp -al "$entry" "$dest/odoo/" 2>/dev/null || { rm -rf "${dest:?}/odoo/$name"; cp -a "$entry" "$dest/odoo/"; }
    done
    cp -al "$root/addons" "$dest/" 2>/dev/null || { rm -rf "${dest:?}/addons"; cp -a "$root/addons" "$dest/"; }
    if [ -f "$root/requirements.txt" ]; then cp "$root/requirements.txt" "$dest/"; fi
}

# _bo_extract ARCHIVE DEST: unpack a .tar(.gz|.bz2|.xz) or .zip, without any member whose first
# three path parts include "enterprise" (enterprise/, TOP/enterprise/, TOP/odoo/enterprise/).
_bo_extract() {
    "$BO_BASE" - "$1" "$2" >>"$BO_LOG" 2>&1 <<'PY'
import sys
import tarfile
import zipfile

archive, dest = sys.argv[1], sys.argv[2]


def enterprise(name):
    parts = [p for p in name.split('/') if p not in ('', '.')]
    return 'enterprise' in parts[:3]


if zipfile.is_zipfile(archive):
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        kept = [n for n in names if not enterprise(n)]
        zf.extractall(dest, kept)
else:
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        names = [m.name for m in members]
        kept = [m for m in members if not enterprise(m.name)]
        if hasattr(tarfile, 'data_filter'):
            tf.extractall(dest, kept, filter='data')
        else:
            tf.extractall(dest, kept)
print(f"extracted {len(kept)} of {len(names)} members, left out {len(names) - len(kept)} of Enterprise")
PY
    local rc=$?
    log "  $(tail -n 1 "$BO_LOG")"
    return "$rc"
}

# _bo_check_source FOLDER: FOLDER/odoo is Odoo 19.0 Community, and FOLDER/addons holds web.
_bo_check_source() {
    local out
    out="$("$BO_BASE" - "$1/odoo/release.py" <<'PY'
import runpy
import sys

release = runpy.run_path(sys.argv[1])
info = release['version_info']
print(release['version'])
sys.exit(0 if tuple(info[:2]) == (19, 0) and info[5] == '' else 1)
PY
)" || { log "  this source is Odoo ${out:-of an unknown version}, not 19.0 Community"; return 1; }
    [ -f "$1/addons/web/__manifest__.py" ] || { log "  $1/addons has no web module: not a complete Community tree"; return 1; }
    log "  Odoo $out Community"
}

# odoo_fetch_source DIR: DIR/src from ODOO_SRC, or a shallow clone of the official repository.
odoo_fetch_source() {
    local dir="$1" new="$1/src.new" root origin
    BO_BASE="${BO_BASE:-$PYTHON}"
    BO_LOG="${BO_LOG:-$dir/setup.log}"
    rm -rf "$new" "$dir/src.unpack"
    mkdir -p "$new"
    if [ -n "${ODOO_SRC:-}" ]; then
        origin="ODOO_SRC=$(readlink -f "$ODOO_SRC" || echo "$ODOO_SRC")"
        if [ -d "$ODOO_SRC" ]; then
            root="$(_bo_find_root "$ODOO_SRC")" || { log "  $ODOO_SRC holds no odoo/release.py (nor one folder below)"; return 1; }
            log "  copying $root/odoo and $root/addons (hard links when possible)"
            _bo_take_tree "$root" "$new"
        elif [ -f "$ODOO_SRC" ]; then
            log "  unpacking $ODOO_SRC"
            _bo_extract "$ODOO_SRC" "$dir/src.unpack" || { log "  cannot unpack $ODOO_SRC (a .tar.gz, .tar or .zip is expected)"; return 1; }
            root="$(_bo_find_root "$dir/src.unpack")" || { log "  $ODOO_SRC holds no odoo/release.py (nor one folder below)"; return 1; }
            _bo_take_tree "$root" "$new"
            rm -rf "$dir/src.unpack"
        else
            log "  ODOO_SRC=$ODOO_SRC: no such folder or file"
            return 1
        fi
    else
        local url="${ODOO_GIT_URL:-$ODOO_GIT_URL_DEFAULT}"
        command -v git >/dev/null 2>&1 || _bo_apt git
        origin="git $url $ODOO_BRANCH"
        log "  git clone --depth 1 --branch $ODOO_BRANCH $url (Community only; about 500 MB)"
        rm -rf "$new"
        if ! git clone --depth 1 --branch "$ODOO_BRANCH" --single-branch --no-tags "$url" "$new" >>"$BO_LOG" 2>&1; then
            grep -vE '^(==|$)' "$BO_LOG" | tail -n 2 | sed 's/^/  git: /' >&2
            rm -rf "$new"
            return 1
        fi
        origin="$origin $(git -C "$new" rev-parse --short HEAD)"
    fi
    _bo_check_source "$new"
    rm -rf "$dir/src"
    mv "$new" "$dir/src"
    echo "$origin" >"$dir/src.origin"
}

# _bo_system_packages: what building python-ldap and psycopg2 from source needs, when missing.
_bo_system_packages() {
    local pkgs=() base_prefix pyver
    if [ ! -f /usr/include/ldap.h ]; then
        if apt-cache show libldap-dev >/dev/null 2>&1; then pkgs+=(libldap-dev); else pkgs+=(libldap2-dev); fi
    fi
    [ -f /usr/include/sasl/sasl.h ] || pkgs+=(libsasl2-dev)
    [ -f /usr/include/postgresql/libpq-fe.h ] || command -v pg_config >/dev/null 2>&1 || pkgs+=(libpq-dev)
    command -v gcc >/dev/null 2>&1 || pkgs+=(gcc)
    base_prefix="$("$BO_BASE" -c 'import sys; print(sys.base_prefix)')"
    pyver="$("$BO_BASE" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if ! "$BO_BASE" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
        if [ "$base_prefix" = /usr ]; then pkgs+=("python$pyver-dev"); else log "  no Python.h for $BO_BASE: python-ldap and psycopg2 may not build"; fi
    fi
    if [ "$base_prefix" = /usr ] && ! "$BO_BASE" -c 'import ensurepip' >/dev/null 2>&1; then pkgs+=("python$pyver-venv"); fi
    if [ ${#pkgs[@]} -eq 0 ]; then
        log "  all present (LDAP, SASL and PostgreSQL headers, a C compiler)"
        return 0
    fi
    _bo_apt "${pkgs[@]}"
}

_bo_make_venv() {
    rm -rf "$BO_DIR/venv" "$BO_DIR/venv.stamp"
    "$BO_BASE" -m venv "$BO_DIR/venv" >>"$BO_LOG" 2>&1 || { tail -n 5 "$BO_LOG" >&2; return 1; }
}

_bo_pip_install() {
    rm -f "$BO_DIR/venv.stamp"
    log "  pip install -r $BO_DIR/requirements.txt -r requirements-dev.txt (output in $BO_LOG)"
    if ! "$BO_DIR/venv/bin/python" -m pip install --disable-pip-version-check \
            -r "$BO_DIR/requirements.txt" -r "$REPO_DIR/requirements-dev.txt" >>"$BO_LOG" 2>&1; then
        grep -E '^(ERROR|error):|Failed to build|fatal error' "$BO_LOG" | tail -n 8 | sed 's/^/  pip: /' >&2
        return 1
    fi
    log "  $(grep -E '^Successfully installed' "$BO_LOG" | tail -n 1 | wc -w | awk '{print ($1 > 2 ? $1 - 2 : 0)}') packages installed"
}

# _bo_healthy: the environment imports Odoo 19.0 from our src/ and its main requirements.
_bo_healthy() {
    BO_SRC="$BO_DIR/src" "$BO_DIR/venv/bin/python" - >>"$BO_LOG" 2>&1 <<'PY' || return 1
import os
import sys

import lxml.etree  # noqa: F401
import psycopg2  # noqa: F401
import werkzeug  # noqa: F401

import odoo.release

src = os.path.realpath(os.environ['BO_SRC'])
where = os.path.realpath(odoo.release.__file__)
if tuple(odoo.release.version_info[:2]) != (19, 0) or not where.startswith(src + os.sep):
    sys.exit(f"Odoo {odoo.release.version} from {where}, not 19.0 from {src}")
PY
    # the websocket (gevent) process of a multi-worker server starts: gevent's plugins load
    "$BO_DIR/venv/bin/python" -c 'from gevent import monkey; monkey.patch_all()' >>"$BO_LOG" 2>&1
}

# bootstrap_odoo: make Odoo 19.0 importable in the cache folder's environment; PYTHON then is its
# interpreter. Reuses what a previous run built; RESET_ODOO=1 rebuilds.
bootstrap_odoo() {
    local t0 reason origin_wanted="" stamp lock_fd="" vpy site
    t0="$(_bo_ds)"
    BO_BASE="$PYTHON"
    BO_DIR="$(odoo_cache_dir)"
    mkdir -p "$BO_DIR" || { log "cannot create $BO_DIR: set CRM_AMEYO_ODOO_DIR to a writable folder"; exit 2; }
    BO_DIR="$(cd "$BO_DIR" && pwd)"
    BO_LOG="$BO_DIR/setup.log"
    vpy="$BO_DIR/venv/bin/python"
    log "Odoo 19.0 is not importable by $BO_BASE: using the one in $BO_DIR (CRM_AMEYO_ODOO_DIR), set up when needed"

    # One setup at a time per folder (a concurrent run waits); the lock is released once done.
    if command -v flock >/dev/null 2>&1; then
        exec {lock_fd}>>"$BO_DIR/.lock"
        if ! flock -n "$lock_fd"; then
            log "another run is setting up $BO_DIR: waiting for it"
            flock "$lock_fd"
        fi
    fi

    if [ "${RESET_ODOO:-0}" = "1" ]; then
        _bo_step "remove the previous source and environment (RESET_ODOO=1)" "remove $BO_DIR by hand" \
            rm -rf "$BO_DIR/src" "$BO_DIR/src.new" "$BO_DIR/src.unpack" "$BO_DIR/src.origin" \
            "$BO_DIR/venv" "$BO_DIR/venv.stamp" "$BO_DIR/requirements.txt" "$BO_LOG"
    fi
    printf '\n== %s: %s\n' "$(date '+%F %T')" "bootstrap by $BO_BASE" >>"$BO_LOG"

    # 1. The source. ODOO_SRC naming this folder's own source (src/, or the folder itself) is that source as it
    #    is: nothing to copy onto itself, whatever src.origin says.
    [ -z "${ODOO_SRC:-}" ] || origin_wanted="ODOO_SRC=$(readlink -f "$ODOO_SRC" || echo "$ODOO_SRC")"
    if [ -n "$origin_wanted" ] && [ -f "$BO_DIR/src/odoo/release.py" ] && [ -f "$BO_DIR/src.origin" ] \
            && _bo_own_source "$ODOO_SRC"; then
        log "  ODOO_SRC=$ODOO_SRC is this folder's own source: used as it is (it came from $(cat "$BO_DIR/src.origin"))"
        origin_wanted=""
    fi
    reason=""
    if [ ! -f "$BO_DIR/src/odoo/release.py" ] || [ ! -f "$BO_DIR/src.origin" ]; then
        reason="no source yet"
    elif [ -n "$origin_wanted" ] && [ "$origin_wanted" != "$(cat "$BO_DIR/src.origin")" ]; then
        reason="ODOO_SRC changed, was $(cat "$BO_DIR/src.origin")"
    fi
    if [ -n "$reason" ]; then
        local example="$0"
        case "$example" in *.sh) ;; *) example=scripts/test.sh ;; esac
        if [ -n "${ODOO_SRC:-}" ]; then
            _bo_step "get the Odoo 19.0 Community source from ODOO_SRC ($reason)" \
                "point ODOO_SRC at an Odoo 19.0 Community folder or archive (.tar.gz, .tar, .zip) holding odoo/ and addons/" \
                odoo_fetch_source "$BO_DIR"
        else
            _bo_step "get the Odoo 19.0 Community source ($reason): shallow clone of ${ODOO_GIT_URL:-$ODOO_GIT_URL_DEFAULT}" \
                "without network access to it, set ODOO_SRC to a local Odoo 19.0 Community tree or archive (.tar.gz, .tar, .zip holding odoo/ and addons/), e.g. ODOO_SRC=/opt/odoo19 $example; ODOO_GIT_URL=<url> uses a mirror" \
                odoo_fetch_source "$BO_DIR"
        fi
    fi

    # 2. The requirements: the source's own, else ours; cbor2 5.4.2 does not build, 5.6.5 does. And the
    #    websocket (gevent) process of a multi-worker Odoo: gevent before 23 (Odoo pins 21.8.0/22.10.2 below
    #    python 3.12) loads its plugins through pkg_resources, and the setuptools of such a venv (65) cannot
    #    find zope.interface 8 / zope.event 6, whose wheels name their metadata folder zope_interface-*
    #    (normalized): "DistributionNotFound: zope.interface" and no /websocket. Their last wheels with the
    #    dotted name are pinned there.
    local req_from="$BO_DIR/src/requirements.txt"
    [ -f "$req_from" ] || req_from="$REPO_DIR/requirements-odoo19.txt"
    {
        sed -E 's/^cbor2==5\.4\.2([^0-9]|$)/cbor2==5.6.5\1/' "$req_from"
        printf '%s\n' "# crm_ameyo bootstrap: gevent's dependencies as its pkg_resources finds them (Odoo's websocket process)" \
            "zope.interface==7.2 ; sys_platform != 'win32' and python_version < '3.12'" \
            "zope.event==5.0 ; sys_platform != 'win32' and python_version < '3.12'"
    } >"$BO_DIR/requirements.txt.new"
    if cmp -s "$BO_DIR/requirements.txt.new" "$BO_DIR/requirements.txt"; then
        rm -f "$BO_DIR/requirements.txt.new"
    else
        mv "$BO_DIR/requirements.txt.new" "$BO_DIR/requirements.txt"
    fi
    stamp="python $("$BO_BASE" -c 'import sys; print(sys.base_prefix, sys.version.split()[0])')
requirements $(cat "$BO_DIR/requirements.txt" "$REPO_DIR/requirements-dev.txt" | sha256sum | cut -c1-16)"

    # 3. The environment: reused when it was built from the same python and requirements and works.
    if [ -f "$BO_DIR/venv.stamp" ] && [ "$(cat "$BO_DIR/venv.stamp")" = "$stamp" ] && _bo_healthy; then
        log "Odoo 19 setup: reusing $BO_DIR (source: $(cat "$BO_DIR/src.origin"); requirements from $req_from; RESET_ODOO=1 rebuilds)"
    else
        if [ ! -f "$BO_DIR/venv.stamp" ]; then
            reason="new environment"
        elif [ "$(head -n 1 "$BO_DIR/venv.stamp")" != "$(head -n 1 <<<"$stamp")" ]; then
            reason="another python: $(head -n 1 <<<"$stamp")"
        elif [ "$(cat "$BO_DIR/venv.stamp")" != "$stamp" ]; then
            reason="requirements changed"
        else
            reason="environment incomplete, see $BO_LOG"
        fi
        log "Odoo 19 setup: installing the requirements ($reason), from $req_from"
        _bo_step "Debian packages for building python-ldap and psycopg2" \
            "install them: sudo apt-get install libldap2-dev libsasl2-dev libpq-dev gcc python3-dev python3-venv" \
            _bo_system_packages
        if [ ! -x "$vpy" ] || ! "$vpy" -c pass >/dev/null 2>&1 \
                || [ "$(head -n 1 "$BO_DIR/venv.stamp" 2>/dev/null)" != "$(head -n 1 <<<"$stamp")" ]; then
            _bo_step "create the virtual environment $BO_DIR/venv with $BO_BASE" \
                "check that '$BO_BASE -m venv' works (Debian: apt-get install python3-venv), or RESET_ODOO=1" \
                _bo_make_venv
        fi
        _bo_step "pip install Odoo's requirements and requirements-dev.txt (a few minutes the first time)" \
            "check access to PyPI (or your PIP_INDEX_URL) and the pip errors above, then run again; RESET_ODOO=1 starts from scratch" \
            _bo_pip_install
    fi

    # 4. Make src/ importable, check, and use this python from now on.
    site="$("$vpy" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    [ "$(cat "$site/$ODOO_PTH_NAME" 2>/dev/null)" = "$BO_DIR/src" ] || echo "$BO_DIR/src" >"$site/$ODOO_PTH_NAME"
    if [ ! -f "$BO_DIR/venv.stamp" ] || [ "$(cat "$BO_DIR/venv.stamp")" != "$stamp" ]; then
        _bo_step "check that the environment imports Odoo 19.0" \
            "read $BO_LOG, then run again with RESET_ODOO=1" _bo_healthy
        echo "$stamp" >"$BO_DIR/venv.stamp"
    fi
    [ -z "$lock_fd" ] || exec {lock_fd}>&-
    PYTHON="$vpy"
    log "Odoo 19 setup: ready in $(_bo_elapsed "$t0"): $PYTHON"
}
