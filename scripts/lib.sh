# shellcheck shell=bash
# Shared helpers of scripts/run.sh, scripts/test.sh and bench/*.sh (sourced, not executed).
# Everything here runs on loopback only and keeps its state under one temporary folder.

set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

log() { printf '[crm_ameyo] %s\n' "$*" >&2; }

# shellcheck source=scripts/bootstrap_odoo.sh
source "$REPO_DIR/scripts/bootstrap_odoo.sh"

# Odoo 19.0 as $PYTHON imports it (a developer's install, a production server); when it cannot,
# the one scripts/bootstrap_odoo.sh installs in its cache folder, and PYTHON becomes that
# environment's interpreter.
require_odoo() {
    if ! python_has_odoo19 "$PYTHON"; then
        bootstrap_odoo  # not in a condition: errexit must stay in force there
    fi
    ODOO_ROOT="$("$PYTHON" -c 'import odoo, os; print(os.path.dirname(list(odoo.__path__)[0]))')"
    ADDONS_PATH=""
    if [ -d "$ODOO_ROOT/addons/web" ]; then
        ADDONS_PATH="$ODOO_ROOT/addons"
    fi
}

# Debian and Python packages the stack needs; installed only when missing.
ensure_dependencies() {
    local apt_pkgs=()
    find_pg_bin >/dev/null 2>&1 || apt_pkgs+=(postgresql)
    command -v chromium >/dev/null 2>&1 || apt_pkgs+=(chromium)
    command -v rsync >/dev/null 2>&1 || apt_pkgs+=(rsync)
    if [ ${#apt_pkgs[@]} -gt 0 ]; then
        log "installing Debian packages: ${apt_pkgs[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
    fi
    if ! "$PYTHON" - <<'PY' >/dev/null 2>&1
import importlib.metadata as md
for dist in ('websocket-client', 'responses', 'ruff', 'pylint-odoo', 'phonenumbers', 'pytest-odoo'):
    md.version(dist)
PY
    then
        log "installing Python packages from requirements-dev.txt"
        "$PYTHON" -m pip install -q -r "$REPO_DIR/requirements-dev.txt" >&2
    fi
}

find_pg_bin() {
    local initdb
    initdb="$(command -v initdb 2>/dev/null || ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$initdb" ] && [ -x "$initdb" ] || return 1
    # PATH may hold a lone symlink to initdb: the other binaries sit beside its target.
    dirname "$(readlink -f "$initdb")"
}

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Run a PostgreSQL command as a non-root user: initdb refuses to run as root.
as_pg_user() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# start_postgres DIR PORT: a private cluster in DIR listening on 127.0.0.1:PORT, with a role "odoo".
start_postgres() {
    local dir="$1" port="$2" bin
    bin="$(find_pg_bin)"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && { id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres; chown postgres "$dir"; }
    if [ ! -f "$dir/PG_VERSION" ]; then
        as_pg_user "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_pg_user "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    as_pg_user "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc \
        "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'odoo') THEN CREATE ROLE odoo LOGIN CREATEDB; END IF; END\$\$;" >/dev/null
    PG_PORT="$port"
    PG_DIR="$dir"
}

