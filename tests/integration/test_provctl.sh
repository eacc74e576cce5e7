#!/bin/bash
# Every provctl subcommand against a real provd serving a small document
# (issue 5, "provctl, complete"): its output, human and --json, and its exit
# status. Exit codes: 0 ok, 1 not found (user/group unknown, check denies,
# cache verify: no cache), 2 usage error, 3 provd unreachable, 4 other error
# (root-only request from another user, refused cache, rejected refresh).
# An unprivileged caller (nobody) gets only what getent shows (DESIGN
# invariant 7). Subcommands not built yet (check, keys, refresh, doctor)
# are reported as "SKIP:" lines, never silently passed.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"

CTL=$PROV_BUILD/provctl/provctl
PROVD=$PROV_BUILD/provd/provd
CACHE=$T/state/directory.cache
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@test'

_skip=0
skip() { echo "SKIP: $*"; _skip=$((_skip + 1)); }

# run CMD...: OUT, ERR (stdout, stderr without the last newline) and RC.
run() {
	RC=0
	"$@" >"$T/out" 2>"$T/err" || RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

# kv KEY: the value of "KEY: value" in OUT (human output; keys padded).
kv() {
	printf '%s\n' "$OUT" | awk -v k="$1" 'index($0, k ":") == 1 {
		v = substr($0, length(k) + 2); sub(/^ +/, "", v); print v; found = 1 }
		END { if (!found) print "<absent>" }'
}

# jv PATH...: the JSON text of OUT's member at PATH (so 5 and "5" differ),
# "<absent>" when there is none, "<invalid>" when OUT is not JSON.
jv() {
	python3 -c '
import json, sys
try:
    v = json.loads(sys.argv[1])
except ValueError:
    print("<invalid>"); sys.exit(0)
for k in sys.argv[2:]:
    try:
        v = v[int(k)] if isinstance(v, list) else v[k]
    except (KeyError, IndexError, ValueError, TypeError):
        print("<absent>"); sys.exit(0)
print(json.dumps(v))' "$OUT" "$@"
}

json_ok() { printf '%s' "$OUT" | python3 -m json.tool >/dev/null 2>&1; }
# Human "key: value" output with every value in one column.
aligned() { [ "$(printf '%s\n' "$OUT" | awk '{ match($0, /: +/); print RSTART + RLENGTH }' | sort -u | wc -l)" = 1 ]; }
one_line() { [ -n "$ERR" ] && [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ]; }
has_cmd() { "$CTL" --help | grep -qE "^  $1 "; }

# expect DESC RC: the last run's exit status.
expect_rc() { check_eq "$1: exit $2" "$2" "$RC"; }

cat > "$T/dir.json" <<'EOF'
{
  "prov_directory": 1, "serial": 5, "generated": "2026-11-20T00:00:00Z", "not_after": "2036-01-01T00:00:00Z",
  "users": [
    { "name": "alice", "uid": 20001, "gid": 20001, "gecos": "Alice Liddell", "home": "/home/alice", "shell": "/bin/sh",
      "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@test"] },
    { "name": "bob", "uid": 20002, "gecos": "Bob", "shell": "/bin/sh" },
    { "name": "carol", "uid": 20003, "active": false, "shell": "/bin/sh" },
    { "name": "evil0", "uid": 0 }
  ],
  "groups": [
    { "name": "alice", "gid": 20001, "members": [] },
    { "name": "ops", "gid": 30001, "members": ["alice"] }
  ],
  "bindings": [ { "name": "ops-login", "groups": ["ops"], "grants": ["login"] } ]
}
EOF
write_config "$T/provd.conf" "file://$T/dir.json"
start_provd "$T/provd.conf"

# ---------------------------------------------------------------- usage (2)
run "$CTL" --help
expect_rc "--help" 0
for c in status user group cache; do
	check "--help lists $c" grep -qE "^  $c " "$T/out"
done
check "--help documents the exit codes" grep -q "3 provd unreachable" "$T/out"

