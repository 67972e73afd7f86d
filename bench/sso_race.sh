#!/usr/bin/env bash
# Races on the SSO API (issue 9, point 4), which Odoo's HTTP test case cannot show (it serialises
# requests): a multi-worker Odoo on a private PostgreSQL, and parallel login requests from several
# loopback addresses (127.0.0.1 plays Ameyo's server, 127.0.0.2-4 sprayers). Prints its figures;
# asserts nothing. About 2 minutes; state in a temporary folder (KEEP=1 keeps it).
#   bench/sso_race.sh
#   WORKERS=8 PARALLEL=80 bench/sso_race.sh

source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

require_odoo
ensure_dependencies

WORKERS="${WORKERS:-4}"
PARALLEL="${PARALLEL:-40}"
DB="crm_ameyo_sso_race"
bench_begin sso_race
log "installing crm_ameyo (no demo data)"
odoo_cmd -d "$DB" -i crm_ameyo --stop-after-init --workers=0 --log-level=warn >"$WORK_DIR/install.log" 2>&1

# an SSO server whose source network is 127.0.0.1 (Ameyo), and agents, through Odoo itself
odoo_cmd shell -d "$DB" --no-http --log-level=warn >"$WORK_DIR/setup.log" 2>&1 <<'PY'
server = env['ameyo.server'].create({'name': 'Race Ameyo', 'base_url': 'http://127.0.0.1:9', 'session_mode': 'sso'})
if 'sso_source_networks' in server._fields:
    server.sso_source_networks = '127.0.0.1'
agent_group = env.ref('crm_ameyo.group_ameyo_agent')
for index in range(1, 6):
    env['res.users'].create({
        'name': f'Race Agent {index}', 'login': f'race_agent{index}', 'password': f'race-agent-{index}-password',
        'ameyo_user_id': f'race.agent{index}@acme', 'group_ids': [(4, agent_group.id)],
    })
env.cr.commit()
PY

HTTP_PORT="$(free_port)"
bench_odoo "$WORK_DIR/odoo.log" "$HTTP_PORT" --workers="$WORKERS" --max-cron-threads=0 --log-level=info

"$PYTHON" "$REPO_DIR/bench/sso_race.py" --db "$DB" --pg-port "$PG_PORT" --port "$HTTP_PORT" \
    --workers "$WORKERS" --parallel "$PARALLEL" --odoo-log "$WORK_DIR/odoo.log"
