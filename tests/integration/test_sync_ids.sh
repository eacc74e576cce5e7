#!/bin/bash
# Ids derived without uidNumber/gidNumber (issue 3): two provd instances
# with nothing in common but the directory, fed the same users and groups in
# a different order, serve the same uids and gids; and an assigned id does
# not move when other users come and go, nor across a restart.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps

ds_start
admin /config '{"max_page": 9}'
admin /generate '{"users": 60, "groups": 6, "members_per_group": 7, "posix": false}'

derived_users() { getent passwd | awk -F: '$3 >= 200000 && $3 <= 999999 {print $1 ":" $3 ":" $4}' | sort; }
derived_groups() { getent group | awk -F: '$3 >= 200000 && $3 <= 999999 {print $1 ":" $3 ":" $4}' | sort; }

# Host A.
scim_config "$T/a.conf"
start_provd "$T/a.conf"
check "host A: first pull" refresh
a_users=$(derived_users)
a_groups=$(derived_groups)
check_eq "host A: 60 users with derived uids" 60 "$(echo "$a_users" | grep -c .)"
check_eq "host A: 6 groups with derived gids" 6 "$(echo "$a_groups" | grep -c '^group')"
# (and each user her private group: no gidNumber, issue 9)
check_eq "host A: 60 user private groups" 60 "$(echo "$a_groups" | grep -c '^user')"
stop_provd

# The same directory in another order (pages shift everything around).
admin_get /users | python3 -c 'import json, random, sys
u = json.load(sys.stdin); random.Random(7).shuffle(u); print(json.dumps({"users": u}))' > "$T/users.json"
admin_get /groups | python3 -c 'import json, random, sys
g = json.load(sys.stdin); g.reverse(); print(json.dumps({"groups": g}))' > "$T/groups.json"
curl -sSf -d @"$T/users.json" "http://127.0.0.1:$DS_ADMIN/users" >/dev/null
curl -sSf -d @"$T/groups.json" "http://127.0.0.1:$DS_ADMIN/groups" >/dev/null
check "the order really changed" bash -c "[ \"\$(admin_get() { curl -sSf http://127.0.0.1:$DS_ADMIN/users; }; admin_get | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"userName\"])')\" != user000000 ]"

# Host B: another state dir, nothing shared with A.
mkdir -m 700 "$T/stateB"
# (removed users forgotten at once: this test counts who resolves)
scim_config "$T/b.conf" "[login]" "deprovisioned_retention = 0"
sed -i "s|^state_dir = .*|state_dir = $T/stateB|" "$T/b.conf"
start_provd "$T/b.conf"
check "host B: first pull" refresh
check_eq "host B serves the same uids as host A" "$a_users" "$(derived_users)"
check_eq "host B serves the same gids and members as host A" "$a_groups" "$(derived_groups)"

# Others come and go: the ids of the rest stay.
admin /op '{"op": "delete_user", "id": "'"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["users"][0]["id"])' "$T/users.json")"'"}'
admin /op '{"op": "add_user", "user": {"id": "zz-new", "userName": "latecomer", "active": true}}'
check "host B: a user leaves, another comes" refresh
gone=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["users"][0]["userName"])' "$T/users.json")
check_eq "the others keep their uids" "$(grep -v "^$gone:" <<<"$a_users")" "$(derived_users | grep -v '^latecomer:')"
late=$(derived_users | grep '^latecomer:')
check "the newcomer got a derived uid" test -n "$late"
stop_provd
start_provd "$T/b.conf"
check "host B: pull after a restart" refresh
check_eq "after a restart every uid is the same" "$(grep -v "^$gone:" <<<"$a_users"; echo "$late")" \
	"$( (derived_users | grep -v '^latecomer:'; derived_users | grep '^latecomer:'))"

finish
