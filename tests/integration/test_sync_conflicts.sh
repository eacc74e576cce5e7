#!/bin/bash
# One bad entry never takes a good one down (issue 9 §3 and §4, DESIGN
# invariant 13), through real pulls of a directory document over HTTPS:
#  - alice is given bob's home: bob keeps resolving, may log in, and a
#    process running as bob is not signalled; only alice is refused, as a
#    conflict that names bob;
#  - ALICE appears next to alice: alice keeps working, only ALICE is
#    refused; a pull whose only news is that refusal still reports it (the
#    journal, provctl status, the refresh report);
#  - a restart serves the cache, whose bytes hold both colliding entries:
#    the id ledger says who was served, so bob stays, alice stays refused;
#  - when neither entry was served before, both are refused.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps

# doc SERIAL [ALICE_HOME] [EXTRA_USER_JSON]: posts a document to the dirserver.
doc() {
	python3 - "$1" "${2:-/home/alice}" "${3:-}" "$T/doc.json" <<'PY'
import json, sys
serial, alice_home, extra, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
users = [{"id": "id-bob", "name": "bob", "uid": 150010, "gid": 150010, "home": "/home/bob"},
         {"id": "id-alice", "name": "alice", "uid": 150011, "gid": 150011, "home": alice_home}]
if extra:
    users.append(json.loads(extra))
names = [u["name"] for u in users]
json.dump({"prov_directory": 1, "serial": serial, "users": users,
           "bindings": [{"name": "all", "users": names, "grants": ["login"]}]}, open(out, "w"))
PY
	curl -sSf --data-binary @"$T/doc.json" "http://127.0.0.1:$DS_ADMIN/document" >/dev/null
}
may_log_in() { "$CTL" check "$1" >/dev/null 2>&1; }

ds_start
doc 1
write_config "$T/provd.conf" "https://127.0.0.1:$DS_HTTPS/directory.json" \
	"[directory]" "token_file = $T/token" "ca_file = $T/certs/ca.pem" "connect_timeout = 1s" "timeout = 3s" \
	"refresh_interval = 1h" "retry_base = 1h" "retry_max = 1h"
start_provd "$T/provd.conf"
check "first pull applied" refresh
check_eq "bob served" "bob:*:150010:150010::/home/bob:/bin/bash" "$(getent passwd bob)"
check "bob may log in" may_log_in bob
check "alice may log in" may_log_in alice

# A process of bob's, as a login session would run it.
setpriv --reuid=150010 --regid=150010 --clear-groups sleep 600 &
BOB_PID=$!
trap 'rc=$?; kill $BOB_PID 2>/dev/null || true; ds_stop; stop_provd; exit $rc' EXIT

# --- alice is given bob's home ---
doc 2 /home/bob
check "pull with alice on bob's home applied" refresh
check_eq "bob keeps resolving, unchanged" "bob:*:150010:150010::/home/bob:/bin/bash" "$(getent passwd bob)"
check "bob may still log in" may_log_in bob
# Refused, she is gone from the snapshot: at most the retained removed
# user (removed.h: nologin, for her files' sake), never a working login.
check "alice is not served with a login shell" grep -qxE "|/usr/sbin/nologin" <<<"$(getent passwd alice | cut -d: -f7)"
check "alice may not log in" bash -c '! "$0" check alice >/dev/null 2>&1' "$CTL"
sleep 1.5 # a session end would SIGHUP at once
check "bob's process was not signalled" kill -0 $BOB_PID
check "no session of bob ended" bash -c '! grep -E "PROV_EVENT=(sessions_ended|sessions_killed|access_revoked).*(bob|150010)" "$0"' "$T/provd.log"
check "journal: alice is a conflict naming bob" \
	grep -q "PROV_EVENT=entry_conflict PROV_KIND=user PROV_NAME=alice PROV_OUTCOME=conflict PROV_REASON=home is also another entry's: user bob's, served before" "$T/provd.log"
check "journal: nothing against bob" bash -c '! grep -q "PROV_EVENT=entry_[a-z]* PROV_KIND=user PROV_NAME=bob " "$0"' "$T/provd.log"
check_eq "status: conflict counter" 1 "$(status_of conflict)"
check_eq "status: refused counter" 0 "$(status_of refused)"
check "status (root): alice's record" grep -q "^refused\.[0-9]*: *user alice (conflict, not served): home is also another entry's" \
	<<<"$("$CTL" status)"
check "status --json: the counters" grep -q '"conflict": *"\?1"\?' <<<"$("$CTL" --json status)"

# --- ALICE appears; alice's home is hers again ---
doc 3
check "alice back" refresh
check "alice may log in again" may_log_in alice
: >"$T/provd.log.mark"
lines=$(wc -l <"$T/provd.log")
# The same serial: nothing served changes (a no-op plan, as a SCIM pull
# without a change is); only the refusal is news.
doc 3 /home/alice '{"id": "id-ALICE", "name": "ALICE", "uid": 150012, "gid": 150012}'
check "pull adding ALICE" refresh
check "alice keeps working" may_log_in alice
check_eq "alice keeps resolving" "alice:*:150011:150011::/home/alice:/bin/bash" "$(getent passwd alice)"
check_eq "ALICE is not served" "" "$(getent passwd ALICE || true)"
check "a pull whose only news is a refusal logs it" \
	grep -q "PROV_EVENT=entry_conflict PROV_KIND=user PROV_NAME=ALICE .*user alice's, served before" \
	<<<"$(tail -n +"$((lines + 1))" "$T/provd.log")"
check "status: last sync says what it refused" grep -q "1 conflict" <<<"$(status_of last_sync_result)"
check "status (root): ALICE's record" grep -q "user ALICE (conflict, not served)" <<<"$("$CTL" status)"
check_eq "refresh report: the conflict counter" 1 "$(sed -n 's/^conflict: *//p' "$T/refresh.out")"

# --- a restart with the directory down serves the cache: same decisions ---
doc 5 /home/bob
check "alice on bob's home again" refresh
stop_provd
ds_stop
start_provd "$T/provd.conf"
check_eq "restart: bob served from the cache" "bob:*:150010:150010::/home/bob:/bin/bash" "$(getent passwd bob)"
check "restart: bob may log in" may_log_in bob
check "restart: alice still may not log in" bash -c '! "$0" check alice >/dev/null 2>&1' "$CTL"
check "restart: alice is still the conflict" grep -q "user alice (conflict, not served)" <<<"$("$CTL" status)"
check "bob's process survived it all" kill -0 $BOB_PID
stop_provd

# --- neither served before: both refused (fresh state) ---
rm -rf "$T/state"/*
ds_start
doc 6 /home/bob
write_config "$T/provd.conf" "https://127.0.0.1:$DS_HTTPS/directory.json" \
	"[directory]" "token_file = $T/token" "ca_file = $T/certs/ca.pem" "connect_timeout = 1s" "timeout = 3s" \
	"refresh_interval = 1h" "retry_base = 1h" "retry_max = 1h"
start_provd "$T/provd.conf"
check "fresh host pulls" refresh
check_eq "fresh host: bob refused" "" "$(getent passwd bob || true)"
check_eq "fresh host: alice refused" "" "$(getent passwd alice || true)"
check "fresh host: both named, neither served before" \
	grep -q "PROV_NAME=bob .*neither was served before" "$T/provd.log"
finish
