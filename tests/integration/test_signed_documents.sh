#!/bin/bash
# Signed directory documents (issue 13) over a real nginx on loopback with a
# test CA: with trusted_keys, provd applies a document only if <url>.sig is
# a valid Ed25519 signature by a trusted key over the exact bytes and the
# audience is this host's. The tamper matrix: one byte changed, a signature
# of another document, unsigned (404), an untrusted key, an empty .sig, a
# 10 MB .sig, the wrong audience, an expired signed document and an older
# validly signed serial: each refused whole, the cache kept, status and the
# journal saying why (DESIGN invariant 4). An unchanged document costs one
# 304 and no .sig request. Key rotation: two trusted keys, publish with the
# new one, drop the old one.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/nginx_lib.sh"
trap 'rc=$?; nginx_stop; stop_provd; exit $rc' EXIT

PUB=$PROV_BUILD/prov-publish/prov-publish
WWW=$T/www
mkdir -p "$WWW" "$T/pub"

users() { # users NAME...: the central directory, as a prov document
	python3 - "$T/users.json" "$@" <<'PY'
import json, sys
names = ["alice", "bob"] + sys.argv[2:]
users = [{"id": "id-" + n, "name": n, "uid": 100001 + i, "gecos": n.capitalize()} for i, n in enumerate(names)]
json.dump({"prov_directory": 1, "serial": 1, "users": users,
           "groups": [{"id": "g-ops", "name": "ops", "gid": 200000, "members": names}]}, open(sys.argv[1], "w"))
PY
}
cat > "$T/bindings.json" <<'EOF'
{"prov_directory": 1, "serial": 0, "bindings": [
 {"name": "ops", "groups": ["ops"], "hosts": ["*"], "grants": ["login", "sudo"]}]}
EOF
publish() { # publish OUTDIR KEY [build options]
	local out=$1 key=$2
	shift 2
	"$PUB" build --out "$out" --key "$key" --audience prod --document "$T/users.json" \
		--bindings "$T/bindings.json" "$@" >>"$T/publish.log" 2>&1
}
serve() { # serve DIR: its document and signature, each replaced atomically
	cp "$1/directory.json" "$WWW/.d.tmp" && mv "$WWW/.d.tmp" "$WWW/directory.json"
	if [ -e "$1/directory.json.sig" ]; then
		cp "$1/directory.json.sig" "$WWW/.s.tmp" && mv "$WWW/.s.tmp" "$WWW/directory.json.sig"
	else
		rm -f "$WWW/directory.json.sig"
	fi
}
snapshot() { rm -rf "$2"; cp -a "$1" "$2"; } # snapshot OUTDIR COPY
served() { getent passwd "$1" | cut -d: -f1; }

for k in k1 k2 k3; do "$PUB" keygen "$T/$k" >"$T/$k.line" 2>/dev/null; done
check "keygen prints the config line" grep -q '^trusted_keys = ed25519:' "$T/k1.line"
check_eq "keygen: private key 0600" 600 "$(stat -c %a "$T/k1.key")"

nginx_start "$WWW"
URL=https://127.0.0.1:$NGINX_PORT/directory.json
conf() { # conf TRUSTED_KEYS...
	write_config "$T/provd.conf" "$URL" "[directory]" "ca_file = $T/certs/ca.pem" "connect_timeout = 1s" \
		"timeout = 5s" "refresh_interval = 1h" "retry_base = 1h" "retry_max = 1h" "audience = prod" \
		"trusted_keys = $*"
}

users
check "publish serial 1" publish "$T/pub" "$T/k1.key"
snapshot "$T/pub" "$T/s1"
serve "$T/s1"
conf "$T/k1.pub"
start_provd "$T/provd.conf"
check "signed serial 1 applied" refresh
check_eq "alice served" alice "$(served alice)"
check_eq "status: serial 1" 1 "$(status_of serial)"
cache=$T/state/directory.cache
good=$(file_id "$cache")

