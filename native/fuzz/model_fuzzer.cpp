// libFuzzer target for the native side of model loading: a model file's bytes become a flat
// forest view, which Predictor's constructor validates (validate_forest) and packs; a forest that
// passes is then used to predict a few rows (NaN, infinities, the thresholds themselves). Bad input
// must end in std::invalid_argument and nothing else: any crash, sanitizer report, other exception
// or hang is a bug. Built by scripts/fuzz-native.sh (clang, -fsanitize=fuzzer,address,undefined).
//
// The input is a model file (src/forest/model-file.ts, format 1) so that real model files are the
// seed corpus. The checksum is not checked here (a mutated input would almost never carry a valid
// one, and the TS loader checks it before the native side ever sees the arrays); the counts come
// from the JSON header by a minimal scan, as the TS loader's JSON.parse would find them.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataset.h"
#include "flat_tree.h"
#include "predictor.h"

namespace {

constexpr size_t kPrefix = 16;
// Keeps each run small: libFuzzer's default -malloc_limit_mb catches more than this anyway.
constexpr uint64_t kMaxNodes = uint64_t{1} << 20;
constexpr uint64_t kMaxFeatures = uint64_t{1} << 12;

size_t align8(size_t n) { return (n + 7) & ~size_t{7}; }

// The integer after `"key":` in the header, or -1.
int64_t header_int(const std::string& header, const char* key) {
  const std::string needle = std::string("\"") + key + "\":";
  const size_t at = header.find(needle);
  if (at == std::string::npos) return -1;
  size_t i = at + needle.size();
  int64_t v = 0;
  size_t digits = 0;
  while (i < header.size() && header[i] >= '0' && header[i] <= '9' && digits < 12) {
    v = v * 10 + (header[i] - '0');
    ++i;
    ++digits;
  }
  return digits ? v : -1;
}

// A model file's arrays, copied out of the (unaligned) input.
struct ParsedModel {
  int64_t n_features = 0, n_trees = 0, n_nodes = 0;
  std::vector<uint32_t> offsets;
  std::vector<int32_t> feature, left, right, n_samples;
  std::vector<double> threshold, value, weighted_n, impurity;

  grove::FlatForestView view() const {
    grove::FlatForestView f;
    f.n_features = static_cast<int32_t>(n_features);
    f.offsets = offsets.data();
    f.n_offsets = offsets.size();
    f.feature = feature.data();
    f.left = left.data();
    f.right = right.data();
    f.n_samples = n_samples.data();
    f.threshold = threshold.data();
    f.value = value.data();
    f.weighted_n = weighted_n.data();
    f.impurity = impurity.data();
    f.n_nodes = static_cast<size_t>(n_nodes);
    return f;
  }
};

// False when the bytes are too short for what the header claims (the TS loader rejects those
// before anything native runs, so they say nothing about the native checks).
bool parse(const uint8_t* data, size_t size, ParsedModel& m) {
  if (size < kPrefix) return false;
  uint32_t header_bytes;
  std::memcpy(&header_bytes, data + 12, 4);
  if (header_bytes > size - kPrefix) return false;
  const std::string header(reinterpret_cast<const char*>(data + kPrefix), header_bytes);
  m.n_features = header_int(header, "n_features");
  m.n_trees = header_int(header, "n_trees");
  m.n_nodes = header_int(header, "n_nodes");
  // the TS loader accepts counts in [1, 2^31 - 1]; the addon caps n_features at 2^24
  if (m.n_features < 1 || m.n_trees < 1 || m.n_nodes < 1) return false;
  if (static_cast<uint64_t>(m.n_features) > kMaxFeatures || static_cast<uint64_t>(m.n_nodes) > kMaxNodes ||
      static_cast<uint64_t>(m.n_trees) > kMaxNodes) {
    return false;
  }
  const size_t trees = static_cast<size_t>(m.n_trees), nodes = static_cast<size_t>(m.n_nodes);
  const size_t arrays = align8(kPrefix + header_bytes);
  const size_t ints = arrays + 4 * (trees + 1) + 16 * nodes;
  const size_t doubles = align8(ints);
  const size_t end = doubles + 32 * nodes;
  if (end > size) return false;
  size_t o = arrays;
  const auto take = [&](auto& v, size_t n) {
    v.resize(n);
    std::memcpy(v.data(), data + o, n * sizeof(v[0]));
    o += n * sizeof(v[0]);
  };
  take(m.offsets, trees + 1);
  take(m.feature, nodes);
  take(m.left, nodes);
  take(m.right, nodes);
  take(m.n_samples, nodes);
  o = doubles;
  take(m.threshold, nodes);
  take(m.value, nodes);
  take(m.weighted_n, nodes);
  take(m.impurity, nodes);
  return true;
}

void predict_some(const grove::Predictor& p, const ParsedModel& m) {
  const int32_t cols = p.n_features();
  // rows of special values, then rows made of the forest's own thresholds (exact ties)
  const double specials[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1e308, -1e308, 5e-324};
  std::vector<double> x;
  int64_t rows = 0;
  for (double v : specials) {
    x.insert(x.end(), static_cast<size_t>(cols), v);
    ++rows;
  }
  for (size_t i = 0; i < m.threshold.size() && rows < 64; ++i) {
    if (m.feature[i] < 0) continue;
    x.insert(x.end(), static_cast<size_t>(cols), m.threshold[i]);
    ++rows;
  }
  std::vector<double> out(static_cast<size_t>(rows) * static_cast<size_t>(p.n_outputs()));  // K a row for a classifier
  p.predict(grove::Dataset::row_major(x.data(), rows, cols), out.data(), 1);
  p.predict(grove::Dataset::col_major(x.data(), rows, cols), out.data(), 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ParsedModel m;
  if (!parse(data, size, m)) return 0;
  const grove::FlatForestView view = m.view();
  try {
    grove::Predictor p(view, 1);
    predict_some(p, m);
  } catch (const std::invalid_argument&) {
    // the expected answer to a bad forest
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}
