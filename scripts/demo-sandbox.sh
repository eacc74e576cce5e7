#!/bin/bash
# Inner part of demo.sh: runs inside the same sandbox the integration tests
# use (tests/integration/lib.sh).
. "$PROV_SRC/tests/integration/lib.sh"
sandbox_enter "$@"

show() {
	printf '\n$ %s\n' "$*"
	"$@" || echo "(exit $?)"
}

write_config "$T/provd.conf" "demo:" "[host]" "name = demo-host"
echo "== provd on the embedded demo directory (url = demo:, never cached) =="
start_provd "$T/provd.conf"
show "$PROV_BUILD/provctl/provctl" status
show getent passwd alice bob carol dave erin
show id alice
show getent group developers ops
show "$PROV_BUILD/provctl/provctl" user alice
echo
echo "== who may log in on this host, and why (the decision pam_prov asks for) =="
for u in alice bob carol dave erin; do
	show "$PROV_BUILD/provctl/provctl" check "$u" --service sshd
done
show getent group prov-sudo
echo
echo "== local accounts win, hostile entries are refused (from provd's log) =="
show getent passwd root
grep -E 'refus' "$T/provd.log" | sed 's/^/  /' || true
show getent passwd toor
show getent passwd mallory
echo
echo "== provd stopped: names still resolve from the mapped snapshot, access fails closed =="
stop_provd
show getent passwd alice
show getent passwd root
show "$PROV_BUILD/provctl/provctl" check alice --service sshd
echo
echo "Demo finished; the sandbox and everything in it are gone."
