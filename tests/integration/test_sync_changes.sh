#!/bin/bash
# A SCIM directory changing under provd (issue 3, DESIGN invariants 3, 4,
# 5 and 10): a user added, changed, made inactive and deleted all show up
# after one `provctl refresh`, each with its own journal event; a pull that
# would deprovision too many at once is refused until `refresh --force`; the
# token rotates without a restart and never reaches a log; a restart with
# the directory down serves the cache and keeps its age; a SIGHUP with a
# broken config keeps the running one.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps

ds_start
admin /config '{"max_page": 7}'
admin /generate '{"users": 30, "groups": 3, "members_per_group": 5}'
scim_config "$T/provd.conf"
start_provd "$T/provd.conf"
check "first pull applied" refresh
check_eq "30 users" 30 "$(prov_users | wc -l)"

id_of() { # the SCIM id of userName $1
	admin_get /users | python3 -c 'import json, sys
print([u["id"] for u in json.load(sys.stdin) if u["userName"] == sys.argv[1]][0])' "$1"
}

# --- add, change, deactivate, delete: one pull ---
admin /op '{"op": "add_user", "user": {"id": "new-1", "userName": "newbie", "displayName": "New Bie",
  "active": true, "urn:ietf:params:scim:schemas:extension:posix:2.0:User": {"uidNumber": 150001,
  "gidNumber": 150001, "loginShell": "/bin/bash", "homeDirectory": "/home/newbie"}}}'
admin /op "{\"op\": \"patch_user\", \"id\": \"$(id_of user000002)\", \"set\": {\"displayName\": \"Renamed Two\"}}"
admin /op "{\"op\": \"deactivate\", \"id\": \"$(id_of user000003)\"}"
admin /op "{\"op\": \"delete_user\", \"id\": \"$(id_of user000004)\"}"
check "one refresh applies the changes" refresh
check_eq "refresh reports them" "users +1 ~1 -2 deprovisioned (-0 inactive removed), groups +0 ~1 -0, bindings +0 ~0 -0" \
	"$(sed -n 's/^changes: *//p' "$T/refresh.out")"
check_eq "added user resolves" "newbie:*:150001:150001:New Bie:/home/newbie:/bin/bash" "$(getent passwd newbie)"
check_eq "changed gecos served" "Renamed Two" "$(getent passwd user000002 | cut -d: -f5)"
check_eq "inactive user keeps resolving with nologin" "/usr/sbin/nologin" "$(getent passwd user000003 | cut -d: -f7)"
# A deleted user keeps resolving with nologin for deprovisioned_retention
# (provd/store/removed.h), and may not log in.
check_eq "deleted user keeps resolving with nologin" "/usr/sbin/nologin" "$(getent passwd user000004 | cut -d: -f7)"
rc=0; "$CTL" check user000004 >/dev/null || rc=$?
check_eq "deleted user may not log in" 1 $rc
check "journal: user_added" grep -q "PROV_EVENT=user_added PROV_USER=newbie PROV_ID=new-1" "$T/provd.log"
check "journal: user_changed names the field" grep -q "PROV_EVENT=user_changed PROV_USER=user000002 .*PROV_FIELDS=gecos" "$T/provd.log"
check "journal: deprovisioned, inactive" grep -q "PROV_EVENT=user_deprovisioned PROV_USER=user000003 .*PROV_REASON=inactive" "$T/provd.log"
check "journal: deprovisioned, removed" grep -q "PROV_EVENT=user_deprovisioned PROV_USER=user000004 .*PROV_REASON=removed" "$T/provd.log"
check "journal: the summary event" grep -q "PROV_EVENT=directory_synced .*PROV_USERS_ADDED=1 PROV_USERS_CHANGED=1 PROV_USERS_DEPROVISIONED=2" "$T/provd.log"

# --- the mass-deprovisioning guard, and --force ---
cache=$T/state/directory.cache
before=$(file_id "$cache")
for u in 10 11 12 13 14 15 16 17; do
	admin /op "{\"op\": \"delete_user\", \"id\": \"$(id_of "user0000$u")\"}"
done
rc=0; refresh || rc=$?
check "8 of 29 at once is refused" test $rc -ne 0
check "status: suspicious, and how to accept it" \
	grep -q "suspicious: it would deprovision 8 of 29 active users (28%), over the limit of 10%; provctl refresh --force accepts it" \
	<<<"$(status_of last_sync_result)"
