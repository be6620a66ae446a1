#!/usr/bin/env bash
# Builds the native model fuzzer (native/fuzz/model_fuzzer.cpp) with clang's libFuzzer, ASan and
# UBSan, writes a seed corpus of real model files, and runs it.
#   scripts/fuzz-native.sh [seconds=60] [extra libFuzzer flags...]
# Needs clang and libFuzzer (Debian: apt-get install clang-14 libclang-rt-14-dev); CXX overrides
# the compiler. Everything goes to build-fuzz/ (not the addon's build/). A crash leaves its input
# in build-fuzz/crashes/; replay it with build-fuzz/model_fuzzer build-fuzz/crashes/<file>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
CXX="${CXX:-$(command -v clang++-14 || command -v clang++ || true)}"
if [ -z "$CXX" ]; then
  echo "fuzz-native: no clang++ found (apt-get install clang-14 libclang-rt-14-dev, or set CXX)" >&2
  exit 2
fi
out=build-fuzz
mkdir -p "$out/corpus" "$out/seeds" "$out/crashes"
# -O1 -g as libFuzzer recommends; no OpenMP (one thread: the fuzzer finds bugs, not races);
# -fno-sanitize-recover makes UBSan's findings fatal so libFuzzer keeps the input.
"$CXX" -std=c++17 -O1 -g -fno-omit-frame-pointer -ffp-contract=off \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Inative/engine \
  native/fuzz/model_fuzzer.cpp native/engine/predictor.cpp native/engine/validate.cpp \
  -o "$out/model_fuzzer"
node --import tsx test/fuzz/seed-models.ts "$out/seeds"
echo "fuzz-native: running for ${seconds}s" >&2
# seeds are read, new finds go to corpus/ (kept between runs); the log's last lines carry the counts
"$out/model_fuzzer" "$out/corpus" "$out/seeds" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@"
