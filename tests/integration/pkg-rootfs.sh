# shellcheck shell=bash
# Shared by the packaging tests (test_package_deb.sh, test_ansible.sh,
# test_systemd_units.sh): a Debian 12 tree made with debootstrap, cached as
# a tarball so that only the first run pays for debootstrap (~1 min), plus
# helpers to use a copy of it as a chroot inside a private mount namespace.
# Source it; it defines functions only.
#
# The cache key is the package list: change ROOTFS_PKGS and a new tree is
# made. Override the cache location with PROV_CI_CACHE.

ROOTFS_SUITE=bookworm
# What every packaging test needs in the tree, so a run installs nothing
# from the network but the package under test:
#   systemd systemd-sysv dbus   boot it with systemd-nspawn
#   libcurl4 libjson-c5 adduser the package's own dependencies
#   pamtester                   drive the generated PAM stack
#   openssh-server sudo         sshd -t and visudo on the installed drop-ins
#   ansible-core python3-apt    run the Ansible role inside the tree
# debootstrap itself gets only what booting needs: it does not order the
# configuration of a long --include list well (python3-cryptography failed
# that way); apt inside the tree installs the rest.
ROOTFS_BOOT_PKGS=systemd,systemd-sysv,dbus
ROOTFS_PKGS="libcurl4 libjson-c5 adduser pamtester openssh-server sudo ansible-core python3-apt"
ROOTFS_CACHE=${PROV_CI_CACHE:-/var/cache/prov-ci}

rootfs_mirror() {
	awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
		true
}

# Prints the path of the cached tarball, making it first if needed. Safe
# when several tests run at once (flock).
rootfs_tarball() {
	local key tarball mirror tmp
	key=$(printf '%s %s %s' "$ROOTFS_SUITE" "$ROOTFS_BOOT_PKGS" "$ROOTFS_PKGS" | sha256sum | cut -c1-12)
	tarball=$ROOTFS_CACHE/rootfs-$ROOTFS_SUITE-$key.tar.zst
	mkdir -p "$ROOTFS_CACHE"
	(
		flock 9
		[ -s "$tarball" ] && exit 0
		mirror=$(rootfs_mirror)
		mirror=${mirror:-http://deb.debian.org/debian}
		tmp=$(mktemp -d "$ROOTFS_CACHE/debootstrap.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		echo "pkg-rootfs: debootstrap $ROOTFS_SUITE from $mirror (cached afterwards)" >&2
		if ! debootstrap --variant=minbase --include="$ROOTFS_BOOT_PKGS" \
			"$ROOTFS_SUITE" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
			tail -n 30 "$tmp/debootstrap.log" >&2
			tail -n 30 "$tmp/root/debootstrap/debootstrap.log" >&2 2>/dev/null
			exit 1
		fi
		# apt inside the tree uses the same mirror as the host.
		cp /etc/apt/sources.list.d/debian.sources "$tmp/root/etc/apt/sources.list.d/" 2>/dev/null &&
			rm -f "$tmp/root/etc/apt/sources.list"
		# Services must not start while packages are installed into a chroot.
		printf '#!/bin/sh\nexit 101\n' >"$tmp/root/usr/sbin/policy-rc.d"
		chmod 755 "$tmp/root/usr/sbin/policy-rc.d"
		# shellcheck disable=SC2086
		if ! unshare -m --propagation private bash -c "
			source '${BASH_SOURCE[0]}'
			chroot_mount '$tmp/root'
			in_chroot '$tmp/root' apt-get update -qq &&
			in_chroot '$tmp/root' apt-get install -y -qq --no-install-recommends $ROOTFS_PKGS
		" >"$tmp/apt.log" 2>&1; then
			tail -n 30 "$tmp/apt.log" >&2
			exit 1
		fi
		in_chroot "$tmp/root" apt-get clean
		echo prov-ci >"$tmp/root/etc/hostname"
		rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
		tar -C "$tmp/root" --zstd -cf "$tmp/rootfs.tar.zst" .
		mv "$tmp/rootfs.tar.zst" "$tarball"
	) 9>"$ROOTFS_CACHE/.lock" || return 1
	printf '%s\n' "$tarball"
}

# rootfs_extract DIR: a fresh copy of the cached tree in DIR.
rootfs_extract() {
	local tarball
	tarball=$(rootfs_tarball) || return 1
	mkdir -p "$1"
	tar -C "$1" --zstd -xf "$tarball"
}

# chroot_mount DIR: /proc, /sys, /dev, /run and /tmp for a chroot. Call it
# inside a private mount namespace (unshare -m --propagation private): the
# mounts then vanish with the namespace, even if the test is killed.
chroot_mount() {
	local r=$1
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --make-rslave "$r/sys"
	mount -t tmpfs -o mode=0755 dev "$r/dev"
	local d
	for d in null zero full random urandom tty; do
		touch "$r/dev/$d"
		mount --bind "/dev/$d" "$r/dev/$d"
	done
	mkdir -p "$r/dev/pts" "$r/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
	ln -sf pts/ptmx "$r/dev/ptmx"
	mount -t tmpfs -o mode=1777 shm "$r/dev/shm"
	mount -t tmpfs -o mode=0755 run "$r/run"
	mount -t tmpfs -o mode=1777 tmp "$r/tmp"
}

# in_chroot DIR CMD...: run CMD in the tree with a clean environment.
in_chroot() {
	local r=$1
	shift
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive chroot "$r" "$@"
}

# host_deps PKG...: apt-get install the Debian packages a test needs on the
# host, if any is missing (the CI machine starts with the build deps only).
host_deps() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "pkg-rootfs: installing on the host: ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		>/dev/null 2>&1 || {
		apt-get update -qq >/dev/null 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null
	}
}