usage_case() { # DESC ARGS...: exit 2 with one line on stderr, nothing on stdout
	local desc=$1
	shift
	run "$CTL" "$@"
	expect_rc "usage: $desc" 2
	check "usage: $desc: one line on stderr [$ERR]" one_line
	check_eq "usage: $desc: nothing on stdout" "" "$OUT"
}
run "$CTL"
expect_rc "usage: no command" 2
usage_case "unknown command" frobnicate
usage_case "unknown command, --json" --json frobnicate
usage_case "unknown option" --bogus status
usage_case "unknown short option" -x status
usage_case "option without its value" --timeout
usage_case "--timeout not a number" --timeout abc status
usage_case "status with an argument" status extra
usage_case "user without NAME" user
usage_case "user with two names" user alice bob
usage_case "group without NAME" group
usage_case "cache without verify" cache
usage_case "cache with an unknown action" cache frob
usage_case "cache verify with an argument" cache verify extra
check_eq "usage: unknown command names it" "provctl: unknown command 'frobnicate' (try --help)" \
	"$( "$CTL" frobnicate 2>&1 || true)"
check_eq "usage: cache says its usage" "provctl: usage: provctl cache verify" "$( "$CTL" cache 2>&1 || true)"

# ---------------------------------------------------------------- status
run "$CTL" status
expect_rc "status" 0
check "status: values aligned" aligned
check_eq "status: state" "serving" "$(kv state)"
check_eq "status: source" "document file://$T/dir.json" "$(kv source)"
check_eq "status: origin" "file://$T/dir.json" "$(kv origin)"
check_eq "status: serial" "5" "$(kv serial)"
check_eq "status: generated" "2026-11-20T00:00:00Z" "$(kv generated)"
check_eq "status: not_after" "2036-01-01T00:00:00Z" "$(kv not_after)"
check_eq "status: stale" "no" "$(kv stale)"
check_eq "status: users" "3" "$(kv users)"
check_eq "status: groups" "2" "$(kv groups)"
check_eq "status: bindings" "1" "$(kv bindings)"
check_eq "status: refused" "1" "$(kv refused)"
check_eq "status: cache" "written (serial 5)" "$(kv cache)"
check_eq "status: last_error" "none" "$(kv last_error)"
check_eq "status (root): config" "$T/provd.conf" "$(kv config)"
check_eq "status (root): the refused entry and why" "user evil0: uid 0 is reserved (root)" "$(kv refused.1)"

run "$CTL" --json status
expect_rc "status --json" 0
check "status --json: valid JSON" json_ok
check_eq "status --json: one line" 1 "$(printf '%s\n' "$OUT" | wc -l)"
check_eq "status --json: state" '"serving"' "$(jv state)"
check_eq "status --json: serial is a number" 5 "$(jv serial)"
check_eq "status --json: users" 3 "$(jv users)"
check_eq "status --json: refused" 1 "$(jv refused)"
check_eq "status --json: stale" '"no"' "$(jv stale)"
check_eq "status --json (root): refused.1" '"user evil0: uid 0 is reserved (root)"' "$(jv refused.1)"

# ---------------------------------------------------------------- user
run "$CTL" user alice
expect_rc "user alice" 0
check_eq "user alice: every line" "name:   alice
uid:    20001
gid:    20001 (alice)
gecos:  Alice Liddell
home:   /home/alice
shell:  /bin/sh
groups: alice(20001) ops(30001)" "$OUT"
check_eq "user alice: nothing on stderr" "" "$ERR"
run "$CTL" user bob
expect_rc "user bob" 0
check_eq "user bob: defaults filled in, no prov group for his gid" "name:   bob
uid:    20002
gid:    20002
gecos:  Bob
home:   /home/bob
shell:  /bin/sh
groups: 20002" "$OUT"
run "$CTL" user carol
expect_rc "user carol (inactive: still resolves)" 0
check_eq "user carol: nologin shell" "/usr/sbin/nologin" "$(kv shell)"

run "$CTL" --json user alice
expect_rc "user --json alice" 0
check "user --json: valid JSON" json_ok
check_eq "user --json alice: exact" \
	'{"name":"alice","uid":20001,"gid":20001,"gecos":"Alice Liddell","home":"/home/alice","shell":"/bin/sh","groups":[{"gid":20001,"name":"alice"},{"gid":30001,"name":"ops"}]}' \
	"$OUT"
run "$CTL" --json user bob
check_eq "user --json bob: an unnamed group is null" null "$(jv groups 0 name)"

not_found_case() { # DESC WHAT NAME
	run "$CTL" "$2" "$3"
	expect_rc "$1" 1
	check_eq "$1: one line" "provctl: no prov $2 '$3'" "$ERR"
	check_eq "$1: nothing on stdout" "" "$OUT"
	run "$CTL" --json "$2" "$3"
	expect_rc "$1 (--json)" 1
	check_eq "$1 (--json): nothing on stdout" "" "$OUT"
}
not_found_case "user unknown" user nosuch
not_found_case "user local root (not a prov user)" user root
not_found_case "user refused by admission (uid 0)" user evil0
run "$CTL" user "$(printf 'x%.0s' $(seq 40))"
expect_rc "user with an over-long name" 1