stop_postgres() {
    local dir="$1" bin
    bin="$(find_pg_bin)" || return 0
    [ -f "$dir/postmaster.pid" ] && as_pg_user "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}

# stage_addon DEST: copy the working tree into DEST/crm_ameyo (Odoo and pytest-odoo need that folder name).
stage_addon() {
    local dest="$1"
    mkdir -p "$dest/crm_ameyo"
    rsync -a --delete --exclude '.git' --exclude '__pycache__' --exclude '.ruff_cache' --exclude '/.run' "$REPO_DIR/" "$dest/crm_ameyo/"
}

# odoo_cmd [shell|server] OPTIONS...: Odoo on the private cluster with our staged addon.
# ODOO_EXEC=1: the shell becomes Odoo (exec), e.g. in a background subshell whose pid must be Odoo's.
odoo_cmd() {
    odoo_argv "$@"
    ${ODOO_EXEC:+exec} "${ODOO_ARGV[@]}"
}

# odoo_argv [shell|server] OPTIONS...: the command line of odoo_cmd, in ODOO_ARGV; python -m odoo, or the
# script ODOO_LAUNCHER names.
odoo_argv() {
    local paths="$STAGE_DIR" subcommand=() main=(-m odoo)
    [ -n "$ADDONS_PATH" ] && paths="$ADDONS_PATH,$STAGE_DIR"
    [ -n "${ODOO_LAUNCHER:-}" ] && main=("$ODOO_LAUNCHER")
    case "${1:-}" in shell|server) subcommand=("$1"); shift ;; esac
    ODOO_ARGV=("$PYTHON" "${main[@]}" "${subcommand[@]}" --db_host=127.0.0.1 --db_port="$PG_PORT" --db_user=odoo
               ${DATA_DIR:+--data-dir="$DATA_DIR"} --addons-path="$paths" "$@")
}

# ---- benchmarks (bench/*.sh) ---------------------------------------------------------------------
# bench_begin NAME [STATE_DIR]: WORK_DIR, a temporary folder for logs (KEEP=1 keeps it), the staged
# addon, and PostgreSQL with Odoo's data directory (sessions, filestore) in STATE_DIR (kept between
# runs: a cache) or, without it, in WORK_DIR. On exit, bench_end stops what bench_odoo started and
# PostgreSQL.
BENCH_PIDS=()
bench_begin() {
    local name="$1" state_dir="${2:-}"
    WORK_DIR="$(mktemp -d "/tmp/crm_ameyo_$name.XXXXXX")"
    chmod 755 "$WORK_DIR"
    state_dir="${state_dir:-$WORK_DIR}"
    mkdir -p "$state_dir"
    chmod 755 "$state_dir"
    STAGE_DIR="$WORK_DIR/addons"
    DATA_DIR="$state_dir/data"
    BENCH_PG_DIR="$state_dir/pg"
    trap bench_end EXIT
    stage_addon "$STAGE_DIR"
    start_postgres "$BENCH_PG_DIR" "$(free_port)"
}

bench_end() {
    bench_stop_nginx
    bench_stop_odoo
    stop_postgres "$BENCH_PG_DIR"
    if [ "${KEEP:-0}" = "1" ]; then log "kept $WORK_DIR"; else rm -rf "$WORK_DIR"; fi
}

# bench_odoo LOG_FILE PORT OPTIONS...: an Odoo HTTP server of database $DB in the background on
# 127.0.0.1:PORT (its websocket/gevent port GEVENT_PORT, else a free one), logging to LOG_FILE; returns once
# it answers. Its process id is the last of BENCH_PIDS.
bench_odoo() {
    local log_file="$1" port="$2"
    shift 2
    # a multi-worker Odoo starts its websocket (gevent) process as "python <its argv[0]> gevent", which
    # fails for "python -m odoo" (argv[0] is then odoo/__main__.py): a script of its own
    ODOO_LAUNCHER="$WORK_DIR/odoo-server"
    printf 'from odoo.cli.command import main\n\nmain()\n' >"$ODOO_LAUNCHER"
    odoo_argv -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$port" \
        --gevent-port="${GEVENT_PORT:-$(free_port)}" --limit-time-real=600 "$@"
    ODOO_LAUNCHER=""
    "${ODOO_ARGV[@]}" >"$log_file" 2>&1 &  # its own process id, not a subshell's: bench_stop_odoo stops it
    BENCH_PIDS+=("$!")
    for _ in $(seq 1 120); do
        curl -s -o /dev/null "http://127.0.0.1:$port/web/login" && return 0
        sleep 1
    done
    log "Odoo did not answer on port $port; its log:"
    tail -n 30 "$log_file" >&2
    return 1
}

