#!/usr/bin/env bash
# Run every check of crm_ameyo on a throw-away stack: a private PostgreSQL, a fresh
# database with the addon and its demo data, the Odoo test suite (HTTP, simulator and
# Chromium tests included), an uninstall, the linters, and the Odoo 19 bootstrap
# (scripts/test_bootstrap.sh; when python3 cannot import Odoo 19, this script installs it
# first, see scripts/bootstrap_odoo.sh), and scripts/run.sh stopping everything on SIGTERM
# (scripts/test_run_stop.sh), and this script's own summary (scripts/test_summary.sh). Ends with
# "N passed, M failed", whatever happens (a run stopped early says why and counts as a failure);
# exits non-zero on any failure. A skipped test counts as a failure. The JavaScript unit tests (hoot,
# static/tests/*.test.js) run inside the Odoo tests (tests/test_js_units.py) and count one each.
#
# The Odoo tests run under pytest-odoo, on the database the install left; TEST_RUNNER=odoo
# runs them through Odoo's own runner instead (installing and testing in one go).
#
#   scripts/test.sh                                        # everything
#   TEST_TAGS=/crm_ameyo:TestScreenPop scripts/test.sh     # a subset of the Odoo tests (Odoo's --test-tags:
#   TEST_TAGS=/crm_ameyo:TestDispose.test_timeout_then_retry,/crm_ameyo:TestSso scripts/test.sh   # classes, methods)
#   TEST_RUNNER=odoo scripts/test.sh                       # the Odoo tests through Odoo's runner
#   KEEP=1 scripts/test.sh                                 # keep the temporary folder (database, logs) for inspection
#   ONLY_ODOO_TESTS=1 scripts/test.sh                      # the install and the Odoo tests, none of the other checks

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Every way out prints the summary line: the checks, plus the run itself as a failure when it stopped
# before its end (the reason is logged where it stopped; errexit's is where the ERR trap saw it).
passed=0
failed=0
summary_printed=0
stopped_at=""
WORK_DIR=""
set -E  # the ERR trap in functions and subshells too
# shellcheck disable=SC2154  # set by bash
trap '[[ $- != *e* ]] || stopped_at="${BASH_SOURCE[0]##*/} line $LINENO: $BASH_COMMAND"' ERR
summary() {
    echo "$passed passed, $failed failed"
    summary_printed=1
}
cleanup() {
    local rc=$?
    if [ "$summary_printed" -eq 0 ]; then
        [ -z "$stopped_at" ] || log "stopped by a failing command (exit $rc) at $stopped_at"
        log "test.sh stopped before its end (exit $rc): the run counts as one failure"
        failed=$((failed + 1))
        summary
        [ "$rc" -ne 0 ] || rc=1
    fi
    if [ -n "$WORK_DIR" ]; then
        stop_postgres "$WORK_DIR/pg"
        if [ "${KEEP:-0}" = "1" ]; then log "kept $WORK_DIR"; else rm -rf "$WORK_DIR"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT

TEST_RUNNER="${TEST_RUNNER:-pytest}"
case "$TEST_RUNNER" in pytest|odoo) ;; *) log "TEST_RUNNER is pytest or odoo, not '$TEST_RUNNER'"; exit 2 ;; esac

require_odoo
ensure_dependencies

WORK_DIR="$(mktemp -d /tmp/crm_ameyo_test.XXXXXX)"
chmod 755 "$WORK_DIR"
STAGE_DIR="$WORK_DIR/addons"
DB="crm_ameyo_test"
ODOO_LOG="$WORK_DIR/odoo.log"
DATA_DIR="$WORK_DIR/data"  # filestore and sessions of the throw-away database

stage_addon "$STAGE_DIR"
start_postgres "$WORK_DIR/pg" "$(free_port)"
log "PostgreSQL on 127.0.0.1:$PG_PORT, Odoo log in $ODOO_LOG"

# show_head LINES FILE WHAT: the first LINES lines of FILE on stderr, and how many more there are (a file,
# not a pipe into head: head leaving early would kill the writer with SIGPIPE, exit 141, under pipefail).
show_head() {
    local lines total
    lines="$1"
    total="$(wc -l <"$2")"
    head -n "$lines" "$2" >&2
    [ "$total" -le "$lines" ] || log "... the $3 goes on for $((total - lines)) more lines, in $2 (KEEP=1 keeps it)"
}