# ---------------------------------------------------------------- group
run "$CTL" group ops
expect_rc "group ops" 0
check_eq "group ops: every line" "name:    ops
gid:     30001
members: alice" "$OUT"
run "$CTL" --json group ops
expect_rc "group --json ops" 0
check "group --json: valid JSON" json_ok
check_eq "group --json ops: exact" '{"name":"ops","gid":30001,"members":["alice"]}' "$OUT"
run "$CTL" --json group alice
check_eq "group --json with no members: empty array" '[]' "$(jv members)"
not_found_case "group unknown" group nosuch
not_found_case "group local root" group root

# ---------------------------------------------------------------- cache verify
size=$(stat -c %s "$CACHE")
run "$CTL" cache verify
expect_rc "cache verify" 0
check "cache verify: values aligned" aligned
check_eq "cache verify: result comes first" "result:         valid" "$(printf '%s\n' "$OUT" | head -1)"
check_eq "cache verify: no reason when valid" "<absent>" "$(kv reason)"
check_eq "cache verify: path" "$CACHE" "$(kv path)"
check_eq "cache verify: owner_uid" 0 "$(kv owner_uid)"
check_eq "cache verify: mode" 0600 "$(kv mode)"
check_eq "cache verify: size" "$size" "$(kv size)"
check_eq "cache verify: payload_bytes" $((size - 48)) "$(kv payload_bytes)"
check_eq "cache verify: format_version" 1 "$(kv format_version)"
check_eq "cache verify: serial" 5 "$(kv serial)"
check "cache verify: saved_at is RFC 3339 UTC" \
	grep -qE '^saved_at: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$T/out"
check_eq "cache verify: generated" "2026-11-20T00:00:00Z" "$(kv generated)"
check_eq "cache verify: not_after" "2036-01-01T00:00:00Z" "$(kv not_after)"
check_eq "cache verify: users" 3 "$(kv users)"
check_eq "cache verify: groups" 2 "$(kv groups)"
check_eq "cache verify: bindings" 1 "$(kv bindings)"
check_eq "cache verify: refused" 1 "$(kv refused)"
check_eq "cache verify: served_serial" 5 "$(kv served_serial)"
check_eq "cache verify: matches_served" yes "$(kv matches_served)"
check_eq "cache verify: nothing on stderr" "" "$ERR"

run "$CTL" --json cache verify
expect_rc "cache verify --json" 0
check "cache verify --json: valid JSON" json_ok
check_eq "cache verify --json: result" '"valid"' "$(jv result)"
check_eq "cache verify --json: serial is a number" 5 "$(jv serial)"
check_eq "cache verify --json: mode stays a string" '"0600"' "$(jv mode)"
check_eq "cache verify --json: size" "$size" "$(jv size)"
check_eq "cache verify --json: matches_served" '"yes"' "$(jv matches_served)"

run "$PROVD" -c "$T/provd.conf" --verify-cache
expect_rc "provd --verify-cache (valid)" 0
check_eq "provd --verify-cache: result" valid "$(kv result)"
check_eq "provd --verify-cache: serial" 5 "$(kv serial)"
check_eq "provd --verify-cache: users" 3 "$(kv users)"
check_eq "provd --verify-cache: no served_serial (offline view)" "<absent>" "$(kv served_serial)"

cp -p "$CACHE" "$T/cache.good"
restore_cache() { cp -p "$T/cache.good" "$CACHE"; }

refused_case() { # DESC REASON: cache verify refuses with REASON; provd keeps serving
	local desc=$1 reason=$2
	run "$CTL" cache verify
	expect_rc "cache verify, $desc" 4
	check_eq "cache verify, $desc: result" refused "$(kv result)"
	check_eq "cache verify, $desc: reason" "$reason" "$(kv reason)"
	check_eq "cache verify, $desc: one-line error" "provctl: cache refused: $reason" "$ERR"
	run "$CTL" --json cache verify
	expect_rc "cache verify --json, $desc" 4
	check "cache verify --json, $desc: valid JSON" json_ok
	check_eq "cache verify --json, $desc: result" '"refused"' "$(jv result)"
	check_eq "cache verify --json, $desc: reason" "\"$reason\"" "$(jv reason)"
	check_eq "cache verify --json, $desc: no counts" "<absent>" "$(jv users)"
	run "$PROVD" -c "$T/provd.conf" --verify-cache
	expect_rc "provd --verify-cache, $desc" 1
	check_eq "provd --verify-cache, $desc: reason" "$reason" "$(kv reason)"
	run "$CTL" user alice
	expect_rc "cache verify, $desc: the served snapshot is untouched" 0
}

