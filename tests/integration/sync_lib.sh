# shellcheck shell=bash
# Helpers for the sync integration tests (test_sync_*.sh), on top of lib.sh:
# the test directory server (tests/dirserver/dirserver.py) on 127.0.0.1 with
# ports it picks itself, its admin API, and provd configs pointing at it.
# Source after lib.sh and sandbox_enter; call ds_start, and sync_traps once.

DIRSERVER=$PROV_SRC/tests/dirserver/dirserver.py
CTL=$PROV_BUILD/provctl/provctl
# A token nobody would write by accident: grep finds any leak of it.
TOKEN=tok-Zq81-integration-SECRET-4f2b
DS_PID=

# ds_start: certificates (a test CA of its own) and the server; sets
# DS_HTTP, DS_HTTPS, DS_WRONG, DS_SELF, DS_ADMIN.
ds_start() {
	[ -s "$T/certs/selfsigned.pin" ] || python3 "$DIRSERVER" gencerts "$T/certs"
	printf '%s\n' "$TOKEN" > "$T/token"
	chmod 600 "$T/token"
	rm -f "$T/ports"
	python3 "$DIRSERVER" serve --certs "$T/certs" --ports-file "$T/ports" --token "$TOKEN" \
		>>"$T/dirserver.log" 2>&1 &
	DS_PID=$!
	local i
	for i in $(seq 100); do
		[ -s "$T/ports" ] && break
		sleep 0.05
	done
	[ -s "$T/ports" ] || { echo "dirserver did not start" >&2; cat "$T/dirserver.log" >&2; return 1; }
	read -r DS_HTTP DS_HTTPS DS_WRONG DS_SELF DS_ADMIN < <(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(p["http"], p["https"], p["https_wronghost"], p["https_selfsigned"], p["admin"])' "$T/ports")
}

ds_stop() {
	if [ -n "$DS_PID" ]; then
		kill "$DS_PID" 2>/dev/null || true
		wait "$DS_PID" 2>/dev/null || true
		DS_PID=
	fi
}

# Stops provd and the directory server by pid whatever happens.
sync_traps() {
	trap 'rc=$?; ds_stop; stop_provd; exit $rc' EXIT
}

# admin PATH [JSON]: the dirserver's admin API.
admin() {
	curl -sSf --max-time 30 -H 'Content-Type: application/json' -d "${2:-{\}}" \
		"http://127.0.0.1:$DS_ADMIN$1" >/dev/null
}
admin_get() { curl -sSf --max-time 30 "http://127.0.0.1:$DS_ADMIN$1"; }
fault() { admin /fault "$1"; }

# scim_config FILE [extra lines]: provd.conf for the SCIM service over HTTPS.
scim_config() {
	local file=$1
	shift
	write_config "$file" "https://127.0.0.1:$DS_HTTPS/scim/v2" \
		"[directory]" "type = scim" "token_file = $T/token" "ca_file = $T/certs/ca.pem" \
		"connect_timeout = 1s" "timeout = 3s" "refresh_interval = 1h" "retry_base = 60s" "retry_max = 1h" \
		"$@"
}

# status_of KEY: one value of `provctl status`.
status_of() { "$CTL" status | sed -n "s/^$1: *//p"; }

# refresh: `provctl refresh` quietly; its exit status.
refresh() { "$CTL" refresh "$@" >"$T/refresh.out" 2>&1; }

# file_id FILE: inode, mtime and content hash: what "not rewritten" means.
file_id() { echo "$(stat -c '%i %Y.%y' "$1") $(sha256sum < "$1" | cut -c1-16)"; }

# prov_users: the prov users getent lists (uid >= 100000), sorted.
prov_users() { getent passwd | awk -F: '$3 >= 100000' | sort; }
