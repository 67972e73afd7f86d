#!/usr/bin/env bash
# Screen-pop benchmark at 1,000,000 contacts (design.md "Performance targets"):
#   - caller lookup: database time per lookup on the indexed key, vs the OCA base_phone style scan;
#   - /ameyo/customer server time vs Odoo's cheapest authenticated route, on the same database;
#   - 50 simultaneous pops and disposes: errors, legs per crtObjectId.
# Prints medians and p95. Takes ~5 minutes; state in a temporary folder (KEEP=1 keeps it).
#   bench/run.sh                 # 1,000,000 contacts, Odoo with 4 workers
#   PARTNERS=100000 bench/run.sh

source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

require_odoo
ensure_dependencies

PARTNERS="${PARTNERS:-1000000}"
WORKERS="${WORKERS:-4}"
WORK_DIR="$(mktemp -d /tmp/crm_ameyo_bench.XXXXXX)"
chmod 755 "$WORK_DIR"
STAGE_DIR="$WORK_DIR/addons"
DB="crm_ameyo_bench"
ODOO_PID=""
cleanup() {
    if [ -n "$ODOO_PID" ]; then kill "$ODOO_PID" 2>/dev/null; wait "$ODOO_PID" 2>/dev/null || true; fi
    stop_postgres "$WORK_DIR/pg"
    if [ "${KEEP:-0}" = "1" ]; then log "kept $WORK_DIR"; else rm -rf "$WORK_DIR"; fi
}
trap cleanup EXIT

stage_addon "$STAGE_DIR"
start_postgres "$WORK_DIR/pg" "$(free_port)"
log "installing crm_ameyo (no demo data)"
odoo_cmd -d "$DB" -i crm_ameyo --stop-after-init --workers=0 --log-level=warn >"$WORK_DIR/install.log" 2>&1

log "loading $PARTNERS contacts"
"$PYTHON" "$REPO_DIR/bench/bench_screen_pop.py" populate --db "$DB" --pg-port "$PG_PORT" --partners "$PARTNERS"

# the agent, his campaign and server, through Odoo itself (password hashing, groups, defaults)
odoo_cmd shell -d "$DB" --no-http --log-level=warn >"$WORK_DIR/setup.log" 2>&1 <<'PY'
server = env['ameyo.server'].create({'name': 'Bench Ameyo', 'base_url': 'http://127.0.0.1:9'})
env['ameyo.campaign'].create({'server_id': server.id, 'ameyo_campaign_id': '1', 'name': 'Bench'})
env['res.users'].create({
    'name': 'Bench Agent', 'login': 'bench_agent', 'password': 'bench-agent-password',
    'ameyo_user_id': 'bench.agent@acme', 'group_ids': [(4, env.ref('crm_ameyo.group_ameyo_agent').id)],
})
env.cr.commit()
PY

HTTP_PORT="$(free_port)"
odoo_cmd -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$HTTP_PORT" \
    --workers="$WORKERS" --max-cron-threads=0 --limit-time-real=600 --log-level=info \
    >"$WORK_DIR/odoo.log" 2>&1 &
ODOO_PID=$!
for _ in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/web/login" && break
    sleep 1
done

"$PYTHON" "$REPO_DIR/bench/bench_screen_pop.py" measure --db "$DB" --pg-port "$PG_PORT" \
    --odoo "http://127.0.0.1:$HTTP_PORT" --odoo-log "$WORK_DIR/odoo.log" --partners "$PARTNERS"
