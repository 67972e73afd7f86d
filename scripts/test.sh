#!/usr/bin/env bash
# Run every check of crm_ameyo on a throw-away stack: a private PostgreSQL, a fresh
# database with the addon and its demo data, the Odoo test suite (HTTP, simulator and
# Chromium tests included), an uninstall, the linters, and the Odoo 19 bootstrap
# (scripts/test_bootstrap.sh; when python3 cannot import Odoo 19, this script installs it
# first, see scripts/bootstrap_odoo.sh). Ends with "N passed, M failed";
# exits non-zero on any failure. A skipped test counts as a failure.
#
#   scripts/test.sh                 # everything
#   TEST_TAGS=/crm_ameyo:TestAmeyoServer scripts/test.sh   # a subset of the Odoo tests
#   KEEP=1 scripts/test.sh          # keep the temporary folder (database, logs) for inspection

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_odoo
ensure_dependencies

WORK_DIR="$(mktemp -d /tmp/crm_ameyo_test.XXXXXX)"
chmod 755 "$WORK_DIR"
STAGE_DIR="$WORK_DIR/addons"
DB="crm_ameyo_test"
ODOO_LOG="$WORK_DIR/odoo.log"
DATA_DIR="$WORK_DIR/data"  # filestore and sessions of the throw-away database
cleanup() {
    stop_postgres "$WORK_DIR/pg"
    if [ "${KEEP:-0}" = "1" ]; then log "kept $WORK_DIR"; else rm -rf "$WORK_DIR"; fi
}
trap cleanup EXIT

stage_addon "$STAGE_DIR"
start_postgres "$WORK_DIR/pg" "$(free_port)"
log "PostgreSQL on 127.0.0.1:$PG_PORT, Odoo log in $ODOO_LOG"

passed=0
failed=0
check() {  # check NAME STATUS
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); log "PASS $1"; else failed=$((failed + 1)); log "FAIL $1"; fi
}

# 1. Install with demo data and run the Odoo tests (at_install and post_install).
log "installing crm_ameyo and running its tests"
set +e
odoo_cmd -d "$DB" -i crm_ameyo --with-demo --test-tags "${TEST_TAGS:-/crm_ameyo}" --stop-after-init \
    --http-interface=127.0.0.1 --http-port="$(free_port)" --workers=0 --max-cron-threads=0 \
    --log-level=info >"$ODOO_LOG" 2>&1
odoo_rc=$?
set -e

result_line="$(grep -E 'odoo.tests.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$ODOO_LOG" | tail -n 1 || true)"
if [ -z "$result_line" ]; then
    log "Odoo did not report a test result (exit $odoo_rc); last lines of its log:"
    tail -n 40 "$ODOO_LOG" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
read -r t_failed t_errors t_run < <(sed -E 's/.*: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/' <<<"$result_line")
t_skipped="$(grep -cE 'INFO [^ ]+ odoo\.addons\.crm_ameyo\.[^:]*: skipped ' "$ODOO_LOG" || true)"
grep -E '(ERROR|CRITICAL) [^ ]+ odoo|FAIL:|ERROR:' "$ODOO_LOG" | head -n 60 >&2 || true
if [ "$t_skipped" -gt 0 ]; then
    log "skipped tests (a skip is a failure here):"
    grep -E 'odoo\.addons\.crm_ameyo\.[^:]*: skipped ' "$ODOO_LOG" >&2
fi
passed=$((t_run - t_failed - t_errors - t_skipped))
failed=$((t_failed + t_errors + t_skipped))
[ "$odoo_rc" -eq 0 ] || [ "$failed" -gt 0 ] || { log "Odoo exited with $odoo_rc"; failed=$((failed + 1)); }
log "Odoo tests: $t_run run, $t_failed failed, $t_errors errors, $t_skipped skipped"

# 2. Our module must install without warnings of its own (missing ACLs, deprecated syntax...): the log
#    up to the first test of ours (tests provoke warnings on purpose and assert on them themselves).
install_log="$(sed -n '/odoo\.addons\.crm_ameyo\.tests.*Starting /q;p' "$ODOO_LOG")"
warnings="$(grep -E ' (WARNING|ERROR|CRITICAL) ' <<<"$install_log" | grep -iE 'ameyo' || true)"
[ -z "$warnings" ] || { log "warnings or errors about crm_ameyo in the Odoo log:"; printf '%s\n' "$warnings" | head -n 40 >&2; }
check "no warning or error of crm_ameyo while installing" "$([ -z "$warnings" ]; echo $?)"

# 3. Uninstall leaves no table or model behind.
set +e
odoo_cmd shell -d "$DB" --no-http --log-level=warn >"$WORK_DIR/uninstall.log" 2>&1 <<'PY'
module = env['ir.module.module'].search([('name', '=', 'crm_ameyo')])
module.button_immediate_uninstall()
env.cr.execute("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'ameyo%%'")
tables = env.cr.fetchone()[0]
env.cr.execute("SELECT count(*) FROM ir_model WHERE model LIKE 'ameyo.%%'")
models_left = env.cr.fetchone()[0]
env.cr.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'res_users' AND column_name LIKE 'ameyo%%'")
columns = env.cr.fetchone()[0]
state = env['ir.module.module'].search([('name', '=', 'crm_ameyo')]).state
print(f"UNINSTALL state={state} tables={tables} models={models_left} columns={columns}")
PY
set -e
uninstall_line="$(grep -E '^UNINSTALL ' "$WORK_DIR/uninstall.log" || true)"
log "${uninstall_line:-uninstall printed nothing}"
[ "$uninstall_line" = "UNINSTALL state=uninstalled tables=0 models=0 columns=0" ] || tail -n 30 "$WORK_DIR/uninstall.log" >&2
check "uninstall removes every table, model and column" "$([ "$uninstall_line" = "UNINSTALL state=uninstalled tables=0 models=0 columns=0" ]; echo $?)"

# 4. Lint.
set +e
(cd "$REPO_DIR" && "$PYTHON" -m ruff check --quiet . >&2)
check "ruff" $?
(cd "$STAGE_DIR" && "$PYTHON" -m pylint --rcfile="$REPO_DIR/.pylintrc-mandatory" crm_ameyo >&2)
check "pylint-odoo mandatory checks" $?
set -e

# 5. The Odoo 19 bootstrap (scripts/bootstrap_odoo.sh), offline: from the Odoo tree in use, with a
#    python that cannot import Odoo, in a throw-away folder; one check per line it prints.
log "testing the Odoo 19 bootstrap from $ODOO_ROOT (about a minute)"
set +e
bootstrap_results="$("$REPO_DIR/scripts/test_bootstrap.sh" "$ODOO_ROOT")"
set -e
while read -r verdict name; do
    case "$verdict" in
        PASS) check "$name" 0 ;;
        FAIL) check "$name" 1 ;;
    esac
done <<<"$bootstrap_results"
grep -qE '^(PASS|FAIL) ' <<<"$bootstrap_results" || check "the bootstrap test reports its checks" 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
