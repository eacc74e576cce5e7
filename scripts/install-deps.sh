#!/bin/bash
# Installs what building and testing prov needs on Debian 12, from Debian's
# own packages. Idempotent; safe to run again. Needs root.
#   install-deps.sh            build + unit + integration test dependencies
#   install-deps.sh --demo     only what the demo needs
#   install-deps.sh --package  what scripts/build-deb.sh needs (a fresh
#                              Debian 12 has none of it: not even
#                              dpkg-parsechangelog, from dpkg-dev)
#   install-deps.sh --bench    build + test deps, and the peers bench/
#                              compares prov with (SSSD + slapd for
#                              bench/run-nss.sh; CI does not run benches)
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root (it calls apt-get)" >&2
	exit 1
fi

BUILD_PKGS=(build-essential cmake pkg-config libjson-c-dev libcurl4-openssl-dev
	libsystemd-dev libpam0g-dev util-linux python3 libssl-dev zlib1g-dev)
TEST_PKGS=(libcriterion-dev clang libclang-rt-14-dev valgrind pamtester openssl
	openssh-server openssh-client sudo procps psmisc scdoc strace curl
	debhelper dh-nss lintian fakeroot rpm debootstrap zstd systemd-container nscd
	nginx)

# bench/run-nss.sh's sssd column: SSSD's LDAP provider, its NSS client and
# a slapd of the bench's own (nscd is already a test dependency).
BENCH_PKGS=(sssd-common sssd-ldap libnss-sss slapd ldap-utils)

# debian/control's Build-Depends, and dpkg-buildpackage itself.
PACKAGE_PKGS=(dpkg-dev debhelper dh-nss scdoc sudo fakeroot lintian)

pkgs=("${BUILD_PKGS[@]}")
case "${1:-}" in
--demo) ;;
--package) pkgs+=("${PACKAGE_PKGS[@]}") ;;
"") pkgs+=("${TEST_PKGS[@]}" "${PACKAGE_PKGS[@]}") ;;
--bench) pkgs+=("${TEST_PKGS[@]}" "${PACKAGE_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
*)
	echo "usage: $0 [--demo|--package|--bench]" >&2
	exit 2
	;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

# openssh-server's postinst would start sshd on :22; tests run their own sshd
# on loopback in a private namespace, so keep the package's service down.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
# libpam-sss (pulled in by sssd-common) enables pam_sss in the host's
# /etc/pam.d/common-* and libnss-sss appends "sss" to /etc/nsswitch.conf:
# every account check of a user not in /etc/passwd (every prov user) would
# then go through pam_sss ("account [default=bad ...]") and so depend on an
# sssd the host does not run. The bench runs its own SSSD in a private
# namespace with its own nsswitch.conf, so a fresh install of them is
# undone on the host.
sss_was_installed=0
dpkg-query -W -f='${Status}' libpam-sss 2>/dev/null | grep -q '^install ok installed$' && sss_was_installed=1
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ $sss_was_installed = 0 ] && dpkg-query -W -f='${Status}' libpam-sss 2>/dev/null | grep -q '^install ok installed$'; then
	pam-auth-update --remove sss
	sed -E -i -e '/^(passwd|group|shadow|services|netgroup|automount):/ s/ sss(\s|$)/\1/' \
		-e '/^automount: *$/d' /etc/nsswitch.conf
fi
