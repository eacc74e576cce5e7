#!/bin/bash
# User private groups (issue 9 §2): a SCIM user without gidNumber gets a
# group of her name whose gid is her primary gid, as useradd's USERGROUPS
# makes it, so real `id` and `getent group` (glibc NSS) show a name, not a
# bare number. Never one that could be mistaken for another group: the
# directory's own group of that name or gid wins, and local accounts win
# over everything (DESIGN invariant 1).
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps

EXT=urn:ietf:params:scim:schemas:extension:posix:2.0:User
GEXT=urn:ietf:params:scim:schemas:extension:posix:2.0:Group
ds_start
curl -sSf -d @- "http://127.0.0.1:$DS_ADMIN/users" >/dev/null <<JSON
{"users": [
 {"id": "u-alice", "userName": "alice", "displayName": "Alice"},
 {"id": "u-bob", "userName": "bob", "$EXT": {"uidNumber": 150001, "gidNumber": 150100}},
 {"id": "u-carol", "userName": "carol"},
 {"id": "u-dave", "userName": "dave", "$EXT": {"uidNumber": 150004}},
 {"id": "u-users", "userName": "users"}
]}
JSON
curl -sSf -d @- "http://127.0.0.1:$DS_ADMIN/groups" >/dev/null <<JSON
{"groups": [
 {"id": "g-devs", "displayName": "devs", "$GEXT": {"gidNumber": 150100}, "members": [{"value": "u-alice"}]},
 {"id": "g-carol", "displayName": "carol", "$GEXT": {"gidNumber": 150200}, "members": []},
 {"id": "g-ops", "displayName": "ops", "$GEXT": {"gidNumber": 150004}, "members": []}
]}
JSON
scim_config "$T/provd.conf"
start_provd "$T/provd.conf"
check "pull applied" refresh

a_uid=$(id -u alice)
check "alice: a derived uid" test "$a_uid" -ge 200000
check_eq "alice: id names her private group" \
	"uid=$a_uid(alice) gid=$a_uid(alice) groups=$a_uid(alice),150100(devs)" "$(id alice)"
check_eq "alice: getent group alice" "alice:$a_uid:" "$(getent group alice | cut -d: -f1,3,4)"
check_eq "alice: getent group by gid" alice "$(getent group "$a_uid" | cut -d: -f1)"
check_eq "dave: explicit uid, no gid: his private group has his uid" \
	"uid=150004(dave) gid=150004(ops) groups=150004(ops)" "$(id dave)"
check_eq "bob: a gidNumber: his directory group, no private group" devs "$(id -gn bob)"
check_eq "bob: no group named bob" "" "$(getent group bob || true)"

# carol: the directory has a group "carol" of another gid. No private group
# is made; admission refuses the directory's group (a group named like a
# user must be her private group), and carol is served with her number.
c_uid=$(id -u carol)
check_eq "carol: served, primary gid a bare number" "$c_uid" "$(id -g carol)"
check "carol: id -gn cannot name it" bash -c "! id -gn carol >/dev/null 2>&1"
check_eq "carol: no group carol served" "" "$(getent group carol || true)"
check "carol: the note says why" grep -q "no private group: the directory has a group named carol" "$T/provd.log"

# users: a local group's name. A prov user may not take it (admission), so
# neither she nor a private group of that name is served; the local group
# is untouched.
check_eq "local group users: still the local one" "$(grep '^users:' /etc/group | cut -d: -f1,3)" \
	"$(getent group users | cut -d: -f1,3)"
check_eq "local group users: only once in the group list" 1 "$(getent group | grep -c '^users:')"
check_eq "user 'users' refused" "" "$(getent passwd users || true)"

# Every host derives the same: a restart from the cache serves the same.
before=$(getent group | sort)
stop_provd
fault '{"mode": "refuse"}'
start_provd "$T/provd.conf"
check_eq "from the cache after a restart: the same groups" "$before" "$(getent group | sort)"
fault '{"mode": "none"}'
check "the next pull changes nothing" refresh
check_eq "the next pull: the same groups" "$before" "$(getent group | sort)"

finish
