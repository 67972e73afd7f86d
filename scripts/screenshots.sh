#!/usr/bin/env bash
# The Apps page's screenshots (static/description/*.png), taken from the demo of this checkout:
#   scripts/screenshots.sh          # a fresh demo database (scripts/run.sh, RESET=1), calls, then Chromium
#   scripts/screenshots.sh --reuse  # the demo already running on HTTP_PORT / SIM_PORT (not stopped)
# Ports (defaults kept apart from scripts/run.sh's): HTTP_PORT=8481 SIM_PORT=8909 PG_RUN_PORT=55508
# CDP_PORT=9343 (Chromium's DevTools); the demo's folder: CRM_AMEYO_RUN_DIR (/tmp/crm_ameyo-screenshots).
# What it does and why: scripts/screenshots.py. Look at every PNG it writes before committing it.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_odoo
ensure_dependencies
export PYTHON
exec "$PYTHON" "$REPO_DIR/scripts/screenshots.py" "$@"
