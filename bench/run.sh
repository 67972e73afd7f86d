#!/usr/bin/env bash
# Screen-pop performance at 1,000,000 contacts (issue 14; design.md "Performance targets"). One command,
# one measurement per argument (default: all three, in this order):
#   bench/run.sh pop       # 1. server time of the pop vs /web/session/check (and get_session_info),
#                          #    Odoo's CPU time per pop and per check, SQL queries per pop and what each is
#                          #    for; caller lookup in the database
#   bench/run.sh browser   # 2. what the agent waits for, headless Chromium (warm cache): customer URL
#                          #    to the caller's name and the call panel in the form, vs the record's own
#                          #    form URL during a call with it (the panel too), rotating; contacts, leads
#   bench/run.sh scale     # 3. deploy/ as it is: two Odoo servers (--workers=2, crons, websocket process,
#                          #    proxy_mode, one data directory) behind a private nginx (installed from Debian
#                          #    when missing), AGENTS agents on the simulator; one server, two, one killed
#   bench/run.sh all
# Prints figures, asserts nothing (the README records them). Variables:
#   PARTNERS=1000000   contacts in the database (QUICK=1: 100,000 and fewer rounds, to try things out)
#   AGENTS=100 CALLS=3 simulated agents and calls per agent (scale); ROUNDS=30 browser pairs (browser)
#   LEGS=0             call legs of a past year inserted in the run's copy before measuring (LEGS=1000000: the
#                      pop with a big legs' table; about a minute per million on the build machine)
#   BENCH_CACHE=<dir>  where the PostgreSQL cluster with the populated template database and the data
#                      directory are kept between runs (default ~/.cache/crm_ameyo/bench, as root
#                      /var/tmp/crm_ameyo-bench); RESET_BENCH=1 rebuilds the template.
#   KEEP=1             keep the temporary folder with Odoo's logs.
# Times on the 2-core build machine at 1,000,000 contacts while other test suites loaded it (load
# average 10-20): the template once, 7 minutes; then each run's copy and upgrade 2 minutes, pop 11,
# browser about 1 minute a round of ROUNDS, scale about 10. A quiet machine takes a fraction of that.

source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

require_odoo
ensure_dependencies

MODES=("$@")
[ ${#MODES[@]} -eq 0 ] && MODES=(pop browser scale)
[ "${MODES[0]}" = "all" ] && MODES=(pop browser scale)
for mode in "${MODES[@]}"; do
    case "$mode" in pop|browser|scale) ;; *) log "unknown measurement '$mode' (pop, browser, scale, all)"; exit 2 ;; esac
done
QUICK="${QUICK:-0}"
if [ "$QUICK" = "1" ]; then PARTNERS="${PARTNERS:-100000}"; else PARTNERS="${PARTNERS:-1000000}"; fi
AGENTS="${AGENTS:-100}"
LEGS="${LEGS:-0}"
CALLS="${CALLS:-3}"
if [ "$(id -u)" -eq 0 ]; then
    BENCH_CACHE="${BENCH_CACHE:-/var/tmp/crm_ameyo-bench}"  # PostgreSQL runs as postgres: not under /root
else
    BENCH_CACHE="${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crm_ameyo/bench}"
fi
TEMPLATE="crm_ameyo_bench_tpl_$PARTNERS"
DB="crm_ameyo_bench"

bench_begin bench "$BENCH_CACHE"
[ "${RESET_BENCH:-0}" = "1" ] && bench_psql "DROP DATABASE IF EXISTS $TEMPLATE" >/dev/null
[ -d "$DATA_DIR/filestore" ] || mkdir -p "$DATA_DIR/filestore"

# 1. The template: the addon without demo data and PARTNERS contacts, built once (a run that stops
# half-way leaves a *_build database, dropped here).
if ! bench_psql "SELECT 1 FROM pg_database WHERE datname = '$TEMPLATE'" | grep -q 1; then
    started=$SECONDS
    bench_psql "DROP DATABASE IF EXISTS ${TEMPLATE}_build" >/dev/null
    rm -rf "$DATA_DIR/filestore/${TEMPLATE}_build" "$DATA_DIR/filestore/$TEMPLATE"
    log "building the template database $TEMPLATE (once; kept in $BENCH_CACHE)"
    odoo_cmd -d "${TEMPLATE}_build" -i crm_ameyo --stop-after-init --workers=0 --log-level=warn \
        >"$WORK_DIR/install.log" 2>&1 || { tail -n 30 "$WORK_DIR/install.log" >&2; exit 1; }
    "$PYTHON" "$REPO_DIR/bench/bench_screen_pop.py" populate --db "${TEMPLATE}_build" --pg-port "$PG_PORT" \
        --partners "$PARTNERS"
    bench_psql "ALTER DATABASE ${TEMPLATE}_build RENAME TO $TEMPLATE" >/dev/null
    mv "$DATA_DIR/filestore/${TEMPLATE}_build" "$DATA_DIR/filestore/$TEMPLATE"
    log "template built in $((SECONDS - started)) s"