check_eq "refused: user000010 still served" "user000010" "$(getent passwd user000010 | cut -d: -f1)"
check_eq "refused: cache untouched" "$before" "$(file_id "$cache")"
check "refresh --force accepts it" refresh --force
check_eq "--force: reported as forced" "yes" "$(sed -n 's/^forced: *//p' "$T/refresh.out")"
check_eq "forced: user000010 deprovisioned" "/usr/sbin/nologin" "$(getent passwd user000010 | cut -d: -f7)"
check "forced: logged" grep -q "PROV_EVENT=sync_forced" "$T/provd.log"

# --- token rotation without a restart ---
pid=$PROVD_PID
admin /config '{"token": "tok-rotated-Zq81-SECRET-9c1d"}'
rc=0; refresh || rc=$?
check "old token refused after the server rotated it" test $rc -ne 0
printf 'tok-rotated-Zq81-SECRET-9c1d\n' > "$T/token"
check "new token file used at the next pull" refresh
check_eq "same provd process" "$pid" "$PROVD_PID"
check "the new token was sent" bash -c "admin_get() { curl -sSf 'http://127.0.0.1:$DS_ADMIN/log'; }; admin_get | grep -q 'Bearer tok-rotated-Zq81-SECRET-9c1d'"
check "a token file others can read is refused" bash -c "chmod 644 '$T/token'; ! '$CTL' refresh >/dev/null 2>&1"
check "status names the token file problem" grep -q "token" <<<"$(status_of last_sync_result)"
chmod 600 "$T/token"

# --- provd refuses to start with a token file others can read ---
stop_provd
chmod 640 "$T/token"
rc=0; timeout 10 "$PROV_BUILD/provd/provd" -c "$T/provd.conf" >"$T/refused.log" 2>&1 || rc=$?
check "unsafe token file: provd refuses to start" test $rc -ne 0
check "unsafe token file: says why" grep -q "cannot use the directory token: token file $T/token has mode 0640" "$T/refused.log"
rc=0; "$PROV_BUILD/provd/provd" --check-config -c "$T/provd.conf" >/dev/null 2>&1 || rc=$?
check "unsafe token file: --check-config fails too" test $rc -ne 0
chmod 600 "$T/token"
start_provd "$T/provd.conf"

# --- SIGHUP with a broken config keeps the running one ---
cp "$T/provd.conf" "$T/provd.conf.good"
printf '[directory]\ntype = scim\nurl = ftp://nowhere\n' > "$T/provd.conf"
kill -HUP "$PROVD_PID"
sleep 0.3
check "broken config: reload refused, said why" grep -q "reload refused: .*provd.conf:3: url" <<<"$(status_of last_error)"
check "broken config: the running config pulls as before" refresh
cp "$T/provd.conf.good" "$T/provd.conf"

# --- restart with the directory down: cache served, age kept ---
last_ok=$(status_of last_ok)
stop_provd
fault '{"mode": "refuse"}'
start_provd "$T/provd.conf"
check_eq "directory down: cache served" "newbie" "$(getent passwd newbie | cut -d: -f1)"
# The first pull ends in connect_timeout; on a loaded machine provd's start
# and that pull may take several seconds, so wait for it (up to 30 s), or the
# checks below read the status before any attempt was made.
for i in $(seq 300); do [ "$(status_of last_sync)" != "-" ] && break; sleep 0.1; done
check_eq "directory down: last success kept across the restart" "$last_ok" "$(status_of last_ok)"
check "directory down: status says failing, how often" grep -q "^failing since .* (1 in a row)" <<<"$(status_of sync)"
check "directory down: status names the error" grep -q "Couldn't connect" <<<"$(status_of last_sync_result)"
check "directory down: status has the next try" grep -q "(in [0-9]*s)" <<<"$(status_of next_sync)"
check_eq "directory down: not stale within offline_grace" "no" "$(status_of stale)"
fault '{"mode": "none"}'

# --- never a token in any log line ---
check "no token in provd's log" bash -c "! grep -qF -e '$TOKEN' -e 'tok-rotated-Zq81' '$T/provd.log'"
check "no token in what the dirserver printed" bash -c "! grep -qF -e '$TOKEN' -e 'tok-rotated-Zq81' '$T/dirserver.log'"
check "the token went to the directory's own origin only" bash -c \
	"curl -sSf 'http://127.0.0.1:$DS_ADMIN/log' | python3 -c 'import json, sys
bad = [e for e in json.load(sys.stdin) if e[\"authorization\"] and e[\"host\"] != \"127.0.0.1:$DS_HTTPS\"]
sys.exit(1 if bad else 0)'"

finish