# bench_stop_odoo: stop every Odoo bench_odoo started (by process id), and wait for them.
bench_stop_odoo() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    BENCH_PIDS=()
}

# ensure_nginx: nginx from Debian when missing (nginx-light, else nginx), in NGINX. The package may start the
# system service: the benchmark never uses it (bench_nginx runs a private instance).
ensure_nginx() {
    NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
    [ -x "$NGINX" ] && return 0
    log "installing nginx from Debian (apt-get install nginx-light)"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq nginx-light >/dev/null 2>&1 \
        || DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq nginx >/dev/null
    NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
}

# bench_nginx NAME SITE_FILE: a private nginx serving SITE_FILE (an nginx site: server blocks), with its own
# prefix, configuration, pid file, logs and temporary folders in $WORK_DIR/nginx-NAME (not the system
# service); bench_stop_nginx (bench_end) stops it.
BENCH_NGINX_PREFIXES=()
bench_nginx() {
    local prefix="$WORK_DIR/nginx-$1" site="$2"
    mkdir -p "$prefix/logs" "$prefix/tmp"
    printf '%s\n' "worker_processes 1;" "pid $prefix/nginx.pid;" "error_log $prefix/logs/error.log warn;" \
        "events { worker_connections 4096; }" "http {" "    access_log $prefix/logs/access.log;" \
        "    client_body_temp_path $prefix/tmp/body;" "    proxy_temp_path $prefix/tmp/proxy;" \
        "    fastcgi_temp_path $prefix/tmp/fastcgi;" "    uwsgi_temp_path $prefix/tmp/uwsgi;" \
        "    scgi_temp_path $prefix/tmp/scgi;" "    include $site;" "}" >"$prefix/nginx.conf"
    if ! "$NGINX" -p "$prefix" -c "$prefix/nginx.conf" -t >"$prefix/logs/check.log" 2>&1; then
        log "nginx refuses $site:"
        cat "$prefix/logs/check.log" >&2
        return 1
    fi
    "$NGINX" -p "$prefix" -c "$prefix/nginx.conf" || return 1
    BENCH_NGINX_PREFIXES+=("$prefix")
}

bench_stop_nginx() {
    local prefix
    for prefix in "${BENCH_NGINX_PREFIXES[@]}"; do
        "$NGINX" -p "$prefix" -c "$prefix/nginx.conf" -s quit 2>/dev/null || true
    done
    BENCH_NGINX_PREFIXES=()
}

# bench_psql SQL...: psql as the superuser on the benchmark's cluster (quiet, unaligned).
bench_psql() {
    PGOPTIONS='-c client_min_messages=warning' as_pg_user "$(find_pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAc "$@"
}

# scratch_dir NAME: SCRATCH_DIR, a new folder /tmp/crm_ameyo_NAME.XXXXXX that PostgreSQL's user can read,
# removed when the script exits (KEEP=1 keeps it). For the shell tests' throw-away copies and run folders.
scratch_dir() {
    SCRATCH_DIR="$(mktemp -d "/tmp/crm_ameyo_$1.XXXXXX")"
    chmod 755 "$SCRATCH_DIR"
    [ "${KEEP:-0}" = "1" ] || trap 'rm -rf "$SCRATCH_DIR"' EXIT
}

# The shell tests' verdicts (test_bootstrap.sh, test_run_stop.sh, test_summary.sh): "PASS <subject>: <check>" or
# "FAIL ...", which test.sh counts; CHECK_FAILURES counts the failures for the script's exit status.
CHECK_FAILURES=0
check_result() {  # check_result SUBJECT CHECK STATUS
    if [ "$3" -eq 0 ]; then
        echo "PASS $1: $2"
    else
        echo "FAIL $1: $2"
        CHECK_FAILURES=$((CHECK_FAILURES + 1))
    fi
}