fi

# 2. This run's database: a copy of the template, upgraded to the code of this checkout.
started=$SECONDS
bench_psql "DROP DATABASE IF EXISTS $DB" >/dev/null
bench_psql "CREATE DATABASE $DB TEMPLATE $TEMPLATE OWNER odoo" >/dev/null
rm -rf "$DATA_DIR/filestore/$DB" "$DATA_DIR/sessions"
cp -a "$DATA_DIR/filestore/$TEMPLATE" "$DATA_DIR/filestore/$DB"
odoo_cmd -d "$DB" -u crm_ameyo --stop-after-init --workers=0 --log-level=warn >"$WORK_DIR/upgrade.log" 2>&1 \
    || { tail -n 30 "$WORK_DIR/upgrade.log" >&2; exit 1; }

# the server (Ameyo is the simulator the scale run starts on SIM_PORT), its campaign and the agents,
# through Odoo itself
SIM_PORT="$(free_port)"
SIM_PORT="$SIM_PORT" AGENTS="$AGENTS" odoo_cmd shell -d "$DB" --no-http --log-level=warn \
    >"$WORK_DIR/setup.log" 2>&1 <<'PY' || { cat "$WORK_DIR/setup.log" >&2; exit 1; }
import os
server = env['ameyo.server'].create({
    'name': 'Bench Ameyo', 'base_url': f"http://127.0.0.1:{os.environ['SIM_PORT']}", 'session_mode': 'sso',
    'sso_source_networks': '127.0.0.1', 'hash_key': 'bench-hash-key', 'requesting_host': 'odoo.bench',
    'dispose_token': 'bench-dispose-token', 'timeout': 30,
})
campaign = env['ameyo.campaign'].create({'server_id': server.id, 'ameyo_campaign_id': '1', 'name': 'Bench'})
env['ameyo.disposition'].create([{'campaign_id': campaign.id, 'code': 'Sale', 'name': 'Sale'}])
agent_group = env.ref('crm_ameyo.group_ameyo_agent').id
env['res.users'].create({
    'name': 'Bench Agent', 'login': 'bench_agent', 'password': 'bench-agent-password',
    'ameyo_user_id': 'bench.agent@acme', 'group_ids': [(4, agent_group)],
})
agents = env['res.users'].with_context(no_reset_password=True).create([{
    'name': f'Scale Agent {index}', 'login': f'scale_agent{index}', 'ameyo_user_id': f'scale.agent{index}@acme',
    'ameyo_default_campaign_id': campaign.id, 'group_ids': [(4, agent_group)],
} for index in range(int(os.environ['AGENTS']))])
# logins are not part of the calls: a hash of 1,000 rounds (Odoo checks any, and makes 600,000-round ones)
# lets 100 agents log in within seconds on 2 cores
from passlib.hash import pbkdf2_sha512
env.flush_all()
env.cr.execute("UPDATE res_users SET password = %s WHERE id = ANY(%s)",
               [pbkdf2_sha512.using(rounds=1000).hash('scale-agent-password'), agents.ids])
env.cr.commit()
PY
log "database $DB copied from the template and upgraded in $((SECONDS - started)) s"
if [ "$LEGS" -gt 0 ]; then
    # a year of call legs in the run's copy, now that its agents exist (the pop's figures with a big legs' table)
    "$PYTHON" "$REPO_DIR/bench/bench_screen_pop.py" populate-legs --db "$DB" --pg-port "$PG_PORT" \
        --partners "$PARTNERS" --legs "$LEGS"
fi

