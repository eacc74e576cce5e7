#!/bin/bash
# A SCIM pull is one consistent snapshot, or it is not applied (issue 9 §1,
# DESIGN invariants 4 and 13). SCIM pages by offset: a user deleted at the
# source while provd is between two pages shifts the later pages by one, and
# a different, still-active user is never seen. Applying that pull would
# deprovision her and kill her processes. Here a real provd pulls from the
# test directory while it deletes, inserts and reorders users between pages:
# no running process is touched and nobody is deprovisioned until a
# consistent pull shows the change; then exactly the deleted user is.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
sync_traps
SLEEPERS=()
trap 'rc=$?; for p in "${SLEEPERS[@]}"; do kill "$p" 2>/dev/null || true; done; ds_stop; stop_provd; exit $rc' EXIT

ds_start
# 12 users on pages of 5, all in group00000, which grants login here.
admin /config '{"max_page": 5}'
admin /generate '{"users": 12, "groups": 1, "members_per_group": 12}'
scim_config "$T/provd.conf" "[host]" "login_groups = group00000"
start_provd "$T/provd.conf"
check "first pull applied" refresh
check_eq "12 users" 12 "$(prov_users | wc -l)"

id_of() { # the SCIM id of userName $1
	admin_get /users | python3 -c 'import json, sys
print([u["id"] for u in json.load(sys.stdin) if u["userName"] == sys.argv[1]][0])' "$1"
}
# sleeper UID: a process running as that uid (what a session holds); its
# pid in SLEEPER.
sleeper() {
	setpriv --reuid="$1" --regid="$1" --clear-groups sleep 1000 </dev/null >/dev/null 2>&1 &
	SLEEPER=$!
	SLEEPERS+=("$SLEEPER")
}
alive() { kill -0 "$1" 2>/dev/null; }
deprovisioned() { grep -c "PROV_EVENT=user_deprovisioned" "$T/provd.log" || true; }
shell_of() { getent passwd "$1" | cut -d: -f7; }

gone_id=$(id_of user000000)
# user000005 opens page 2: with user000000 deleted after page 1 she would
# slide onto page 1, already read, and be missed.
sleeper 100005
victim=$SLEEPER
sleeper 100000
leaver=$SLEEPER
sleep 0.2
check "the sleepers run" alive "$victim"

# --- a deletion in the middle of every pull, until the directory holds still ---
# The churn goes on until the test stops it (fault none), not for the 4
# pulls of one refresh only: provd retries a rejected pull on its own after
# a random delay in [0, retry_base] (full jitter), and a retry that met a
# still directory during the checks below would apply the deletion early.
admin /log/clear
fault "{\"mode\": \"churn\", \"op\": \"delete\", \"id\": \"$gone_id\", \"page\": 1, \"pulls\": 1000000}"
rc=0; refresh || rc=$?
check "inconsistent pulls: refresh fails" test $rc -ne 0
check "it read the directory 4 times from the start" test "$(admin_get /log | grep -o 'Users?startIndex=1&' | wc -l)" -eq 4
check "status says why" grep -q "the directory changed during the pull: totalResults 12 on page 1, 11 on page 2 (4 pulls in a row, none consistent)" \
	<<<"$(status_of last_sync_result)"
check "journal: sync_rejected with the reason" \
	grep -q "PROV_EVENT=sync_rejected .*PROV_REASON=.*the directory changed during the pull" "$T/provd.log"
sleep 1
check "the still-active user's process is untouched" alive "$victim"
check "the deleted user's process is untouched too (not consistent yet)" alive "$leaver"
check_eq "nobody deprovisioned" 0 "$(deprovisioned)"
check "no session ended" bash -c "! grep -q 'PROV_EVENT=sessions_ended' '$T/provd.log'"
check_eq "user000005 still served with her shell" /bin/bash "$(shell_of user000005)"
check_eq "user000000 still served with her shell" /bin/bash "$(shell_of user000000)"

# --- the directory holds still: the deletion is applied, only it ---
fault '{"mode": "none"}'
check "a consistent pull is applied" refresh
check_eq "exactly one user deprovisioned" 1 "$(deprovisioned)"
check "journal: it is user000000, removed" \
	grep -q "PROV_EVENT=user_deprovisioned PROV_USER=user000000 .*PROV_REASON=removed" "$T/provd.log"
for i in $(seq 100); do alive "$leaver" || break; sleep 0.1; done
check "the deleted user's process is ended" bash -c "! kill -0 $leaver 2>/dev/null"
check "the still-active user's process still runs" alive "$victim"
check_eq "user000005 keeps her shell" /bin/bash "$(shell_of user000005)"
check "sessions_ended names only user000000" \
	bash -c "grep 'PROV_EVENT=sessions_ended' '$T/provd.log' | grep -v 'PROV_USER=user000000 ' | grep -q . && exit 1 || exit 0"
check "journal: absent users were confirmed gone by id" \
	bash -c "curl -sSf 'http://127.0.0.1:$DS_ADMIN/log' | grep -q '/scim/v2/Users/$gone_id'"

# --- one deleted, one created: the total holds, the ids add up ---
# user000006 opens page 2 now; with user000001 deleted after page 1 and a
# user created at the end, she slides onto page 1 and is never seen. The
# pull is only believed once the server says 404 for each absent user.
swap_id=$(id_of user000001)
sleeper 100006
victim2=$SLEEPER
sleeper 100001
leaver2=$SLEEPER
sleep 0.2
fault "{\"mode\": \"churn\", \"op\": \"swap\", \"id\": \"$swap_id\", \"page\": 1, \"pulls\": 1000000}"
rc=0; refresh || rc=$?
check "delete + create between pages: refresh fails" test $rc -ne 0
check "status: the absent user is still on the server" \
	grep -q "/Users: id $(id_of user000006) was on no page, but the server still has it (4 pulls in a row, none consistent)" \
	<<<"$(status_of last_sync_result)"
sleep 1
check "user000006's process is untouched" alive "$victim2"
check "user000001's process is untouched (not consistent yet)" alive "$leaver2"
check_eq "still only user000000 deprovisioned" 1 "$(deprovisioned)"
fault '{"mode": "none"}'
check "the directory holds still: applied" refresh
check "journal: user000001 removed" \
	grep -q "PROV_EVENT=user_deprovisioned PROV_USER=user000001 .*PROV_REASON=removed" "$T/provd.log"
check_eq "two deprovisioned in all" 2 "$(deprovisioned)"
for i in $(seq 100); do alive "$leaver2" || break; sleep 0.1; done
check "user000001's process is ended" bash -c "! kill -0 $leaver2 2>/dev/null"
check "user000006's process still runs" alive "$victim2"
check_eq "user900001 (created) is served" user900001 "$(getent passwd user900001 | cut -d: -f1)"

# --- a user created in front, then a reorder: never a deprovisioning ---
fault '{"mode": "churn", "op": "insert", "page": 1, "pulls": 1}'
check "an insert between pages: read again, applied" refresh
check_eq "the new user is served" user900000 "$(getent passwd user900000 | cut -d: -f1)"
fault '{"mode": "churn", "op": "reorder", "page": 1, "pulls": 4}'
rc=0; refresh || rc=$?
check "a reorder between pages in every pull: refused" test $rc -ne 0
check "status: the distinct ids do not add up" grep -q "partial result: 11 distinct resources but totalResults 12" \
	<<<"$(status_of last_sync_result)"
check "after the reorder, the next pull is consistent" refresh
check_eq "still two deprovisioned" 2 "$(deprovisioned)"
check "the still-active user's process still runs" alive "$victim"

finish