# What building the .deb needs beyond scripts/install-deps.sh.
# shellcheck disable=SC2034 # used by the tests that source this file
DEB_BUILD_HOST_PKGS=(build-essential debhelper dh-nss lintian scdoc sudo)
# What the chroot and nspawn tests need on the host.
# shellcheck disable=SC2034
ROOTFS_HOST_PKGS=(debootstrap zstd)

# Test bookkeeping shared by the packaging tests.
_pkg_fail=0
_pkg_pass=0
check() {
	local what=$1
	shift
	if "$@"; then
		_pkg_pass=$((_pkg_pass + 1))
		echo "ok   $what"
	else
		_pkg_fail=$((_pkg_fail + 1))
		echo "FAIL $what"
	fi
}
check_summary() {
	echo "$(basename "$0"): $_pkg_pass passed, $_pkg_fail failed"
	[ "$_pkg_fail" -eq 0 ]
}

# ---- booting the tree with systemd-nspawn (notes/systemd-in-ci.md) ----
NSPAWN_PID=
CPID=

# The container's init: the first "systemd" below timeout -> systemd-nspawn.
_container_pid1() {
	local p=$1 c _
	for _ in 1 2 3; do
		c=$(ps -o pid= --ppid "$p" 2>/dev/null | tr -d ' ' | head -n1)
		[ -n "$c" ] || return 0
		if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ]; then
			echo "$c"
			return 0
		fi
		p=$c
	done
}

# nspawn_boot DIR LOG [nspawn args...]: boots DIR in the background and
# waits until its systemd is up. Sets NSPAWN_PID and CPID (the container's
# PID 1 as seen from here, for nsenter). No machined on these hosts, hence
# --register=no --keep-unit.
nspawn_boot() {
	local r=$1 log=$2 state _
	shift 2
	timeout 600 systemd-nspawn -q -D "$r" -b --register=no --keep-unit \
		--console=read-only --private-network "$@" </dev/null >"$log" 2>&1 &
	NSPAWN_PID=$!
	for _ in $(seq 300); do
		CPID=$(_container_pid1 "$NSPAWN_PID")
		if [ -n "$CPID" ]; then
			state=$(nsenter -t "$CPID" -a -- systemctl is-system-running 2>/dev/null || true)
			case "$state" in
			running | degraded) return 0 ;;
			esac
		fi
		if ! kill -0 "$NSPAWN_PID" 2>/dev/null; then
			echo "nspawn_boot: the container exited during boot:" >&2
			tail -n 30 "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "nspawn_boot: no running systemd after 30 s (state: ${state:-none})" >&2
	return 1
}

# in_container CMD...: run CMD inside the booted container.
in_container() {
	nsenter -t "$CPID" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 "$@"
}

# nspawn_stop: power the container off, by its pid; kill it if it hangs.
nspawn_stop() {
	[ -n "$NSPAWN_PID" ] || return 0
	if kill -0 "$NSPAWN_PID" 2>/dev/null; then
		[ -n "$CPID" ] && nsenter -t "$CPID" -a -- systemctl poweroff >/dev/null 2>&1 || true
		local _
		for _ in $(seq 100); do
			kill -0 "$NSPAWN_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$NSPAWN_PID" 2>/dev/null || true
	fi
	wait "$NSPAWN_PID" 2>/dev/null || true
	NSPAWN_PID=
	CPID=
}

# nspawn_run DIR CMD...: run one command in the tree (not booted), e.g.
# apt-get; nspawn provides /proc, /dev and friends itself.
nspawn_run() {
	local r=$1
	shift
	systemd-nspawn -q -D "$r" --register=no --keep-unit --as-pid2 \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@" </dev/null
}

# pkg_sandbox_enter TAG NEEDS HOST_PKG...: outside the namespace, checks for
# root, installs the host packages, makes $W (/tmp/prov-TAG.*, removed on
# exit) and re-runs the calling script inside a private mount + PID
# namespace, exiting with its status. Inside (PROV_PKG_SANDBOXED=1) it
# returns at once. NEEDS is what the root check names.
pkg_sandbox_enter() {
	local tag=$1 needs=$2 rc=0
	shift 2
	[ "${PROV_PKG_SANDBOXED:-}" = 1 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "$0: needs root ($needs)" >&2
		exit 1
	fi
	host_deps "$@"
	W=$(mktemp -d "/tmp/prov-$tag.XXXXXX")
	export W PROV_SRC PROV_BUILD
	trap 'rm -rf "$W"' EXIT
	PROV_PKG_SANDBOXED=1 unshare -m -p -f --mount-proc --propagation private "$0" || rc=$?
	exit $rc
}

# pkg_build_deb LOG [build-deb.sh options...]: builds (or reuses) the .deb
# into $PKGDIR and sets DEB to its path; on failure prints LOG and exits 1.
pkg_build_deb() {
	local log=$1 debs
	shift
	"$PROV_SRC/scripts/build-deb.sh" -o "$PKGDIR" "$@" >"$log" 2>&1 || {
		cat "$log"
		echo "FAIL building the .deb"
		exit 1
	}
	debs=("$PKGDIR"/prov_*.deb)
	DEB=${debs[0]}
}
