#!/usr/bin/env bash
# pylint-odoo's mandatory checks on this checkout, staged as a folder named crm_ameyo (the addon's
# technical name, which pylint-odoo reads from the folder). Used by .pre-commit-config.yaml.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STAGE_DIR="$(mktemp -d /tmp/crm_ameyo_lint.XXXXXX)"
trap 'rm -rf "$STAGE_DIR"' EXIT
stage_addon "$STAGE_DIR"
cd "$STAGE_DIR" && "$PYTHON" -m pylint --rcfile="$REPO_DIR/.pylintrc-mandatory" crm_ameyo
