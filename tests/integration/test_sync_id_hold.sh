#!/bin/bash
# A uid belongs to one identity (issue 8 §5, DESIGN invariant 14), through
# real pulls of a directory document over HTTPS: carol leaves the
# directory; dave, a new identity, comes with carol's uid. Dave is refused
# as a conflict naming carol, uid 150020 resolves to carol alone (never two
# passwd entries with one uid), also after a restart (the id ledger is
# persisted); with id_quarantine and deprovisioned_retention at 0 the uid
# is free again and dave is served.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps

# doc SERIAL USER_JSON...: posts a document with these users.
doc() {
	python3 - "$T/doc.json" "$@" <<'PY'
import json, sys
out, serial, users = sys.argv[1], int(sys.argv[2]), [json.loads(u) for u in sys.argv[3:]]
users.insert(0, {"id": "id-erin", "name": "erin", "uid": 150030})
json.dump({"prov_directory": 1, "serial": serial, "users": users,
           "bindings": [{"name": "all", "users": [u["name"] for u in users], "grants": ["login"]}]},
          open(out, "w"))
PY
	curl -sSf --data-binary @"$T/doc.json" "http://127.0.0.1:$DS_ADMIN/document" >/dev/null
}
config() {
	write_config "$T/provd.conf" "https://127.0.0.1:$DS_HTTPS/directory.json" \
		"[directory]" "token_file = $T/token" "ca_file = $T/certs/ca.pem" "connect_timeout = 1s" \
		"timeout = 3s" "refresh_interval = 1h" "retry_base = 1h" "retry_max = 1h" "$@"
}
with_uid() { getent passwd | awk -F: -v u="$1" '$3 == u' | cut -d: -f1 | sort | tr '\n' ' '; }
CAROL='{"id": "id-carol", "name": "carol", "uid": 150020}'
DAVE='{"id": "id-dave", "name": "dave", "uid": 150020}'

ds_start
doc 1 "$CAROL"
config
start_provd "$T/provd.conf"
check "first pull" refresh
check_eq "carol has 150020" "carol " "$(with_uid 150020)"
doc 2
check "carol leaves" refresh
check_eq "carol retained with nologin" "/usr/sbin/nologin" "$(getent passwd carol | cut -d: -f7)"
check "the ledger is written, private" test "$(stat -c %a "$T/state/id-ledger")" = 600
check "the ledger holds carol's uid" grep -qP "^u\t150020\t[1-9][0-9]*\tcarol\t" "$T/state/id-ledger"

doc 3 "$DAVE"
check "dave comes with carol's uid" refresh
check_eq "one passwd entry for 150020: carol's" "carol " "$(with_uid 150020)"
check_eq "getent passwd 150020 is carol" carol "$(getent passwd 150020 | cut -d: -f1)"
check_eq "dave not served" "" "$(getent passwd dave || true)"
check "dave may not log in" bash -c '! "$0" check dave >/dev/null 2>&1' "$CTL"
check_eq "status: one conflict" 1 "$(status_of conflict)"
check "journal: the conflict names carol" \
	grep -q "PROV_EVENT=entry_conflict PROV_KIND=user PROV_NAME=dave PROV_OUTCOME=conflict PROV_REASON=uid 150020 belonged to user carol" \
	"$T/provd.log"
check_eq "erin, untouched, still served" erin "$(getent passwd 150030 | cut -d: -f1)"

# --- a restart: the ledger is read back ---
stop_provd
start_provd "$T/provd.conf"
check "after a restart, a pull" refresh
check_eq "restart: dave still not served" "" "$(getent passwd dave || true)"
check_eq "restart: one passwd entry for 150020" "carol " "$(with_uid 150020)"

# --- quarantine and retention 0: the uid is free, dave is served ---
config "[accounts]" "id_quarantine = 0" "[login]" "deprovisioned_retention = 0"
kill -HUP "$PROVD_PID"
for _ in $(seq 50); do
	getent passwd dave >/dev/null && break
	sleep 0.1
done
check_eq "id_quarantine = 0: dave served" "dave:*:150020:150020::/home/dave:/bin/bash" "$(getent passwd dave || true)"
check_eq "id_quarantine = 0: still one entry for 150020" "dave " "$(with_uid 150020)"
finish