# --- unchanged: a 304, and no signature fetched for it ---
: > "$T/nginx/logs/access.log.mark"
n=$(wc -l < "$T/nginx/logs/access.log")
check "unchanged refresh" refresh
check_eq "unchanged: a 304" yes "$(sed -n 's/^not_modified: *//p' "$T/refresh.out")"
check_eq "unchanged: one request, the document, 304" '"GET /directory.json HTTP/1.1" 304' \
	"$(tail -n +$((n + 1)) "$T/nginx/logs/access.log" | grep -o '"GET [^"]*" [0-9]*' | tr '\n' ';' | sed 's/;$//')"

# --- serial 2 (carol added), and its tampered variants ---
users carol
check "publish serial 2" publish "$T/pub" "$T/k1.key"
snapshot "$T/pub" "$T/s2"
check "prov-publish verify: serial 2" "$PUB" verify "$T/s2/directory.json" --key "$T/k1.pub" --audience prod

refused() { # refused NAME REASON: the pull is refused, cache and served users kept
	local rc=0
	refresh || rc=$?
	check "$1: refused" test $rc -ne 0
	check "$1: status says why ($2)" grep -q -- "$2" <<<"$(status_of last_sync_result)"
	check "$1: journal says why" grep -q "PROV_EVENT=sync_rejected .*$2" "$T/provd.log"
	check_eq "$1: cache kept" "$good" "$(file_id "$cache")"
	check_eq "$1: carol not served" "" "$(served carol)"
	check_eq "$1: alice still served" alice "$(served alice)"
}

serve "$T/s2"
sed -i 's/"Carol"/"Carpl"/' "$WWW/directory.json"
refused "one byte changed" "does not match the document"

serve "$T/s2"
cp "$T/s1/directory.json.sig" "$WWW/directory.json.sig"
refused "signature of another document" "does not match the document"

serve "$T/s2"
rm "$WWW/directory.json.sig"
refused "unsigned (.sig missing: 404)" "signature required, none usable: .*404"

serve "$T/s2"
: > "$WWW/directory.json.sig"
refused "empty .sig" "the signature file is empty"

head -c 10485760 /dev/zero | tr '\0' A > "$WWW/directory.json.sig"
refused "10 MB .sig" "larger than 4097 bytes"

snapshot "$T/s1" "$T/untrusted"
publish "$T/untrusted" "$T/k2.key"
serve "$T/untrusted"
refused "signed by an untrusted key" "no signature by a trusted key"

snapshot "$T/s1" "$T/dev"
"$PUB" build --out "$T/dev" --key "$T/k1.key" --audience dev --document "$T/users.json" \
	--bindings "$T/bindings.json" >>"$T/publish.log" 2>&1
serve "$T/dev"
refused "wrong audience" 'for audience .dev., this host accepts .prod.'

snapshot "$T/s1" "$T/exp"
publish "$T/exp" "$T/k1.key" --validity 1
serve "$T/exp"
sleep 2
refused "signed but expired (not_after passed)" "the signed document expired"

# --- the genuine serial 2 applies; then serial 1, validly signed, is a replay ---
serve "$T/s2"
check "genuine serial 2 applied" refresh
check_eq "serial 2: carol served" carol "$(served carol)"
good=$(file_id "$cache")
serve "$T/s1"
rc=0; refresh || rc=$?
check "older validly signed serial refused" test $rc -ne 0
check "replay: status says why" grep -q "serial 1 is older than the current 2" <<<"$(status_of last_sync_result)"
check_eq "replay: cache kept" "$good" "$(file_id "$cache")"
check_eq "replay: carol still served" carol "$(served carol)"

# --- key rotation: trust k1 and k3, publish with k3, drop k1 ---
conf "$T/k1.pub" "$(cat "$T/k3.pub")"
kill -HUP "$PROVD_PID"
users carol dave
publish "$T/pub" "$T/k3.key"
serve "$T/pub"
check "rotation: serial 3 by the new key applied" refresh
check_eq "rotation: dave served" dave "$(served dave)"
conf "$(cat "$T/k3.pub")"
kill -HUP "$PROVD_PID"
sleep 0.5
users carol dave erin
snapshot "$T/pub" "$T/old"
publish "$T/old" "$T/k1.key"
serve "$T/old"
good=$(file_id "$cache")
rc=0; refresh || rc=$?
check "rotation: the dropped key no longer signs" test $rc -ne 0
check "rotation: status says why" grep -q "no signature by a trusted key" <<<"$(status_of last_sync_result)"
check_eq "rotation: erin not served" "" "$(served erin)"
publish "$T/pub" "$T/k3.key"
serve "$T/pub"
check "rotation: serial 4 by the new key applied" refresh
check_eq "rotation: erin served" erin "$(served erin)"

# --- a file:// source is signed too; provd --check-config reads it as provd does ---
mkdir -p "$T/local"
cp -p "$T/pub/directory.json" "$T/pub/directory.json.sig" "$T/local/"
write_config "$T/local.conf" "file://$T/local/directory.json" "[directory]" "audience = prod" \
	"trusted_keys = $(cat "$T/k3.pub")"
check "file:// signed: --check-config ok" "$PROV_BUILD/provd/provd" --check-config -c "$T/local.conf"
sed -i 's/"Erin"/"Erim"/' "$T/local/directory.json"
rc=0; "$PROV_BUILD/provd/provd" --check-config -c "$T/local.conf" >"$T/check.out" 2>&1 || rc=$?
check "file:// one byte changed: refused" test $rc -ne 0
check "file:// refusal says why" grep -q "does not match the document" "$T/check.out"
rm "$T/local/directory.json.sig"
rc=0; "$PROV_BUILD/provd/provd" --check-config -c "$T/local.conf" >"$T/check.out" 2>&1 || rc=$?
check "file:// without .sig: refused" test $rc -ne 0
write_config "$T/local.conf" "file://$T/local/directory.json" "[directory]" "audience = prod" \
	"trusted_keys = $T/nonexistent.pub"
rc=0; "$PROV_BUILD/provd/provd" --check-config -c "$T/local.conf" >"$T/check.out" 2>&1 || rc=$?
check "--check-config: a missing key file is an error" test $rc -ne 0
check "--check-config names the key file" grep -q "nonexistent.pub" "$T/check.out"

# --- provctl doctor: an https:// source without trusted_keys is a warning ---
doctor() { "$CTL" doctor --sshd none --sshd-config /dev/null --nsswitch /etc/nsswitch.conf --sudoers /dev/null \
	>"$T/doctor.out" 2>&1 || true; }
doctor
check "doctor: signed source, no signature warning" bash -c "! grep -q '^warn *signatures' '$T/doctor.out'"
check_eq "status: signatures required" "required (1 trusted keys, audience prod)" "$(status_of signatures)"
write_config "$T/provd.conf" "$URL" "[directory]" "ca_file = $T/certs/ca.pem" "refresh_interval = 1h"
stop_provd
start_provd "$T/provd.conf"
doctor
check "doctor: unsigned https:// source warned about" grep -q '^warn *signatures .*not signed' "$T/doctor.out"

finish
