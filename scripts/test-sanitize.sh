#!/usr/bin/env bash
# `npm run test:sanitize`: the addon built with AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake option GROVE_SANITIZE, g++'s libasan/libubsan: nothing to install) into build-sanitize/,
# and the engine and model-file tests run against it (GROVE_NATIVE_PATH points the loader there;
# the normal build/ is untouched). Node itself is not instrumented, so libasan is preloaded into
# it; leak detection is off because node's own allocations at exit are not ours to judge
# (detect_leaks=0). Any ASan or UBSan report aborts the test process, and the run fails.
#   scripts/test-sanitize.sh [test files...]   (default: the engine, classifier-engine and model-file tests)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-sanitize
started=$(date +%s)
node node_modules/cmake-js/bin/cmake-js compile --out "$out" --CDGROVE_SANITIZE=ON --log-level warn
addon="$PWD/$out/Release/grove.node"
libasan="$(g++ -print-file-name=libasan.so)"
if [ ! -e "$libasan" ]; then
  echo "test-sanitize: libasan.so not found next to g++ ($libasan)" >&2
  exit 2
fi
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(test/forest/*.test.ts test/fuzz/*.test.ts test/native/classifier-engine.test.ts)
fi
echo "test-sanitize: built in $(($(date +%s) - started)) s; running ${#files[@]} files against $addon" >&2
# abort_on_error: a report kills the process (a failing test), not just a line on stderr;
# halt_on_error for UBSan likewise (the build also says -fno-sanitize-recover=undefined)
GROVE_NATIVE_PATH="$addon" LD_PRELOAD="$libasan" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  node --import tsx --test --test-concurrency=1 "${files[@]}"
echo "test-sanitize: done in $(($(date +%s) - started)) s" >&2