BENCH_ARGS=(--db "$DB" --pg-port "$PG_PORT" --partners "$PARTNERS")
[ "$QUICK" = "1" ] && BENCH_ARGS+=(--quick)
for mode in "${MODES[@]}"; do
    started=$SECONDS
    case "$mode" in
    pop)
        # 4 workers, as the README's first figures; then one worker with every SQL query logged
        HTTP_PORT="$(free_port)"
        bench_odoo "$WORK_DIR/odoo-pop.log" "$HTTP_PORT" --workers=4 --max-cron-threads=0 --log-level=info
        POP_PID="${BENCH_PIDS[-1]}"
        PROFILE_PORT="$(free_port)"
        bench_odoo "$WORK_DIR/odoo-sql.log" "$PROFILE_PORT" --workers=0 --max-cron-threads=0 --log-level=info \
            --log-handler=odoo.sql_db:DEBUG
        "$PYTHON" "$REPO_DIR/bench/bench_screen_pop.py" measure "${BENCH_ARGS[@]}" \
            --odoo "http://127.0.0.1:$HTTP_PORT" --odoo-log "$WORK_DIR/odoo-pop.log" --odoo-pid "$POP_PID" \
            --profile-odoo "http://127.0.0.1:$PROFILE_PORT" --profile-log "$WORK_DIR/odoo-sql.log"
        ;;
    browser)
        HTTP_PORT="$(free_port)"
        # one process (threads): it serves the call banner's websocket on the same port, as a proxy
        # routing /websocket would for workers
        bench_odoo "$WORK_DIR/odoo-browser.log" "$HTTP_PORT" --workers=0 --max-cron-threads=0 --log-level=info
        "$PYTHON" "$REPO_DIR/bench/bench_browser.py" "${BENCH_ARGS[@]}" --odoo "http://127.0.0.1:$HTTP_PORT" \
            --rounds "${ROUNDS:-30}" --work-dir "$WORK_DIR"
        ;;
    scale)
        # the deployment of deploy/: two Odoo servers started with deploy/odoo.conf (--workers=2, a cron
        # thread, proxy_mode, one data directory; their websocket process on a port of its own) behind the
        # nginx site deploy/odoo-nginx.conf, run as it is: only its addresses, ports and paths replaced.
        # Two private nginx: one proxies the first server only (the one-server run), one both.
        ensure_nginx
        # the Ameyo origin allowed to frame Odoo: the embedded session cookie is checked through the proxy
        PGOPTIONS='-c client_min_messages=warning' as_pg_user "$(find_pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" \
            -U postgres -d "$DB" -qtAc "UPDATE ameyo_server SET frame_origins = 'https://ameyo.bench'" >/dev/null
        set -a  # the servers' environment: deploy/odoo.env
        # shellcheck source=deploy/odoo.env
        source "$REPO_DIR/deploy/odoo.env"
        set +a
        ports=()
        node_pids=()
        for node in 1 2; do
            HTTP_PORT="$(free_port)"
            GEVENT_PORT="$(free_port)"
            GEVENT_PORT="$GEVENT_PORT" bench_odoo "$WORK_DIR/odoo-scale-node$node.log" "$HTTP_PORT" \
                -c "$REPO_DIR/deploy/odoo.conf" --workers=2 --max-cron-threads=1 --log-level=info
            ports+=("$HTTP_PORT" "$GEVENT_PORT")
            node_pids+=("${BENCH_PIDS[-1]}")
        done
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
            -keyout "$WORK_DIR/proxy.key" -out "$WORK_DIR/proxy.crt" >/dev/null 2>&1
        proxies=()
        for servers in 1 2; do
            PROXY_PORT="$(free_port)"
            site="$WORK_DIR/odoo-nginx-$servers.conf"
            sed -e "s#10\.0\.0\.11:8069#127.0.0.1:${ports[0]}#; s#10\.0\.0\.11:8072#127.0.0.1:${ports[1]}#" \
                -e "s#10\.0\.0\.12:8069#127.0.0.1:${ports[2]}#; s#10\.0\.0\.12:8072#127.0.0.1:${ports[3]}#" \
                -e "s#listen 80;#listen 127.0.0.1:$(free_port);#; s#listen 443 ssl;#listen 127.0.0.1:$PROXY_PORT ssl;#" \
                -e "s#/etc/ssl/nginx/server\.crt#$WORK_DIR/proxy.crt#; s#/etc/ssl/nginx/server\.key#$WORK_DIR/proxy.key#" \
                -e "s#/var/log/nginx/#$WORK_DIR/nginx-$servers/logs/#" "$REPO_DIR/deploy/odoo-nginx.conf" >"$site"
            [ "$servers" = 1 ] && sed -i "/127\.0\.0\.1:\(${ports[2]}\|${ports[3]}\)[ ;]/d" "$site"
            bench_nginx "$servers" "$site"
            proxies+=("https://127.0.0.1:$PROXY_PORT")
        done
        "$PYTHON" "$REPO_DIR/bench/bench_scale.py" "${BENCH_ARGS[@]}" --sim-port "$SIM_PORT" \
            --agents "$AGENTS" --calls "$CALLS" --proxy "${proxies[@]}" --ca "$WORK_DIR/proxy.crt" \
            --node-pids "${node_pids[@]}" --odoo-logs "$WORK_DIR"/odoo-scale-node*.log
        bench_stop_nginx
        ;;
    esac
    bench_stop_odoo
    log "$mode: $((SECONDS - started)) s"
done
