#!/bin/bash
# Runs every test prov has, the way CI does: installs the dependencies,
# builds twice (plain, and with ASan + UBSan), runs the Criterion unit tests in
# both, the integration tests (real glibc NSS, PAM, sshd, packages, in private
# namespaces) in the plain build, and each libFuzzer target for a bounded time.
#   scripts/test.sh                  everything
#   FUZZ_SECONDS=0 scripts/test.sh   skip fuzzing
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
JOBS=$(nproc)

"$SRC/scripts/install-deps.sh"

step() { printf '\n==== %s ====\n' "$*"; }

step "build (plain)"
cmake -S "$SRC" -B "$SRC/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROV_MAN=ON >/dev/null
cmake --build "$SRC/build" -j"$JOBS"

step "build (ASan + UBSan)"
cmake -S "$SRC" -B "$SRC/build-asan" -DCMAKE_BUILD_TYPE=Debug -DPROV_SANITIZE=ON >/dev/null
cmake --build "$SRC/build-asan" -j"$JOBS"

step "unit + integration tests (plain build)"
(cd "$SRC/build" && ctest --output-on-failure -j1)

step "unit tests (ASan + UBSan build)"
# The integration tests load libnss_prov.so.2 into getent, id and sshd, which
# cannot host an ASan-instrumented library; the module is checked there with
# valgrind instead.
# Criterion runs each test in a child and does not fail it on a sanitizer
# report printed at the child's exit (a leak, say), so read the output too.
asan_log=$(mktemp)
(cd "$SRC/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --output-on-failure -V -L unit -j"$JOBS") >"$asan_log" 2>&1 || {
	tail -n 100 "$asan_log"
	exit 1
}
grep -E '^[0-9]+% tests passed|tests failed out of' "$asan_log"
if grep -nE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$asan_log"; then
	echo "sanitizer reports in the unit tests (above)" >&2
	exit 1
fi
rm -f "$asan_log"

if [ "$FUZZ_SECONDS" -gt 0 ]; then
	step "fuzz targets, ${FUZZ_SECONDS}s each"
	CC=clang cmake -S "$SRC" -B "$SRC/build-fuzz" -DCMAKE_BUILD_TYPE=Debug -DPROV_FUZZ=ON \
		-DPROV_BUILD_TESTS=ON >/dev/null
	cmake --build "$SRC/build-fuzz" -j"$JOBS" --target fuzz
	for f in "$SRC"/tests/fuzz/fuzz_*.c; do
		name=$(basename "$f" .c)
		corpus=$SRC/tests/fuzz/corpus/${name#fuzz_}
		work=$(mktemp -d)
		[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
		log=$work.log
		echo "-- $name"
		if ! "$SRC/build-fuzz/tests/$name" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
			-print_final_stats=1 "$work" >"$log" 2>&1; then
			tail -n 60 "$log"
			echo "fuzz target $name failed" >&2
			exit 1
		fi
		grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" || true
		rm -f "$log"
		rm -rf "$work"
	done
fi
step "all tests passed"
