#!/bin/sh
# Nightly Safeguard Auditor run for cron. Example crontab line (03:17 every night):
#   17 3 * * *  /opt/auditor/nightly-audit.sh >> /var/log/auditor/nightly.log 2>&1
# It never overlaps itself (flock), keeps dated report folders, prints the drift since the
# previous run, and exits non-zero for everything a human must look at.
set -u
CONFIG=${AUDITOR_CONFIG:-/etc/auditor/auditor.toml}
HISTORY=${AUDITOR_HISTORY:-/var/lib/auditor/history.sqlite}
OUT=${AUDITOR_OUT:-/var/lib/auditor/reports}/$(date -u +%Y-%m-%dT%H%M%SZ)
LOCK=${AUDITOR_LOCK:-/tmp/auditor-nightly.lock}

exec 9>"$LOCK"
if ! flock -n 9; then
    echo "auditor-nightly: the previous run is still going; skipped"
    exit 0
fi

auditor scan --config "$CONFIG" --history-db "$HISTORY" -f json -f html -f sarif \
    -o "$OUT" --quiet
code=$?

auditor diff --history-db "$HISTORY" -f table --fail-on high
drift=$?

auditor history prune --history-db "$HISTORY" --keep-days 400 >/dev/null

case $code in
    0) verdict="clean" ;;
    1) verdict="FAIL findings at or above fail_on" ;;
    3) verdict="partial: some facts UNVERIFIED or an account not collected" ;;
    5) verdict="NOTHING COLLECTED: every provider or account failed" ;;
    2) verdict="usage or input error" ;;
    130) verdict="interrupted" ;;
    *) verdict="auditor failed (exit $code)" ;;
esac
echo "auditor-nightly: exit $code: $verdict; reports in $OUT"
# The scan's own code, except that new high failures since the last run (diff exit 1) turn a
# clean scan into 1. diff exits 2 on the very first run (nothing to compare): not an error here.
if [ "$code" -eq 0 ] && [ "$drift" -eq 1 ]; then exit 1; fi
exit "$code"