check() {  # check NAME STATUS
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); log "PASS $1"; else failed=$((failed + 1)); log "FAIL $1"; fi
}
# shell_checks NAME COMMAND...: a shell test printing one "PASS name" or "FAIL name" line per check; each
# becomes a check of ours (a test that prints none is a failure).
shell_checks() {
    local name="$1" results verdict check_name
    shift
    set +e
    results="$("$@")"
    set -e
    while read -r verdict check_name; do
        case "$verdict" in
            PASS) check "$check_name" 0 ;;
            FAIL) check "$check_name" 1 ;;
        esac
    done <<<"$results"
    grep -qE '^(PASS|FAIL) ' <<<"$results" || check "$name reports its checks" 1
}

# count_hoot_tests LOG: hoot_passed, hoot_failed and hoot_failed_list (the failed tests' names) of this addon's
# hoot tests, from the lines Odoo logged of the browser's console: [HOOT] Test "@crm_ameyo/..." passed (...) or
# [HOOT] Test "@crm_ameyo/..." failed: (then why).
count_hoot_tests() {
    hoot_passed=0 hoot_failed=0 hoot_failed_list=""
    [ -f "$1" ] || return 0
    hoot_passed="$(grep -cE '\[HOOT\] Test "@crm_ameyo/.*" passed \(' "$1" || true)"
    hoot_failed_list="$(grep -oE '\[HOOT\] Test "@crm_ameyo/.*" failed:' "$1" | sed -E 's/^\[HOOT\] Test (.*) failed:$/\1/' || true)"
    hoot_failed="$(grep -c . <<<"$hoot_failed_list" || true)"
}

HTTP_ARGS=(--http-interface=127.0.0.1 --http-port="$(free_port)" --workers=0 --max-cron-threads=0)

# pytest_nodes: the pytest node ids of TEST_TAGS (comma-separated /crm_ameyo:Class[.method] specs), one a
# line; exits 3 on a spec it cannot translate (a tag, an exclusion): Odoo's runner then takes the run.
pytest_nodes() {
    "$PYTHON" - "$STAGE_DIR/crm_ameyo/tests" "$1" <<'PY'
import pathlib, re, sys
tests, specs = pathlib.Path(sys.argv[1]), [spec.strip() for spec in sys.argv[2].split(',') if spec.strip()]
classes = {name: path.name for path in sorted(tests.glob('test_*.py'))
           for name in re.findall(r'^class (\w+)\(', path.read_text(), re.M)}
for spec in specs:
    match = re.fullmatch(r'(?:/crm_ameyo)?(?::(\w+)(?:\.(\w+))?)?', spec)
    if not match or spec in ('', ':'):
        sys.exit(3)
    class_name, method = match.groups()
    if class_name is None:
        print('tests')
    elif class_name not in classes:
        sys.exit(f'TEST_TAGS: no test class {class_name} in tests/')
    else:
        print(f'tests/{classes[class_name]}::{class_name}' + (f'::{method}' if method else ''))
PY
}

# 1. Install with demo data and run the Odoo tests.
t_run=0 t_failed=0 t_errors=0 t_skipped=0 skipped_list=""
nodes=()
if [ "$TEST_RUNNER" = pytest ] && [ -n "${TEST_TAGS:-}" ]; then
    set +e
    node_list="$(pytest_nodes "$TEST_TAGS")"
    nodes_rc=$?
    set -e
    if [ "$nodes_rc" -eq 3 ]; then
        log "TEST_TAGS=$TEST_TAGS is more than classes and methods: Odoo's runner takes this run"
        TEST_RUNNER=odoo
    elif [ "$nodes_rc" -ne 0 ]; then
        exit 1  # pytest_nodes said why
    else
        mapfile -t nodes <<<"$node_list"
    fi
fi

