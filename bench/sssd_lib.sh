# shellcheck shell=bash
# SSSD beside prov in bench/run-nss.sh: a private slapd on loopback holding
# the bench's own directory document (as rfc2307 LDAP entries), and SSSD's
# LDAP provider in front of it with its memory-mapped cache, all inside the
# bench's private mount and PID namespace (tests/integration/lib.sh):
# /etc/sssd, /var/lib/sss and /var/log/sssd are bind mounts of temp dirs,
# slapd has its own slapd.conf and database under $T/ldap, so neither the
# machine's slapd nor its SSSD configuration is read or changed.
#
# Source after lib.sh's sandbox_enter. Every daemon is stopped by its pid
# (stop_sssd, stop_slapd); the PID namespace reaps anything left over.

SLAPD_PID=
SSSD_PID=
LDAP_URI=
LDAP_BASE=dc=bench,dc=test

# sssd_make_ldif DOC.json OUT.ldif: the document's users and groups as
# posixAccount / posixGroup entries, same names, ids, gecos, homes, shells
# and members as the files and prov setups.
sssd_make_ldif() {
	python3 - "$1" "$2" "$LDAP_BASE" <<'EOF'
import json, sys
doc, out, base = json.load(open(sys.argv[1])), open(sys.argv[2], "w"), sys.argv[3]
w = out.write
w("dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: bench\no: bench\n\n" % base)
for ou in ("people", "groups"):
    w("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n" % (ou, base, ou))
for u in doc["users"]:
    w("dn: uid=%s,ou=people,%s\nobjectClass: account\nobjectClass: posixAccount\n" % (u["name"], base))
    w("uid: %s\ncn: %s\nuidNumber: %d\ngidNumber: %d\nhomeDirectory: %s\nloginShell: %s\n"
      % (u["name"], u["name"], u["uid"], u["gid"], u["home"], u["shell"]))
    if u.get("gecos"):
        w("gecos: %s\n" % u["gecos"])
    w("\n")
for g in doc["groups"]:
    w("dn: cn=%s,ou=groups,%s\nobjectClass: posixGroup\ncn: %s\ngidNumber: %d\n"
      % (g["name"], base, g["name"], g["gid"]))
    for m in g["members"]:
        w("memberUid: %s\n" % m)
    w("\n")
EOF
}

# free_port: a loopback TCP port nothing listens on right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_slapd LDIF: a fresh slapd (mdb, no size limit, equality indexes on
# what SSSD searches) loaded with LDIF, listening on 127.0.0.1 only.
start_slapd() {
	local d=$T/ldap _
	stop_slapd
	rm -rf "$d"
	mkdir -p "$d/db"
	cat > "$d/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
pidfile $d/slapd.pid
argsfile $d/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
sizelimit unlimited
timelimit unlimited
database mdb
suffix "$LDAP_BASE"
rootdn "cn=admin,$LDAP_BASE"
directory $d/db
maxsize 4294967296
index objectClass,uid,cn,uidNumber,gidNumber,memberUid eq
EOF
	slapadd -q -f "$d/slapd.conf" -l "$1" >>"$T/slapd.log" 2>&1
	LDAP_URI=ldap://127.0.0.1:$(free_port)
	# -d 0: stay in the foreground (so $! is slapd) and log nothing.
	slapd -f "$d/slapd.conf" -h "$LDAP_URI/" -d 0 >>"$T/slapd.log" 2>&1 &
	SLAPD_PID=$!
	for _ in $(seq 200); do
		ldapsearch -x -LLL -H "$LDAP_URI" -b "$LDAP_BASE" -s base dn >/dev/null 2>&1 && return 0
		kill -0 "$SLAPD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "slapd did not answer on $LDAP_URI:" >&2
	cat "$T/slapd.log" >&2
	return 1
}

