#!/bin/sh
# Load the inbox into the loader's warehouse, then publish it to every node folder (deploy/systemd/gansu-publish.service).
set -eu
cd "${GANSU_HOME:-/opt/gansu}"
.venv/bin/python -m etl load "$GANSU_INBOX" --db "$GANSU_DB" --quiet
set --
for d in $GANSU_NODE_DIRS; do set -- "$@" --to "$d"; done
exec .venv/bin/python -m etl publish --db "$GANSU_DB" "$@"
