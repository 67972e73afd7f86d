#!/usr/bin/env bash
# Test that scripts/run.sh stopped by SIGTERM (kill, a service manager) stops everything it started,
# as Ctrl-C does: Odoo, the Ameyo simulator and PostgreSQL. Fast: a throw-away run folder, unusual
# ports, and the signal as soon as Odoo runs (during the first install).
# Run by scripts/test.sh, which counts its lines; runs alone too: scripts/test_run_stop.sh
# Prints "PASS <check>" / "FAIL <check>" on stdout, the rest on stderr; exits non-zero on a failure.

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e

result() { check_result run.sh "$1" "$2"; }  # result CHECK STATUS

scratch_dir run_stop
run_dir="$SCRATCH_DIR"
http_port="$(free_port)"; sim_port="$(free_port)"; pg_port="$(free_port)"

# The processes of this run: any whose command line names the run folder (PostgreSQL's data folder,
# Odoo's --data-dir), and the simulator on this run's port.
run_processes() {
    local proc cmd
    for proc in /proc/[0-9]*; do
        cmd="$(tr '\0' ' ' 2>/dev/null <"$proc/cmdline")" || continue
        case "$cmd" in
            *"$run_dir"*|*"simulator serve"*"--port $sim_port "*) echo "${proc#/proc/} ${cmd:0:160}" ;;
        esac
    done
}
has_process() {  # has_process PATTERN
    local proc
    for proc in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null <"$proc/cmdline" | grep -q -- "$1" && return 0
    done
    return 1
}

log "starting scripts/run.sh in $run_dir (HTTP $http_port, simulator $sim_port, PostgreSQL $pg_port)"
CRM_AMEYO_RUN_DIR="$run_dir" HTTP_PORT="$http_port" SIM_PORT="$sim_port" PG_RUN_PORT="$pg_port" PYTHON="$PYTHON" \
    setsid "$REPO_DIR/scripts/run.sh" >"$run_dir/run.log" 2>&1 &
run_pid=$!

# wait for the three to run: Odoo (its --data-dir), the simulator and PostgreSQL
started=1
for _ in $(seq 1 1200); do
    if has_process "--data-dir=$run_dir/data" && has_process "--port $sim_port " && has_process "$run_dir/pg"; then
        started=0; break
    fi
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.1
done
result "starts Odoo, the simulator and PostgreSQL" "$started"
[ "$started" -eq 0 ] || tail -n 20 "$run_dir/run.log" >&2

kill -TERM "$run_pid"
stopped=1
for _ in $(seq 1 600); do
    kill -0 "$run_pid" 2>/dev/null || { stopped=0; break; }
    sleep 0.1
done
result "exits within a minute of SIGTERM" "$stopped"

left="$(run_processes)"
[ -z "$left" ] || { log "still running after SIGTERM:"; printf '%s\n' "$left" >&2; }
result "SIGTERM leaves no Odoo, simulator or PostgreSQL process behind" "$([ -z "$left" ]; echo $?)"

# whatever the outcome, nothing of this run stays up
if [ -n "$left" ]; then
    kill -KILL "$run_pid" 2>/dev/null
    while read -r pid _; do kill -KILL "$pid" 2>/dev/null; done <<<"$left"
fi
exit $((CHECK_FAILURES > 0))
