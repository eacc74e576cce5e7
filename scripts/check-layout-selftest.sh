#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/check-layout.py must fail on each kind of violation: each is
# planted in a fresh copy of provd/ and the check must exit 1 naming it.
# (The real tree is checked by the provd/layout test.)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
CHECK="$SRC/scripts/check-layout.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
fail=0

# plant NAME EXPECTED-TEXT SHELL-CODE (run inside the copy)
plant() {
	rm -rf "$T/provd"
	cp -R "$SRC/provd" "$T/provd"
	(cd "$T/provd" && eval "$3")
	if python3 "$CHECK" "$T/provd" >"$T/out" 2>&1; then
		echo "FAIL $1: the check passed"
		fail=1
	elif ! grep -q -- "$2" "$T/out"; then
		echo "FAIL $1: no \"$2\" in:"
		cat "$T/out"
		fail=1
	else
		echo "ok   $1: $(grep -- "$2" "$T/out" | head -n 1)"
	fi
}

# directory.c includes hashtab.h; hashtab.h including directory.h closes a circle.
plant unit-circle "include circle between units: model/directory model/hashtab" \
	'printf "#include \"model/directory.h\"\n" >>model/hashtab.h'
# The first stage using a later one.
plant later-stage "stage base must not use the later stage store" \
	'printf "#include \"store/cache.h\"\n" >>base/errbuf.h'
# Two stages using each other: the order is broken and so is the graph.
plant stage-circle "include circle between stages" \
	'printf "#include \"access/decision.h\"\n" >>loop/budget.c; printf "#include \"loop/budget.h\"\n" >>access/decision.c'
plant long-file "base/errbuf.c: 7.. lines, over 650" \
	'i=0; while [ $i -lt 700 ]; do echo "/* filler */"; i=$((i + 1)); done >>base/errbuf.c'
plant no-stage "misc/x.c: in no stage" \
	'mkdir misc && echo "int x;" >misc/x.c'
plant bare-include "name its folder" \
	'printf "#include \"cache.h\"\n" >>store/state.c'
# And the copy itself, untouched, passes (the planted lines are the cause).
rm -rf "$T/provd"; cp -R "$SRC/provd" "$T/provd"
if ! python3 "$CHECK" "$T/provd" >"$T/out" 2>&1; then
	echo "FAIL untouched copy does not pass:"; cat "$T/out"; fail=1
fi
exit $fail