# One flipped bit in the document.
python3 - "$CACHE" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(60); b = f.read(1); f.seek(60); f.write(bytes([b[0] ^ 1]))
EOF
refused_case "bit flipped" "CRC mismatch"
restore_cache
chmod 0666 "$CACHE"
refused_case "world-writable" "writable by group or others (mode 0666)"
restore_cache
truncate -s 100 "$CACHE"
refused_case "truncated" "truncated or padded: 100 bytes, header says $size"
restore_cache
chown 65534 "$CACHE"
refused_case "owned by nobody" "owned by uid 65534, not root"
restore_cache

rm "$CACHE"
run "$CTL" cache verify
expect_rc "cache verify, no cache" 1
check_eq "cache verify, no cache: result" missing "$(kv result)"
check_eq "cache verify, no cache: reason" "no cache" "$(kv reason)"
check_eq "cache verify, no cache: one-line error" \
	"provctl: no cache at $CACHE (provd has not saved a directory yet)" "$ERR"
run "$CTL" --json cache verify
expect_rc "cache verify --json, no cache" 1
check_eq "cache verify --json, no cache: result" '"missing"' "$(jv result)"
run "$PROVD" -c "$T/provd.conf" --verify-cache
expect_rc "provd --verify-cache, no cache" 1
restore_cache
run "$CTL" cache verify
expect_rc "cache verify, restored" 0

# ---------------------------------------------------------------- check
if has_cmd check; then
	check_case() { # USER RC DECISION REASON [ARGS...]
		local user=$1 rc=$2 decision=$3 reason=$4
		shift 4
		run "$CTL" check "$user" "$@"
		expect_rc "check $user $*" "$rc"
		check_eq "check $user: user" "$user" "$(kv user)"
		check_eq "check $user: decision" "$decision" "$(kv decision)"
		check_eq "check $user: reason" "$reason" "$(kv reason)"
		run "$CTL" --json check "$user" "$@"
		expect_rc "check --json $user" "$rc"
		check "check --json $user: valid JSON" json_ok
		check_eq "check --json $user: decision" "\"$decision\"" "$(jv decision)"
		check_eq "check --json $user: allowed" "$([ "$rc" = 0 ] && echo true || echo false)" "$(jv allowed)"
		check_eq "check --json $user: reason" "\"$reason\"" "$(jv reason)"
	}
	run "$CTL" status
	host=$(kv host)
	check_case alice 0 allow "login granted by ops-login"
	check_case alice 0 allow "login granted by ops-login" --service sshd --rhost 192.0.2.7 --tty pts/0
	check_case bob 1 no_grant "no login grant for bob on host $host"
	check_case carol 1 expired "account deactivated in the directory"
	check_case nosuch 1 unknown "nosuch is not a prov user"
	usage_case "check without USER" check
	usage_case "check --service without its value" check alice --service
	usage_case "check with an unknown option" check alice --bogus
	usage_case "check with two users" check alice bob
else
	skip "provctl check is not built yet (not in provctl --help)"
fi

# ---------------------------------------------------------------- keys
if has_cmd keys; then
	run "$CTL" keys alice
	expect_rc "keys alice" 0
	check_eq "keys alice: her key, one line" "$KEY" "$OUT"
	run "$CTL" --json keys alice
	expect_rc "keys --json alice" 0
	check "keys --json: valid JSON" json_ok
	check_eq "keys --json alice: exact" "{\"user\":\"alice\",\"keys\":[\"$KEY\"]}" "$OUT"
	for u in bob carol nosuch; do
		run "$CTL" keys "$u"
		expect_rc "keys $u (may not log in / unknown): no keys, exit 0 for sshd" 0
		check_eq "keys $u: no output" "" "$OUT"
		run "$CTL" --json keys "$u"
		expect_rc "keys --json $u" 0
		check "keys --json $u: valid JSON" json_ok
		check_eq "keys --json $u: empty list" '[]' "$(jv keys)"
	done
	usage_case "keys without USER" keys
	usage_case "keys with two users" keys alice bob
