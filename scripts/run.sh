#!/usr/bin/env bash
# Run crm_ameyo with its demo data and the Ameyo simulator, on loopback:
#   Odoo             http://localhost:8069   (log in as admin/admin, agent1/agent1, agent2/agent2, supervisor/supervisor)
#   Ameyo simulator  http://127.0.0.1:8899   (the demo server's base URL)
# State (a private PostgreSQL cluster and the filestore) lives outside the checkout (Odoo scans
# an addon's folder), in ~/.local/share/crm_ameyo/run (/var/tmp/crm_ameyo-run as root) or
# $CRM_AMEYO_RUN_DIR, so a second run
# keeps your data and upgrades the addon. RESET=1 starts from a fresh database.
# When python3 cannot import Odoo 19.0, it is installed first in a cache folder of its own
# (scripts/bootstrap_odoo.sh: ODOO_SRC, RESET_ODOO, CRM_AMEYO_ODOO_DIR).
# Options after the command go to Odoo, e.g. scripts/run.sh --dev=xml,reload
#   HTTP_PORT=8070 SIM_PORT=8900 scripts/run.sh

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_odoo
ensure_dependencies

if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL then runs as the postgres user, who cannot enter root's home
    RUN_DIR="${CRM_AMEYO_RUN_DIR:-/var/tmp/crm_ameyo-run}"
else
    RUN_DIR="${CRM_AMEYO_RUN_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/crm_ameyo/run}"
fi
HTTP_PORT="${HTTP_PORT:-8069}"
SIM_PORT="${SIM_PORT:-8899}"
PG_RUN_PORT="${PG_RUN_PORT:-55432}"
DB="${DB:-crm_ameyo}"
mkdir -p "$RUN_DIR"
chmod 755 "$RUN_DIR"
[ "${RESET:-0}" = "1" ] && { log "RESET=1: removing $RUN_DIR/pg and the filestore"; stop_postgres "$RUN_DIR/pg"; rm -rf "$RUN_DIR/pg" "$RUN_DIR/data"; }

# Odoo finds an addon by its folder name: link the checkout, whatever its own name, as crm_ameyo.
STAGE_DIR="$RUN_DIR/addons"
mkdir -p "$STAGE_DIR"
ln -sfn "$REPO_DIR" "$STAGE_DIR/crm_ameyo"

# Ctrl-C (SIGINT) and SIGTERM (kill, a service manager) stop everything the same way: Odoo and the
# simulator run in the background, so that the shell handles a signal at once (it would wait for a
# foreground Odoo first, and SIGTERM reaches the shell alone), then stops them and PostgreSQL.
SIM_PID=""
ODOO_PID=""
GRACE=0  # tenths of a second Odoo may take to stop by itself (Ctrl-C reached it too) before SIGTERM
stop_child() {  # stop_child PID [GRACE]: SIGTERM (after GRACE tenths of a second), then SIGKILL after 20 s
    local pid="$1" grace="${2:-0}" waited=0
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$grace" ]; do sleep 0.1; waited=$((waited + 1)); done
    waited=0
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 200 ]; do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    trap - EXIT INT TERM
    stop_child "$ODOO_PID" "$GRACE"
    stop_child "$SIM_PID"
    stop_postgres "$RUN_DIR/pg"
}
trap cleanup EXIT
trap 'log "stopping (Ctrl-C)"; GRACE=50; exit 130' INT
trap 'log "stopping (SIGTERM)"; exit 143' TERM

start_postgres "$RUN_DIR/pg" "$PG_RUN_PORT"
log "PostgreSQL on 127.0.0.1:$PG_PORT (data in $RUN_DIR/pg)"

if [ -f "$REPO_DIR/simulator/__main__.py" ]; then
    # a package of the addon's folder, run from there (python3 -m simulator; standard library only);
    # --odoo: the customer URL of a call dialed from Odoo comes back after a short ring; --login: with the
    # agent's Odoo session, as their browser has it in the demo server's session-cookie mode (README, section 4)
    (cd "$REPO_DIR" && exec "$PYTHON" -m simulator serve --host 127.0.0.1 --port "$SIM_PORT" --demo \
        --odoo "http://localhost:$HTTP_PORT" --login) \
        >"$RUN_DIR/simulator.log" 2>&1 &
    SIM_PID=$!
    log "Ameyo simulator on http://127.0.0.1:$SIM_PORT (log in $RUN_DIR/simulator.log)"
fi

bin="$(find_pg_bin)"
if as_pg_user "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    install_args=(-u crm_ameyo)
else
    install_args=(-i crm_ameyo --with-demo)
    log "creating database $DB with crm_ameyo and its demo data (about a minute)"
fi

log "Odoo on http://localhost:$HTTP_PORT  (admin/admin; agents agent1/agent1, agent2/agent2; supervisor/supervisor)"
ODOO_EXEC=1 odoo_cmd server -d "$DB" --db-filter="^$DB\$" "${install_args[@]}" --data-dir="$RUN_DIR/data" \
    --http-interface=127.0.0.1 --http-port="$HTTP_PORT" --workers=0 --max-cron-threads=1 "$@" &
ODOO_PID=$!
set +e
wait "$ODOO_PID"  # returns at once when a signal arrives: its trap then stops everything
status=$?
ODOO_PID=""
exit "$status"