if [ "$TEST_RUNNER" = odoo ]; then
    # at_install tests run while the addon installs, post_install ones right after, in the same process
    log "installing crm_ameyo and running its tests with Odoo's runner"
    set +e
    odoo_cmd -d "$DB" -i crm_ameyo --with-demo --test-tags "${TEST_TAGS:-/crm_ameyo}" --stop-after-init \
        "${HTTP_ARGS[@]}" --log-level=info >"$ODOO_LOG" 2>&1
    odoo_rc=$?
    set -e
    result_line="$(grep -E 'odoo.tests.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$ODOO_LOG" | tail -n 1 || true)"
    if [ -z "$result_line" ]; then
        log "Odoo did not report a test result (exit $odoo_rc); last lines of its log:"
        tail -n 40 "$ODOO_LOG" >&2
        exit 1
    fi
    read -r t_failed t_errors t_run < <(sed -E 's/.*: ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/' <<<"$result_line")
    skipped_list="$(grep -E 'odoo\.addons\.crm_ameyo\.[^:]*: skipped ' "$ODOO_LOG" || true)"
    t_skipped="$(grep -c . <<<"$skipped_list" || true)"
    grep -E '(ERROR|CRITICAL) [^ ]+ odoo|FAIL:|ERROR:' "$ODOO_LOG" >"$WORK_DIR/failures.log" || true
    show_head 60 "$WORK_DIR/failures.log" "list of errors"
    # the install's own log: up to the first test of ours (tests provoke warnings on purpose, and assert on them)
    install_log="$(sed -n '/odoo\.addons\.crm_ameyo\.tests.*Starting /q;p' "$ODOO_LOG")"
    tests_rc=$odoo_rc
else
    log "installing crm_ameyo with its demo data"
    set +e
    odoo_cmd -d "$DB" -i crm_ameyo --with-demo --stop-after-init "${HTTP_ARGS[@]}" --log-level=info \
        >"$WORK_DIR/install.log" 2>&1
    install_rc=$?
    set -e
    if [ "$install_rc" -ne 0 ]; then
        log "the install failed (exit $install_rc); last lines of its log:"
        tail -n 40 "$WORK_DIR/install.log" >&2
        exit 1
    fi
    install_log="$(cat "$WORK_DIR/install.log")"
    # pytest-odoo: the database the install left, an HTTP server of its own for HttpCase and browser tests
    cat >"$WORK_DIR/odoo.conf" <<CONF
