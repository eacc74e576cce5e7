#!/bin/bash
# Runs every test prov has, the way CI does: installs the dependencies,
# builds twice (plain, and with ASan + UBSan), runs the Criterion unit tests in
# both, the integration tests (real glibc NSS, PAM, sshd, packages, in private
# namespaces) in the plain build, and each libFuzzer target for a bounded time.
#   scripts/test.sh                  everything
#   FUZZ_SECONDS=0 scripts/test.sh   skip fuzzing
#
# Each build directory is configured here with the tests on, whatever its
# cache said before (scripts/demo.sh builds without them, in build-demo/),
# and every run is counted: fewer tests run than the suite defines
# (tests/unit/**/test_*.c, tests/integration/test_*.sh, tests/fuzz/fuzz_*.c)
# is a failure, so this script cannot pass without running the tests.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
JOBS=$(nproc)
# Integration tests at once: each runs in its own namespaces; the ones that
# must be alone say so in tests/CMakeLists.txt (RUN_SERIAL, RESOURCE_LOCK).
IT_JOBS=${PROV_IT_JOBS:-2}

"$SRC/scripts/install-deps.sh"

step() { printf '\n==== %s ====\n' "$*"; }
t_start=$(date +%s)

n_unit=$(find "$SRC/tests/unit" -name 'test_*.c' | wc -l)
n_integration=$(find "$SRC/tests/integration" -maxdepth 1 -name 'test_*.sh' | wc -l)
n_fuzz=$(find "$SRC/tests/fuzz" -maxdepth 1 -name 'fuzz_*.c' | wc -l)

# ran LOG: the number of tests ctest says it ran ("... out of N").
ran() {
	local n
	n=$({ grep -oE 'tests failed out of [0-9]+' "$1" || true; } | tail -n 1 | awk '{print $NF}')
	echo "${n:-0}"
}

# expect_ran WHAT EXPECTED LOG
expect_ran() {
	local got
	got=$(ran "$3")
	if [ "$got" -lt "$2" ]; then
		echo "test.sh: $1: ctest ran $got tests, the suite defines $2 (a build without the tests?)" >&2
		exit 1
	fi
	echo "$1: $got of $2 tests ran"
}

step "build (plain)"
cmake -S "$SRC" -B "$SRC/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROV_MAN=ON -DPROV_BUILD_TESTS=ON >/dev/null
cmake --build "$SRC/build" -j"$JOBS"

step "build (ASan + UBSan)"
cmake -S "$SRC" -B "$SRC/build-asan" -DCMAKE_BUILD_TYPE=Debug -DPROV_SANITIZE=ON -DPROV_BUILD_TESTS=ON >/dev/null
cmake --build "$SRC/build-asan" -j"$JOBS"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "unit tests (plain build)"
(cd "$SRC/build" && ctest --output-on-failure -L unit -j"$JOBS") 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
expect_ran "unit tests (plain)" "$n_unit" "$log"

step "integration tests (plain build)"
(cd "$SRC/build" && ctest --output-on-failure -L integration -j"$IT_JOBS") 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
expect_ran "integration tests" "$n_integration" "$log"

step "unit tests (ASan + UBSan build)"
# The integration tests load libnss_prov.so.2 into getent, id and sshd, which
# cannot host an ASan-instrumented library; the module is checked there with
# valgrind instead.
# Criterion runs each test in a child and does not fail it on a sanitizer
# report printed at the child's exit (a leak, say), so read the output too.
(cd "$SRC/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --output-on-failure -V -L unit -j"$JOBS") >"$log" 2>&1 || {
	tail -n 100 "$log"
	exit 1
}
grep -E '^[0-9]+% tests passed|tests failed out of' "$log"
if grep -nE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
	echo "sanitizer reports in the unit tests (above)" >&2
	exit 1
fi
expect_ran "unit tests (ASan + UBSan)" "$n_unit" "$log"

if [ "$FUZZ_SECONDS" -gt 0 ]; then
	step "fuzz targets, ${FUZZ_SECONDS}s each"
	CC=clang cmake -S "$SRC" -B "$SRC/build-fuzz" -DCMAKE_BUILD_TYPE=Debug -DPROV_FUZZ=ON \
		-DPROV_BUILD_TESTS=ON >/dev/null
	cmake --build "$SRC/build-fuzz" -j"$JOBS" --target fuzz
	fuzzed=0
	for f in "$SRC"/tests/fuzz/fuzz_*.c; do
		name=$(basename "$f" .c)
		corpus=$SRC/tests/fuzz/corpus/${name#fuzz_}
		work=$(mktemp -d)
		[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
		flog=$work.log
		echo "-- $name"
		if ! "$SRC/build-fuzz/tests/$name" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
			-print_final_stats=1 "$work" >"$flog" 2>&1; then
			tail -n 60 "$flog"
			echo "fuzz target $name failed" >&2
			exit 1
		fi
		if ! grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$flog"; then
			echo "fuzz target $name printed no statistics: did it run?" >&2
			exit 1
		fi
		fuzzed=$((fuzzed + 1))
		rm -f "$flog"
		rm -rf "$work"
	done
	if [ "$fuzzed" -lt "$n_fuzz" ]; then
		echo "test.sh: $fuzzed fuzz targets ran, the suite defines $n_fuzz" >&2
		exit 1
	fi
	echo "fuzz targets: $fuzzed of $n_fuzz ran"
fi
step "all tests passed ($(($(date +%s) - t_start)) s)"
