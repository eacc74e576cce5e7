#!/bin/bash
# End to end (issue 13): the SCIM test server is the central directory;
# prov-publish pulls it (provd's own SCIM code), adds the role bindings and
# writes the signed document into a directory a real nginx serves over
# HTTPS (test CA); provd pulls that. A user deactivated at the SCIM server
# -> prov-publish build -> provd's next pull (provctl refresh): her login
# is denied, her SSH keys and her sudo are gone. An unchanged directory
# leaves the output byte for byte as it was, so the host gets a 304.
. "$(dirname "$0")/lib.sh"
sandbox_enter "$@"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/nginx_lib.sh"
trap 'rc=$?; nginx_stop; ds_stop; stop_provd; exit $rc' EXIT

PUB=$PROV_BUILD/prov-publish/prov-publish
WWW=$T/www
mkdir -p "$WWW"

ds_start
admin /generate '{"users": 10, "groups": 1, "members_per_group": 10, "keys": true}'
cat > "$T/bindings.json" <<'EOF'
{"prov_directory": 1, "serial": 0, "bindings": [
 {"name": "group-ops", "groups": ["group00000"], "hosts": ["*"], "grants": ["login", "sudo"]}]}
EOF
"$PUB" keygen "$T/fleet" >/dev/null 2>&1
publish() {
	"$PUB" build --out "$WWW" --key "$T/fleet.key" --audience prod --scim "https://127.0.0.1:$DS_HTTPS/scim/v2" \
		--token-file "$T/token" --ca-file "$T/certs/ca.pem" --bindings "$T/bindings.json" --gzip >"$T/publish.out" 2>&1
}
check "prov-publish build from SCIM" publish
check "published serial 1 with 10 users" grep -q "^published serial 1: 10 users" "$T/publish.out"

nginx_start "$WWW"
write_config "$T/provd.conf" "https://127.0.0.1:$NGINX_PORT/directory.json" "[directory]" \
	"ca_file = $T/certs/ca.pem" "refresh_interval = 1h" "retry_base = 1h" "retry_max = 1h" \
	"trusted_keys = $T/fleet.pub" "audience = prod"
start_provd "$T/provd.conf"
check "provd: first pull applied" refresh
U=user000003
check_eq "$U served" "$U" "$(getent passwd $U | cut -d: -f1)"
check "$U may log in" "$CTL" check $U
check "$U has her SSH key" grep -q "^ssh-ed25519 " <<<"$("$CTL" keys $U)"
check "$U is in prov-sudo" grep -q "\b$U\b" <<<"$(getent group prov-sudo)"

# --- nothing changed: byte-identical output, a 304 for the host ---
before=$(file_id "$WWW/directory.json") sigbefore=$(file_id "$WWW/directory.json.sig")
check "rebuild of an unchanged directory" publish
check "prov-publish: unchanged" grep -q "^unchanged serial 1" "$T/publish.out"
check_eq "document untouched" "$before" "$(file_id "$WWW/directory.json")"
check_eq "signature untouched" "$sigbefore" "$(file_id "$WWW/directory.json.sig")"
check "--gzip: nginx serves the pre-compressed copy" bash -c "curl -s --cacert '$T/certs/ca.pem' -H 'Accept-Encoding: gzip' \
	https://127.0.0.1:$NGINX_PORT/directory.json | cmp - '$WWW/directory.json.gz'"
check "host refresh" refresh
check_eq "host: a 304" yes "$(sed -n 's/^not_modified: *//p' "$T/refresh.out")"

# --- the revocation ---
id=$(admin_get /users | python3 -c 'import json, sys
print([u["id"] for u in json.load(sys.stdin) if u["userName"] == sys.argv[1]][0])' $U)
admin /op "{\"op\": \"deactivate\", \"id\": \"$id\"}"
check "prov-publish build after the change" publish
check "published serial 2, one deprovisioned" grep -q "^published serial 2: .*1 deprovisioned" "$T/publish.out"
check "prov-publish verify" "$PUB" verify "$WWW/directory.json" --key "$T/fleet.pub" --audience prod
check "provd's next pull applies it" refresh
check_eq "status: serial 2" 2 "$(status_of serial)"
rc=0; "$CTL" check $U >/dev/null 2>&1 || rc=$?
check_eq "$U: login denied" 1 $rc
check_eq "$U: no SSH keys" "" "$("$CTL" keys $U)"
check "$U: out of prov-sudo" bash -c "! getent group prov-sudo | grep -q '\b$U\b'"
check "user000004 unaffected" "$CTL" check user000004
check "journal: deprovisioned" grep -q "PROV_EVENT=user_deprovisioned PROV_USER=$U .*PROV_REASON=inactive" "$T/provd.log"

# --- a mass deprovisioning at the source is stopped at the publisher ---
for i in 0 1 2 4 5 6; do
	uid=$(admin_get /users | python3 -c 'import json, sys
print([u["id"] for u in json.load(sys.stdin) if u["userName"] == sys.argv[1]][0])' "user00000$i")
	admin /op "{\"op\": \"delete_user\", \"id\": \"$uid\"}"
done
before=$(file_id "$WWW/directory.json")
rc=0; publish || rc=$?
check "prov-publish refuses 6 of 9 at once" test $rc -ne 0
check "prov-publish says why" grep -q "would deprovision 6 of 9" "$T/publish.out"
check_eq "nothing published" "$before" "$(file_id "$WWW/directory.json")"

finish
