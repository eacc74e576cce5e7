#!/bin/bash
# A user deleted and re-created at the source (issue 9 §2): a new SCIM id
# with the same userName is a new identity. The host gives her a new
# derived uid and the memberships of the new entry, and treats the old
# identity as removed: what still runs under the old uid is ended. A name
# can be reused for another person, and the files of the old uid must not
# be handed over to her.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
SLEEPERS=()
trap 'rc=$?; for p in "${SLEEPERS[@]}"; do kill "$p" 2>/dev/null || true; done; ds_stop; stop_provd; exit $rc' EXIT

sleeper() {
	setpriv --reuid="$1" --regid="$1" --clear-groups sleep 1000 </dev/null >/dev/null 2>&1 &
	SLEEPER=$!
	SLEEPERS+=("$SLEEPER")
}
alive() { kill -0 "$1" 2>/dev/null; }
groups_of() { id -Gn "$1" | tr " " "\n" | sort | xargs; }

ds_start
users='{"id": "u-bob", "userName": "bob"}, {"id": "u-cy", "userName": "cy"}, {"id": "u-dee", "userName": "dee"}'
admin /users "{\"users\": [{\"id\": \"old-alice\", \"userName\": \"alice\"}, $users]}"
admin /groups '{"groups": [
 {"id": "g-crew", "displayName": "crew", "members": [{"value": "old-alice"}, {"value": "u-bob"}, {"value": "u-cy"}, {"value": "u-dee"}]},
 {"id": "g-ops", "displayName": "ops", "members": [{"value": "old-alice"}]},
 {"id": "g-dev", "displayName": "dev", "members": []}]}'
scim_config "$T/provd.conf" "[host]" "login_groups = crew"
start_provd "$T/provd.conf"
check "first pull" refresh
old_uid=$(id -u alice)
check_eq "old alice: in ops" "alice crew ops" "$(groups_of alice)"
mkdir -p "$T/files" && touch "$T/files/old" && chown "$old_uid" "$T/files/old"
sleeper "$old_uid"
old_proc=$SLEEPER
bob_uid=$(id -u bob)
sleeper "$bob_uid"
bob_proc=$SLEEPER
sleep 0.2

# Deleted and re-created: new id, same name, other groups.
admin /users "{\"users\": [{\"id\": \"new-alice\", \"userName\": \"alice\"}, $users]}"
admin /groups '{"groups": [
 {"id": "g-crew", "displayName": "crew", "members": [{"value": "new-alice"}, {"value": "u-bob"}, {"value": "u-cy"}, {"value": "u-dee"}]},
 {"id": "g-ops", "displayName": "ops", "members": []},
 {"id": "g-dev", "displayName": "dev", "members": [{"value": "new-alice"}]}]}'
check "the re-creation is applied" refresh
new_uid=$(id -u alice)
check "new alice: another uid" test "$new_uid" -ne "$old_uid"
check_eq "new alice: her private group has her new uid" "alice:$new_uid" "$(getent group alice | cut -d: -f1,3)"
check_eq "new alice: the memberships of the new entry" "alice crew dev" "$(groups_of alice)"
check "the old file is not hers" test "$(stat -c %u "$T/files/old")" -ne "$new_uid"
check "journal: the old identity deprovisioned as removed" \
	grep -q "PROV_EVENT=user_deprovisioned PROV_USER=alice PROV_ID=old-alice .*PROV_REASON=removed" "$T/provd.log"
check "journal: the new identity added" grep -q "PROV_EVENT=user_added PROV_USER=alice PROV_ID=new-alice" "$T/provd.log"
for i in $(seq 100); do alive "$old_proc" || break; sleep 0.1; done
check "the old identity's process is ended" bash -c "! kill -0 $old_proc 2>/dev/null"
check "journal: sessions_ended for the old uid" \
	grep -q "PROV_EVENT=sessions_ended PROV_USER=alice PROV_UID=$old_uid" "$T/provd.log"
check "journal: access_revoked says why" \
	grep -q "PROV_EVENT=access_revoked PROV_USER=alice PROV_UID=$old_uid .*the name now belongs to a new identity" "$T/provd.log"
check "bob is untouched" alive "$bob_proc"
check_eq "new alice may log in" 0 "$("$CTL" check alice >/dev/null 2>&1; echo $?)"

# A renumbering of the SAME identity is not a re-creation: sessions stay.
sleeper "$new_uid"
new_proc=$SLEEPER
admin /op '{"op": "patch_user", "id": "new-alice", "set": {"urn:ietf:params:scim:schemas:extension:posix:2.0:User": {"uidNumber": 170001}}}'
check "renumbered" refresh
check_eq "same identity, new uid" 170001 "$(id -u alice)"
sleep 1
check "a renumbered user keeps her sessions" alive "$new_proc"

finish