stop_slapd() {
	if [ -n "$SLAPD_PID" ]; then
		kill "$SLAPD_PID" 2>/dev/null || true
		wait "$SLAPD_PID" 2>/dev/null || true
		SLAPD_PID=
	fi
}

# start_sssd ENUMERATE(true|false): SSSD (monitor, sssd_be, sssd_nss) on
# private /etc/sssd, /var/lib/sss, /var/log/sssd, against $LDAP_URI.
# Defaults except: no TLS (loopback, id lookups only), enumeration as asked,
# memcache_timeout 3600 s so that no mapped record expires during a run
# (the default 300 s would send some measured calls to the socket), and
# long enumeration timeouts for the 100,000-user directory, whose
# enumeration otherwise blocks sssd_be's event loop past its 10 s watchdog
# ("terminated by own WATCHDOG", and the enumeration starts over).
SSSD_WATCHDOG=600
start_sssd() {
	local s=$T/sssd _
	stop_sssd
	rm -rf "$s"
	# SSSD's state on a tmpfs: warming writes every user into its ldb
	# cache, which took about 10 min for 10,000 users on this machine's disk.
	# A measured hit reads only the mapped cache (page cache either way).
	mkdir -p "$s"
	mount -t tmpfs -o mode=755 benchsssd "$s"
	mkdir -p "$s/etc/conf.d" "$s/lib/db" "$s/lib/mc" "$s/lib/pipes/private" \
		"$s/lib/pubconf" "$s/lib/gpo_cache" "$s/lib/keytabs" "$s/log"
	chmod 700 "$s/lib/db" "$s/lib/pipes/private"
	cat > "$s/etc/sssd.conf" <<EOF
[sssd]
services = nss
domains = bench

[nss]
memcache_timeout = 3600

[domain/bench]
id_provider = ldap
auth_provider = none
ldap_uri = $LDAP_URI
ldap_search_base = $LDAP_BASE
ldap_schema = rfc2307
ldap_id_use_start_tls = false
ldap_tls_reqcert = never
cache_credentials = false
enumerate = $1
ldap_enumeration_search_timeout = 600
ldap_search_timeout = 60
timeout = $SSSD_WATCHDOG
EOF
	chmod 600 "$s/etc/sssd.conf"
	for m in /etc/sssd:etc /var/lib/sss:lib /var/log/sssd:log; do
		mkdir -p "${m%%:*}"
		mount --bind "$s/${m#*:}" "${m%%:*}"
	done
	sssd -i --logger=files >>"$T/sssd.log" 2>&1 &
	SSSD_PID=$!
	for _ in $(seq 400); do
		[ -S /var/lib/sss/pipes/nss ] && return 0
		kill -0 "$SSSD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "sssd did not create /var/lib/sss/pipes/nss:" >&2
	cat "$T/sssd.log" /var/log/sssd/*.log >&2 2>/dev/null || true
	return 1
}

# stop_sssd: the monitor's children first (by pid: sssd_be, sssd_nss), then
# the monitor, then the bind mounts.
stop_sssd() {
	local kids p
	if [ -n "$SSSD_PID" ]; then
		kids=$(pgrep -P "$SSSD_PID" || true)
		kill "$SSSD_PID" 2>/dev/null || true
		for p in $kids; do kill "$p" 2>/dev/null || true; done
		wait "$SSSD_PID" 2>/dev/null || true
		SSSD_PID=
	fi
	for m in /var/log/sssd /var/lib/sss /etc/sssd "$T/sssd"; do
		! mountpoint -q "$m" || umount "$m"
	done
}

# sssd_mc_report: the mapped cache files and how big they are, as proof
# that sssd_nss created them (the client maps these read-only).
sssd_mc_report() {
	local f out=
	for f in passwd group initgroups; do
		if [ -s "/var/lib/sss/mc/$f" ]; then
			out+=" $f $(stat -c %s "/var/lib/sss/mc/$f") B;"
		else
			out+=" $f missing;"
		fi
	done
	echo "sssd mapped cache:${out%;}"
}
