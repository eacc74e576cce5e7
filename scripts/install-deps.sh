#!/bin/bash
# Installs what building and testing prov needs on Debian 12, from Debian's
# own packages. Idempotent; safe to run again. Needs root.
#   install-deps.sh          build + unit + integration test dependencies
#   install-deps.sh --demo   only what the demo needs
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

pkgs=("${BUILD_PKGS[@]}")
[ "${1:-}" = --demo ] || pkgs+=("${TEST_PKGS[@]}")

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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