else
	skip "provctl keys is not built yet (not in provctl --help)"
fi

# ---------------------------------------------------------------- doctor
if has_cmd doctor; then
	printf '%s\n' 'AuthorizedKeysCommand /usr/sbin/provctl keys %u' 'AuthorizedKeysCommandUser _prov-keys' \
		> "$T/sshd_config"
	echo '%prov-sudo ALL=(ALL:ALL) ALL' > "$T/sudoers"
	doc_args=(--sshd none --sshd-config "$T/sshd_config" --nsswitch /etc/nsswitch.conf --sudoers "$T/sudoers")
	run "$CTL" doctor "${doc_args[@]}"
	expect_rc "doctor, wired host" 0
	check "doctor: provd ok" grep -qE '^ok +provd ' "$T/out"
	check "doctor: nsswitch ok" grep -qE '^ok +nsswitch ' "$T/out"
	check "doctor: no FAIL" sh -c "! grep -q '^FAIL' '$T/out'"
	run "$CTL" --json doctor "${doc_args[@]}"
	expect_rc "doctor --json, wired host" 0
	check "doctor --json: valid JSON" json_ok
	: > "$T/sshd_config.empty"
	run "$CTL" doctor --sshd none --sshd-config "$T/sshd_config.empty" --nsswitch /etc/nsswitch.conf \
		--sudoers "$T/sudoers"
	expect_rc "doctor, no AuthorizedKeysCommand" 4
	check "doctor: the sshd FAIL line" grep -qE '^FAIL +sshd ' "$T/out"
else
	skip "provctl doctor is not built yet (not in provctl --help)"
fi

# ---------------------------------------------------------------- refresh
if has_cmd refresh; then
	run "$CTL" refresh
	expect_rc "refresh, nothing new" 0
	check "refresh: values aligned" aligned
	check_eq "refresh: result" unchanged "$(kv result)"
	check_eq "refresh: serial" 5 "$(kv serial)"
	run "$CTL" --json refresh
	expect_rc "refresh --json" 0
	check "refresh --json: valid JSON" json_ok
	check_eq "refresh --json: result" '"unchanged"' "$(jv result)"
	check_eq "refresh --json: serial" 5 "$(jv serial)"

	# A new serial with one more user: applied at once.
	python3 - "$T/dir.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["serial"] = 6
d["users"].append({"name": "dave", "uid": 20004, "shell": "/bin/sh"})
d["groups"][1]["members"].append("dave")
json.dump(d, open(sys.argv[1], "w"))
EOF
	run "$CTL" refresh
	expect_rc "refresh, new serial" 0
	check_eq "refresh, new serial: result" applied "$(kv result)"
	check_eq "refresh, new serial: serial" 6 "$(kv serial)"
	check_eq "refresh, new serial: users" 4 "$(kv users)"
	run "$CTL" user dave
	expect_rc "refresh: the new user resolves" 0
	run "$CTL" cache verify
	check_eq "refresh: the cache holds the new serial" 6 "$(kv serial)"
	check_eq "refresh: and is what provd serves" yes "$(kv matches_served)"

	# A replayed older document is rejected; the served one stays.
	sed -i 's/"serial": 6/"serial": 4/' "$T/dir.json"
	run "$CTL" refresh
	expect_rc "refresh, replayed older serial" 4
	check_eq "refresh, replayed: result" rejected "$(kv result)"
	check_eq "refresh, replayed: still serving serial 6" 6 "$(kv serial)"
	run "$CTL" --json refresh --force
	expect_rc "refresh --json --force, replayed" 4
	check_eq "refresh --force: flagged" '"yes"' "$(jv forced)"
	check_eq "refresh --force: a replay is never forced in" '"rejected"' "$(jv result)"
	usage_case "refresh with an unknown option" refresh --bogus
	usage_case "refresh with two arguments" refresh --force --force
	sed -i 's/"serial": 4/"serial": 6/' "$T/dir.json"
else
	skip "provctl refresh is not built yet (not in provctl --help)"
fi