[options]
db_host = 127.0.0.1
db_port = $PG_PORT
db_user = odoo
db_name = $DB
addons_path = ${ADDONS_PATH:+$ADDONS_PATH,}$STAGE_DIR
data_dir = $DATA_DIR
http_interface = 127.0.0.1
workers = 0
max_cron_threads = 0
logfile = $ODOO_LOG
CONF
    [ ${#nodes[@]} -gt 0 ] || nodes=(tests)
    log "running the Odoo tests with pytest-odoo: ${nodes[*]} (its output in $WORK_DIR/pytest.log)"
    set +e
    (cd "$STAGE_DIR/crm_ameyo" && "$PYTHON" -m pytest -p no:cacheprovider --odoo-config="$WORK_DIR/odoo.conf" \
        --odoo-http --odoo-log-level=info --junitxml="$WORK_DIR/pytest.xml" -rfEs "${nodes[@]}") \
        >"$WORK_DIR/pytest.log" 2>&1
    tests_rc=$?
    set -e
    if [ ! -s "$WORK_DIR/pytest.xml" ]; then
        log "pytest did not report a test result (exit $tests_rc); last lines of its output:"
        tail -n 40 "$WORK_DIR/pytest.log" >&2
        exit 1
    fi
    # one outcome a test, the worst of its subtests: failed (failure), error, skipped or passed
    counts="$("$PYTHON" - "$WORK_DIR/pytest.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
rank = {'passed': 0, 'skipped': 1, 'failed': 2, 'error': 3}
outcomes = {}
for case in ET.parse(sys.argv[1]).getroot().iter('testcase'):
    tags = {child.tag for child in case}
    outcome = 'error' if 'error' in tags else 'failed' if 'failure' in tags else 'skipped' if 'skipped' in tags else 'passed'
    key = (case.get('classname'), case.get('name'))
    outcomes[key] = max(outcomes.get(key, 'passed'), outcome, key=rank.get)
values = list(outcomes.values())
print(len(values), values.count('failed'), values.count('error'), values.count('skipped'))
PY
)" || log "pytest's JUnit report could not be read"
    read -r t_run t_failed t_errors t_skipped <<<"${counts:-0 0 0 0}"
    skipped_list="$(grep -E '^SKIPPED ' "$WORK_DIR/pytest.log" || true)"
    sed -n '/^=* FAILURES =*$\|^=* ERRORS =*$/,/^=* short test summary/p' "$WORK_DIR/pytest.log" \
        >"$WORK_DIR/failures.log"
    show_head 200 "$WORK_DIR/failures.log" "failure report"
    grep -E '^(FAILED|ERROR) ' "$WORK_DIR/pytest.log" >&2 || true
fi
if [ "$t_skipped" -gt 0 ]; then
    log "skipped tests (a skip is a failure here):"
    printf '%s\n' "$skipped_list" >&2
fi
passed=$((t_run - t_failed - t_errors - t_skipped))
failed=$((t_failed + t_errors + t_skipped))
[ "$tests_rc" -eq 0 ] || [ "$failed" -gt 0 ] || { log "the $TEST_RUNNER runner exited with $tests_rc"; failed=$((failed + 1)); }
[ "$t_run" -gt 0 ] || { log "no Odoo test ran"; failed=$((failed + 1)); }
log "Odoo tests ($TEST_RUNNER): $t_run run, $t_failed failed, $t_errors errors, $t_skipped skipped"
# The JavaScript unit tests (hoot): tests/test_js_units.py runs them in Chromium, whose console Odoo logs with
# each test's outcome; each counts one, besides the Odoo test that ran them (which fails when one of them does).
count_hoot_tests "$ODOO_LOG"
if [ $((hoot_passed + hoot_failed)) -gt 0 ]; then
    log "JavaScript unit tests (hoot): $hoot_passed passed, $hoot_failed failed"
    [ "$hoot_failed" -eq 0 ] || { log "failed hoot tests:"; printf '%s\n' "$hoot_failed_list" >&2; }
fi
passed=$((passed + hoot_passed))
failed=$((failed + hoot_failed))
if [ "${ONLY_ODOO_TESTS:-0}" = "1" ]; then
    summary
    [ "$failed" -eq 0 ] || exit 1
    exit 0
fi

# 2. Our module must install without warnings of its own (missing ACLs, deprecated syntax...).
warnings="$(grep -E ' (WARNING|ERROR|CRITICAL) ' <<<"$install_log" | grep -iE 'ameyo' || true)"
[ -z "$warnings" ] || { log "warnings or errors about crm_ameyo in the Odoo log:"; head -n 40 <<<"$warnings" >&2; }
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
(cd "$REPO_DIR" && "$PYTHON" -m ruff format --check --quiet . >&2)
check "ruff format" $?
(cd "$STAGE_DIR" && "$PYTHON" -m pylint --rcfile="$REPO_DIR/.pylintrc-mandatory" crm_ameyo >&2)
check "pylint-odoo mandatory checks" $?
"$PYTHON" "$REPO_DIR/scripts/check_docs.py" >&2
check "docs: links, commands and field names of README.md and docs/ (scripts/check_docs.py, self-test first)" $?
set -e

# 5. The Odoo 19 bootstrap (scripts/bootstrap_odoo.sh), offline: from the Odoo tree in use, with a
#    python that cannot import Odoo, in a throw-away folder; one check per line it prints.
log "testing the Odoo 19 bootstrap from $ODOO_ROOT (about a minute)"
shell_checks "the bootstrap test" "$REPO_DIR/scripts/test_bootstrap.sh" "$ODOO_ROOT"

# 6. scripts/run.sh stopped by SIGTERM stops Odoo, the simulator and PostgreSQL (a few seconds).
log "testing that scripts/run.sh stops everything on SIGTERM"
PYTHON="$PYTHON" shell_checks "the run.sh SIGTERM test" "$REPO_DIR/scripts/test_run_stop.sh"

# 7. This script's own summary line: a long failure report, a run refused before it starts (about a minute).
log "testing that test.sh ends with its summary line, in a throw-away copy"
PYTHON="$PYTHON" shell_checks "the summary line test" "$REPO_DIR/scripts/test_summary.sh"

summary
[ "$failed" -eq 0 ] || exit 1
