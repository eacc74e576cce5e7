#!/bin/bash
# An explicit uidNumber/gidNumber equal to the id derived for an established
# user/group (issue 9 §3): the established entry keeps her id (her files
# carry it), and only the newcomer is refused, as a conflict naming her.
# Before, the explicit id won and the established user was renumbered by
# whoever wrote the newcomer into the directory.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps

ds_start
admin /generate '{"users": 3, "groups": 1, "members_per_group": 3, "posix": false}'
scim_config "$T/provd.conf" "[host]" "login_groups = group00000"
start_provd "$T/provd.conf"
check "first pull applied" refresh
before=$(getent passwd user000001)
uid=$(cut -d: -f3 <<<"$before")
gid=$(getent group group00000 | cut -d: -f3)
check "user000001 has a derived uid" test "$uid" -ge 200000 -a "$uid" -le 999999
check "group00000 has a derived gid" test "$gid" -ge 200000 -a "$gid" -le 999999
check "user000001 may log in" "$CTL" check user000001
setpriv --reuid="$uid" --regid="$uid" --clear-groups sleep 600 &
PROC=$!
trap 'rc=$?; kill $PROC 2>/dev/null || true; ds_stop; stop_provd; exit $rc' EXIT

lines=$(wc -l <"$T/provd.log")
admin /op '{"op": "add_user", "user": {"id": "taker-1", "userName": "taker", "active": true,
  "urn:ietf:params:scim:schemas:extension:posix:2.0:User": {"uidNumber": '"$uid"', "gidNumber": '"$uid"',
  "homeDirectory": "/home/taker"}}}'
admin /op '{"op": "add_group", "group": {"id": "gtaker-1", "displayName": "gtaker", "members": [],
  "urn:ietf:params:scim:schemas:extension:posix:2.0:Group": {"gidNumber": '"$gid"'}}}'
check "the pull with the id takers" refresh
check_eq "user000001 keeps her uid" "$before" "$(getent passwd user000001)"
check_eq "group00000 keeps its gid" "$gid" "$(getent group group00000 | cut -d: -f3)"
check_eq "user000001 keeps her private group" "user000001:x:$uid:" "$(getent group user000001)"
check_eq "uid $uid is still user000001's" "user000001" "$(getent passwd "$uid" | cut -d: -f1)"
check "user000001 may still log in" "$CTL" check user000001
check_eq "the user taker is not served" "" "$(getent passwd taker || true)"
check_eq "the group gtaker is not served" "" "$(getent group gtaker || true)"
sleep 1.5 # a session end would SIGHUP at once
check "user000001's process was not signalled" kill -0 $PROC
tail -n +"$((lines + 1))" "$T/provd.log" >"$T/new.log"
new=$(cat "$T/new.log")
check "journal: taker is a conflict naming user000001" \
	grep -q "PROV_EVENT=entry_conflict PROV_KIND=user PROV_NAME=taker .*uid $uid.*user user000001's, served before" <<<"$new"
check "journal: gtaker is a conflict naming group00000" \
	grep -q "PROV_EVENT=entry_conflict PROV_KIND=group PROV_NAME=gtaker .*gid $gid.*group group00000's, served before" <<<"$new"
check "journal: nothing against user000001" \
	bash -c '! grep "PROV_EVENT=entry_[a-z]* PROV_KIND=user PROV_NAME=user000001 " "$1"' _ "$T/new.log"
check "status: conflicts counted" test "$(status_of conflict)" -ge 2
stop_provd
start_provd "$T/provd.conf"
check "pull after a restart" refresh
check_eq "after a restart user000001 still has her uid" "$before" "$(getent passwd user000001)"
check_eq "after a restart taker is still refused" "" "$(getent passwd taker || true)"
finish