# ---------------------------------------------------------------- nobody
# Invariant 7: what getent shows, nothing more.
run "${NOBODY[@]}" "$CTL" status
expect_rc "nobody: status" 0
check_eq "nobody: status: state" serving "$(kv state)"
check_eq "nobody: status: the refused count" 1 "$(kv refused)"
check_eq "nobody: status: no refusal reasons" "<absent>" "$(kv refused.1)"
check_eq "nobody: status: no config path" "<absent>" "$(kv config)"
run "${NOBODY[@]}" "$CTL" --json status
expect_rc "nobody: status --json" 0
check "nobody: status --json: valid JSON" json_ok
check_eq "nobody: status --json: no refused.1" "<absent>" "$(jv refused.1)"

run "${NOBODY[@]}" "$CTL" user alice
expect_rc "nobody: user alice" 0
IFS=: read -r g_name _ g_uid g_gid g_gecos g_home g_shell < <(getent passwd alice)
check_eq "nobody: user alice is getent's entry" \
	"$g_name $g_uid $g_gid $g_gecos $g_home $g_shell" \
	"$(kv name) $(kv uid) $(kv gid | cut -d' ' -f1) $(kv gecos) $(kv home) $(kv shell)"
run "${NOBODY[@]}" "$CTL" --json group ops
expect_rc "nobody: group --json ops" 0
check_eq "nobody: group ops members are getent's" "$(getent group ops | cut -d: -f4)" \
	"$(python3 -c 'import json,sys; print(",".join(json.loads(sys.argv[1])["members"]))' "$OUT")"
run "${NOBODY[@]}" "$CTL" user nosuch
expect_rc "nobody: user unknown" 1

denied_case() { # DESC ARGS...: a request nobody may not make
	local desc=$1
	shift
	run "${NOBODY[@]}" "$CTL" "$@"
	expect_rc "nobody: $desc" 4
	check_eq "nobody: $desc: one line" \
		"provctl: permission denied (this request needs root on provd's private socket)" "$ERR"
	check_eq "nobody: $desc: nothing on stdout" "" "$OUT"
}
denied_case "cache verify" cache verify
denied_case "cache verify --json" --json cache verify
if has_cmd refresh; then denied_case "refresh" refresh; fi
if has_cmd check; then denied_case "check about someone else" check alice; fi
if has_cmd keys; then denied_case "keys of someone else" keys alice; fi

# ---------------------------------------------------------------- provd hung, then gone (3)
kill -STOP "$PROVD_PID"
run "$CTL" --timeout 300 status
expect_rc "provd hung: status times out" 3
check "provd hung: one line [$ERR]" one_line
check_eq "provd hung: says so" "provctl: cannot reach provd at /run/prov/private/socket: Connection timed out" "$ERR"
kill -CONT "$PROVD_PID"
stop_provd

unreachable_case() { # ARGS...
	local who=root pre=()
	if [ "$1" = nobody ]; then who=nobody; pre=("${NOBODY[@]}"); shift; fi
	run "${pre[@]}" "$CTL" "$@"
	expect_rc "provd stopped ($who): $*" 3
	check "provd stopped ($who): $*: one line [$ERR]" one_line
	check "provd stopped ($who): $*: says provd cannot be reached" \
		grep -qE '^provctl: cannot reach provd at /run/prov/(private/)?socket: ' "$T/err"
	check_eq "provd stopped ($who): $*: nothing on stdout" "" "$OUT"
}
cmds=("status" "user alice" "group ops" "cache verify")
has_cmd check && cmds+=("check alice")
has_cmd keys && cmds+=("keys alice")
has_cmd refresh && cmds+=("refresh" "refresh --force")
for c in "${cmds[@]}"; do
	# shellcheck disable=SC2086
	unreachable_case $c
	# shellcheck disable=SC2086
	unreachable_case --json $c
done
unreachable_case nobody status
unreachable_case nobody user alice
unreachable_case nobody cache verify
run "$CTL" --socket "$T/no-such-socket" status
expect_rc "--socket to nothing" 3
check_eq "--socket to nothing: names it" "provctl: cannot reach provd at $T/no-such-socket: No such file or directory" "$ERR"

# Offline: provd --verify-cache needs no running provd.
run "$PROVD" -c "$T/provd.conf" --verify-cache
expect_rc "provd --verify-cache, provd stopped" 0
check_eq "provd --verify-cache, provd stopped: serial" "$(has_cmd refresh && echo 6 || echo 5)" "$(kv serial)"
check "provd --verify-cache: values aligned" aligned
run "$PROVD" -c "$T/no-such.conf" --verify-cache
expect_rc "provd --verify-cache with a missing -c file" 1

echo "$_skip skipped"
finish
