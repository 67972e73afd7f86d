#!/usr/bin/env bash
# Test of scripts/test.sh itself: every way it ends, it ends with its "N passed, M failed" line, a
# reason, and a non-zero exit when something failed.
# Run by scripts/test.sh, which counts its lines; runs alone too: scripts/test_summary.sh
# In a throw-away copy of the addon (the real suite is never touched):
#   1. an Odoo test that fails with a long report (thousands of lines, more than a pipe holds): test.sh
#      shows the report's head, says where the rest is, counts the failure and exits 1 (not 141,
#      SIGPIPE, with no summary);
#   2. a run refused before it starts (TEST_RUNNER of a typo): the reason, then the summary line;
#   3. JavaScript unit tests (hoot), two that pass and one that fails: each counts one in the summary line,
#      besides the Odoo test that ran them, the failed one named.
# Needs PYTHON to import Odoo 19 (test.sh hands over its own); about three minutes (two installs).
# Prints "PASS <check>" / "FAIL <check>" on stdout, the rest on stderr; exits non-zero on a failure.

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e

result() { check_result test.sh "$1" "$2"; }  # result CHECK STATUS

scratch_dir test_summary
tmp="$SCRATCH_DIR"
copy="$tmp/crm_ameyo"
rsync -a --exclude '.git' --exclude '__pycache__' --exclude '.ruff_cache' --exclude '/.run' "$REPO_DIR/" "$copy/"

# A test that fails with 3,000 lines of report (about 150 kB: more than a pipe's buffer).
cat >"$copy/tests/test_zz_long_report.py" <<'PY'
from odoo.tests import TransactionCase


class TestLongReport(TransactionCase):
    def test_fails_with_a_long_report(self):
        self.fail('\n'.join(f'line {n} of a deliberately long failure report, for scripts/test_summary.sh'
                            for n in range(1, 3001)))
PY

# run_copy NAME VAR=VALUE...: the copy's test.sh with this python, output in $tmp/NAME.out and .err; sets rc.
run_copy() {
    local name="$1"
    shift
    env PYTHON="$PYTHON" "$@" "$copy/scripts/test.sh" >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    log "test.sh ($name): exit $rc; the end of its output:"
    tail -n 12 "$tmp/$name.err" | sed 's/^/    /' >&2
    tail -n 3 "$tmp/$name.out" | sed 's/^/    /' >&2
}

# 1. The long failure report.
log "a throw-away copy whose one Odoo test fails with a long report (an install: about a minute)"
run_copy long ONLY_ODOO_TESTS=1 TEST_TAGS=/crm_ameyo:TestLongReport
[ "$rc" -eq 1 ] && [ "$(tail -n 1 "$tmp/long.out")" = "0 passed, 1 failed" ]
result "a long failure report ends with the summary line and exit 1" $?
grep -q 'line 10 of a deliberately long failure report' "$tmp/long.err" \
    && ! grep -q 'line 3000 of a deliberately long failure report' "$tmp/long.err" \
    && grep -qE 'the failure report goes on for [0-9]+ more lines' "$tmp/long.err" \
    && grep -q '^FAILED tests/test_zz_long_report.py::TestLongReport::test_fails_with_a_long_report' "$tmp/long.err"
result "a long failure report shows its head, says where the rest is and names the failed test" $?

# 2. Refused before it starts.
run_copy refused TEST_RUNNER=unittest
[ "$rc" -ne 0 ] && [ "$(tail -n 1 "$tmp/refused.out")" = "0 passed, 1 failed" ] \
    && grep -q "TEST_RUNNER is pytest or odoo, not 'unittest'" "$tmp/refused.err"
result "a run refused before it starts gives the reason and the summary line" $?

# 3. Hoot tests counted one by one: the copy's only hoot tests, two passing and one failing.
rm -f "$copy"/static/tests/*.test.js
cat >"$copy/static/tests/zz_summary.test.js" <<'JS'
import { expect, test } from "@odoo/hoot";

test("passes once", () => expect(1).toBe(1));
test("passes twice", () => expect(2).toBe(2));
test("fails on purpose", () => expect(1).toBe(2));
JS
log "a throw-away copy whose hoot tests are two that pass and one that fails (an install: about a minute)"
run_copy hoot ONLY_ODOO_TESTS=1 TEST_TAGS=/crm_ameyo:TestJsUnits
# TestJsUnits: test_no_test_is_focused passes, test_hoot fails (a hoot test failed); then the 3 hoot tests
[ "$rc" -eq 1 ] && [ "$(tail -n 1 "$tmp/hoot.out")" = "3 passed, 2 failed" ] \
    && grep -q 'JavaScript unit tests (hoot): 2 passed, 1 failed' "$tmp/hoot.err" \
    && grep -q '^"@crm_ameyo/zz_summary/fails on purpose"$' "$tmp/hoot.err"
result "hoot tests count one by one, a failed one named, and fail the run" $?

[ "$CHECK_FAILURES" -eq 0 ]
