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

SIM_PID=""
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    stop_postgres "$RUN_DIR/pg"
}
trap cleanup EXIT INT TERM

start_postgres "$RUN_DIR/pg" "$PG_RUN_PORT"
log "PostgreSQL on 127.0.0.1:$PG_PORT (data in $RUN_DIR/pg)"

if [ -f "$REPO_DIR/simulator/ameyo_simulator.py" ]; then
    # --odoo: the customer URL of a call dialed from Odoo comes back after a short ring (SSO mode: see README)
    "$PYTHON" "$REPO_DIR/simulator/ameyo_simulator.py" serve --host 127.0.0.1 --port "$SIM_PORT" --demo \
        --odoo "http://localhost:$HTTP_PORT" --sso \
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
odoo_cmd server -d "$DB" --db-filter="^$DB\$" "${install_args[@]}" --data-dir="$RUN_DIR/data" \
    --http-interface=127.0.0.1 --http-port="$HTTP_PORT" --workers=0 --max-cron-threads=1 "$@"
