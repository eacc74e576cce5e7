#!/bin/bash
# provd's life cycle through real NSS: the on-disk cache survives a restart
# with the source gone, a corrupt or unsafe cache is refused with a clear log
# line, SIGHUP reloads, an older document (replay) never replaces a newer one,
# SIGTERM stops cleanly, and --check-config tells a good config from a bad one.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"

PROVD=$PROV_BUILD/provd/provd
doc() { # doc SERIAL EXTRA_USER_NAME
	# Each identity its own uid: a uid never passes to another (invariant 14).
	local id
	case $2 in bob) id=20002 ;; carol) id=20003 ;; *) id=20004 ;; esac
	cat > "$T/dir.json.new" <<JSON
{"prov_directory": 1, "serial": $1,
 "users": [{"name": "alice", "uid": 20001, "gid": 20001},
           {"name": "$2", "uid": $id, "gid": $id}],
 "groups": [{"name": "alice", "gid": 20001}, {"name": "$2", "gid": $id}]}
JSON
	mv "$T/dir.json.new" "$T/dir.json"
}

doc 5 bob
write_config "$T/provd.conf" "file://$T/dir.json"

# --- --check-config ---
check "--check-config accepts a good config" "$PROVD" --check-config -c "$T/provd.conf"
printf '[directory]\nurl = file://%s\nbogus_key = 1\n' "$T/dir.json" > "$T/bad.conf"
rc=0; out=$("$PROVD" --check-config -c "$T/bad.conf" 2>&1) || rc=$?
check "--check-config refuses an unknown key" test $rc -ne 0
check "--check-config names the line" grep -q 'bad.conf:3' <<<"$out"

# --- start, cache written ---
start_provd "$T/provd.conf"
check_eq "serves the document" "bob" "$(getent passwd 20002 | cut -d: -f1)"
cache=$(ls "$T"/state/*.cache 2>/dev/null | head -1 || true)
check "cache file written in state_dir" test -n "$cache"
check_eq "cache file is private" "600" "$(stat -c %a "$cache" 2>/dev/null)"

# --- SIGHUP reload picks up a newer document ---
doc 6 carol
kill -HUP "$PROVD_PID"
for i in $(seq 50); do getent passwd carol >/dev/null && break; sleep 0.1; done
check_eq "SIGHUP reloads the directory" "carol" "$(getent passwd carol | cut -d: -f1)"
# A user removed from the directory keeps resolving, with nologin, for
# deprovisioned_retention (provd/store/removed.h); her uid stays hers.
check_eq "the old user is deprovisioned after reload" "bob:*:20002:20002::/home/bob:/usr/sbin/nologin" \
	"$(getent passwd bob || true)"
check_eq "her uid still answers her" "bob" "$(getent passwd 20002 | cut -d: -f1)"
check_eq "carol has her own" "carol" "$(getent passwd 20003 | cut -d: -f1)"

# --- replay: an older serial never replaces the newer one ---
doc 2 mallory
kill -HUP "$PROVD_PID"
sleep 0.5
check_eq "older serial refused: newer data kept" "carol" "$(getent passwd 20003 | cut -d: -f1)"
check "replay refusal logged" grep -qi 'serial' "$T/provd.log"

# --- SIGTERM: clean stop, sockets removed ---
kill -TERM "$PROVD_PID"; wait "$PROVD_PID"; rc=$?; PROVD_PID=
check_eq "SIGTERM exits 0" 0 $rc
check "public socket removed on stop" test ! -e /run/prov/socket

# --- restart with the source gone: served from the cache ---
rm -f "$T/dir.json"
start_provd "$T/provd.conf"
check_eq "source gone: served from the cache" "carol" "$(getent passwd carol | cut -d: -f1)"
stop_provd

# --- a corrupt or unsafe cache is refused, never trusted ---
cp "$cache" "$T/cache.good"
printf '\xff' | dd of="$cache" bs=1 seek=$(( $(stat -c %s "$cache") - 3 )) conv=notrunc 2>/dev/null
: > "$T/provd.log"
start_provd "$T/provd.conf" || true
rc=0; getent passwd carol >/dev/null || rc=$?
check_eq "bit-flipped cache not served" 2 $rc
check "bit-flipped cache refusal logged" grep -qi 'cache' "$T/provd.log"
stop_provd

cp "$T/cache.good" "$cache"; chmod 666 "$cache"
: > "$T/provd.log"
start_provd "$T/provd.conf" || true
rc=0; getent passwd carol >/dev/null || rc=$?
check_eq "world-writable cache not served" 2 $rc
check "world-writable cache refusal logged" grep -qi 'writable' "$T/provd.log"
stop_provd

cp "$T/cache.good" "$cache"; chmod 600 "$cache"
truncate -s 20 "$cache"
: > "$T/provd.log"
start_provd "$T/provd.conf" || true
rc=0; getent passwd carol >/dev/null || rc=$?
check_eq "truncated cache not served" 2 $rc
stop_provd

finish
