#!/bin/bash
# A SCIM userName differing only in case from an established user's (issue
# 9 §3): SCIM compares userNames ignoring case, so the two are a conflict,
# and the newcomer alone is refused. The established user keeps resolving,
# may log in, and a process running as her is not signalled; the pull that
# only adds the refused twin still reports it (a no-op plan, applied).
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps

ds_start
admin /generate '{"users": 3, "groups": 1, "members_per_group": 3}'
scim_config "$T/provd.conf" "[host]" "login_groups = group00000"
start_provd "$T/provd.conf"
check "first pull applied" refresh
check_eq "user000001 served" "user000001:*:100001:100001:Test User 1:/home/user000001:/bin/bash" \
	"$(getent passwd user000001)"
check "user000001 may log in" "$CTL" check user000001
setpriv --reuid=100001 --regid=100001 --clear-groups sleep 600 &
PROC=$!
trap 'rc=$?; kill $PROC 2>/dev/null || true; ds_stop; stop_provd; exit $rc' EXIT

lines=$(wc -l <"$T/provd.log")
admin /op '{"op": "add_user", "user": {"id": "twin-1", "userName": "USER000001", "active": true,
  "urn:ietf:params:scim:schemas:extension:posix:2.0:User": {"uidNumber": 100099, "gidNumber": 100099,
  "homeDirectory": "/home/USER000001"}}}'
check "the pull with the case twin" refresh
check_eq "user000001 keeps resolving" "user000001:*:100001:100001:Test User 1:/home/user000001:/bin/bash" \
	"$(getent passwd user000001)"
check "user000001 may still log in" "$CTL" check user000001
check_eq "the twin is not served" "" "$(getent passwd USER000001 || true)"
sleep 1.5 # a session end would SIGHUP at once
check "user000001's process was not signalled" kill -0 $PROC
check "journal: the twin is a conflict naming user000001" \
	grep -q "PROV_EVENT=entry_conflict PROV_KIND=user PROV_NAME=USER000001 .*user user000001's, served before" \
	<<<"$(tail -n +"$((lines + 1))" "$T/provd.log")"
check "journal: nothing against user000001" \
	bash -c '! tail -n +"$1" "$2" | grep -q "PROV_EVENT=entry_[a-z]* PROV_KIND=user PROV_NAME=user000001 "' _ "$((lines + 1))" "$T/provd.log"
check_eq "status: one conflict" 1 "$(status_of conflict)"
check "refresh: the pull says so" grep -q "1 conflict" <<<"$(status_of last_sync_result)"
finish
