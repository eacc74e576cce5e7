#!/bin/bash
# Issue 8 §4: a URL's userinfo and query string (a presigned object-store
# URL carries its signature there) never appear in provctl status (human
# and --json, root and an unprivileged caller), provctl refresh, provd's
# log, or an error text, for a source that answers and for one that fails.
# The redacted form does appear, so the checks below cannot pass on a
# status or log that simply says nothing.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

ds_start
python3 - "$T/doc.json" <<'PY'
import json, sys
json.dump({"prov_directory": 1, "serial": 3,
           "users": [{"id": "u1", "name": "user000001", "uid": 100001}]}, open(sys.argv[1], "w"))
PY
curl -sSf --data-binary @"$T/doc.json" "http://127.0.0.1:$DS_ADMIN/document" >/dev/null

# Secrets nobody would write by accident, one per place a URL hides one.
DEAD="https://deadU:UINFO-SECRET-1@127.0.0.1:1/directory.json?X-Amz-Signature=QUERY-SECRET-1"
GOOD="https://127.0.0.1:$DS_HTTPS/directory.json?X-Amz-Credential=QUERY-SECRET-2&X-Amz-Signature=QUERY-SECRET-3#FRAG-SECRET"
write_config "$T/provd.conf" "$DEAD $GOOD" \
	"[directory]" "token_file = $T/token" "ca_file = $T/certs/ca.pem" "connect_timeout = 1s" "timeout = 3s" \
	"refresh_interval = 1h" "retry_base = 1h" "retry_max = 1h"
start_provd "$T/provd.conf"
check "pull through the presigned URL applied" refresh
check_eq "served" "user000001" "$(getent passwd user000001 | cut -d: -f1)"

"$CTL" status >"$T/status.txt" 2>&1 || true
"$CTL" --json status >"$T/status.json" 2>&1 || true
"${NOBODY[@]}" "$CTL" status >"$T/status-nobody.txt" 2>&1 || true
"${NOBODY[@]}" "$CTL" --json status >"$T/status-nobody.json" 2>&1 || true
"$CTL" refresh >"$T/refresh-ok.txt" 2>&1 || true
"$CTL" --json refresh >"$T/refresh-ok.json" 2>&1 || true

# Now every source fails: the errors, last_error and the refresh report.
stop_provd
write_config "$T/provd-dead.conf" "$DEAD https://u:UINFO-SECRET-4@127.0.0.1:2/x.json?sig=QUERY-SECRET-4" \
	"[directory]" "token_file = $T/token" "ca_file = $T/certs/ca.pem" "connect_timeout = 1s" "timeout = 3s" \
	"refresh_interval = 1h" "retry_base = 1h" "retry_max = 1h"
start_provd "$T/provd-dead.conf"
rc=0; "$CTL" refresh >"$T/refresh-dead.txt" 2>&1 || rc=$?
check "a refresh against dead sources fails" test "$rc" -ne 0
"$CTL" --json refresh >"$T/refresh-dead.json" 2>&1 || true
"$CTL" status >"$T/status-dead.txt" 2>&1 || true
"$CTL" --json status >"$T/status-dead.json" 2>&1 || true
"${NOBODY[@]}" "$CTL" status >"$T/status-dead-nobody.txt" 2>&1 || true
"$CTL" status 2>&1 | grep -q '127.0.0.1:1' && dead_shown=yes || dead_shown=no

# A bad url line in the config: the error names the key, never the secret.
printf '[directory]\nurl = ftp://u:UINFO-SECRET-5@h/x?QUERY-SECRET-5\n' >"$T/bad.conf"
"$PROV_BUILD/provd/provd" -c "$T/bad.conf" --check-config >"$T/check-config.txt" 2>&1 || true
check "the bad config is refused, naming the url key" grep -q 'url' "$T/check-config.txt"
stop_provd

for f in status.txt status.json status-nobody.txt status-nobody.json refresh-ok.txt refresh-ok.json \
	refresh-dead.txt refresh-dead.json status-dead.txt status-dead.json status-dead-nobody.txt \
	check-config.txt provd.log; do
	check "no URL secret in $f" bash -c "! grep -E 'SECRET|deadU' '$T/$f'"
done
check "status shows the source, redacted" grep -qF "https://127.0.0.1:$DS_HTTPS/directory.json?***#***" "$T/status.txt"
check "--json status shows it too" grep -qF "127.0.0.1:$DS_HTTPS/directory.json?***" "$T/status.json"
check "the dead source's userinfo shows as ***@" grep -qF 'https://***@127.0.0.1:1/directory.json?***' "$T/status.txt"
check "the failure is reported with the redacted URL" grep -qF '***@127.0.0.1:' "$T/status-dead.txt"
check "the log names the sources, redacted" grep -qF '?***' "$T/provd.log"
check_eq "the dead source appears in status (so the check above means something)" yes "$dead_shown"
finish
