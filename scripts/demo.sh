#!/bin/bash
# The quick-start demo: installs the build dependencies, builds prov, and runs
# provd on the embedded demo directory inside a sandbox (a private mount
# namespace with its own nsswitch.conf and /run), then shows real glibc NSS
# answering for the demo users. Nothing on the host changes except the
# packages apt installs; everything started here stops when it ends.
# Non-interactive: it prints what it shows and exits (0 when it worked).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
# Its own build directory, without the tests: scripts/test.sh configures
# build/ (and its other build dirs) with them.
BUILD=${PROV_BUILD:-$SRC/build-demo}

"$SRC/scripts/install-deps.sh" --demo
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROV_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target provd provctl nss_prov >/dev/null

PROV_SRC=$SRC PROV_BUILD=$BUILD exec "$SRC/scripts/demo-sandbox.sh"
