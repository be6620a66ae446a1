// N-API glue only: argument checks, typed-array views, async workers, error translation.
// TypeScript validates options first (src/forest/params.ts); this file checks types and, through
// the engine's check_fit_shape, every size and index it is given, because JavaScript is never
// trusted. It does not repeat the checks of parameter values. No algorithmic code lives here.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "forest.h"
#include "parallel.h"
#include "predictor.h"

namespace {

using grove::Dataset;
using grove::FitResult;
using grove::FlatForestView;
using grove::FlatTree;
using grove::ForestParams;

[[noreturn]] void throw_type(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

int64_t get_int(Napi::Env env, const Napi::Object& o, const char* key, int64_t lo, int64_t hi) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_type(env, std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != static_cast<double>(static_cast<int64_t>(d))) {
    throw Napi::RangeError::New(env, std::string(key) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(d);
}

double get_double(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_type(env, std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool get_bool(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsBoolean()) throw_type(env, std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

template <typename T, napi_typedarray_type Kind>
std::pair<const T*, size_t> typed(Napi::Env env, Napi::Value v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind) {
    throw_type(env, std::string(name) + " has the wrong typed-array type");
  }
  // napi_get_typedarray_info gives the data pointer for views over SharedArrayBuffers too
  // (tuning shares one dataset with every worker thread), where .ArrayBuffer() would throw.
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_status status = napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr);
  if (status != napi_ok) throw Napi::Error::New(env, std::string("cannot read ") + name);
  return {static_cast<const T*>(data), length};
}

// A feature matrix from JavaScript: Float64Array viewed in place, Float32Array widened in C++.
struct Matrix {
  const double* data = nullptr;
  std::vector<double> widened;
  const float* narrow = nullptr;
  int64_t rows = 0;
  int32_t cols = 0;
  bool col_major = false;
  Napi::ObjectReference keep;

  void widen() {  // off the JS thread for async work
    if (!narrow) return;
    const size_t n = static_cast<size_t>(rows) * cols;
    widened.assign(narrow, narrow + n);
    data = widened.data();
    narrow = nullptr;
  }
  Dataset view() const {
    return col_major ? Dataset::col_major(data, rows, cols) : Dataset::row_major(data, rows, cols);
  }
};

void read_matrix(Napi::Env env, const Napi::Object& o, Matrix& m) {
  m.rows = get_int(env, o, "rows", 0, 0xFFFFFFFEll);
  m.cols = static_cast<int32_t>(get_int(env, o, "cols", 1, 1 << 24));
  Napi::Value layout = o.Get("layout");
  if (!layout.IsString()) throw_type(env, "layout must be 'row' or 'col'");
  const std::string l = layout.As<Napi::String>().Utf8Value();
  if (l != "row" && l != "col") throw_type(env, "layout must be 'row' or 'col'");
  m.col_major = l == "col";
  Napi::Value x = o.Get("x");
  size_t len = 0;
  if (x.IsTypedArray() && x.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    auto v = typed<float, napi_float32_array>(env, x, "x");
    m.narrow = v.first;
    len = v.second;
  } else {
    auto v = typed<double, napi_float64_array>(env, x, "x");
    m.data = v.first;
    len = v.second;
  }
  if (len != static_cast<size_t>(m.rows) * static_cast<size_t>(m.cols)) {
    throw Napi::RangeError::New(env, "x has " + std::to_string(len) + " values, expected rows * cols = " +
                                         std::to_string(static_cast<size_t>(m.rows) * m.cols));
  }
  m.keep = Napi::Persistent(x.As<Napi::Object>());
}

int32_t get_int32(Napi::Env env, const Napi::Object& o, const char* key) {
  return static_cast<int32_t>(get_int(env, o, key, INT32_MIN, INT32_MAX));
}

// An optional integer: `absent` when the key is missing or undefined.
int64_t get_int_or(Napi::Env env, const Napi::Object& o, const char* key, int64_t lo, int64_t hi, int64_t absent) {
  return o.Get(key).IsUndefined() ? absent : get_int(env, o, key, lo, hi);
}

// Types only: the values' ranges are TypeScript's to check, the sizes and indices the engine's
// (check_fit_shape, called by read_fit). The classification fields may be absent (a regressor's
// values then); class_weight (null or a Float64Array of K weights) is copied into `class_weight`.
ForestParams read_params(Napi::Env env, const Napi::Object& o, std::vector<double>& class_weight) {
  ForestParams p;
  p.n_estimators = get_int32(env, o, "n_estimators");
  p.first_tree = get_int32(env, o, "first_tree");
  p.max_depth = get_int32(env, o, "max_depth");
  p.min_samples_split = get_int32(env, o, "min_samples_split");
  p.min_samples_leaf = get_int32(env, o, "min_samples_leaf");
  p.mtry = get_int32(env, o, "mtry");
  p.bootstrap = get_bool(env, o, "bootstrap");
  p.max_samples = get_double(env, o, "max_samples");
  p.min_impurity_decrease = get_double(env, o, "min_impurity_decrease");
  p.seed = static_cast<uint32_t>(get_int(env, o, "seed", 0, 0xFFFFFFFFll));
  p.threads = get_int32(env, o, "threads");
  p.split_mode = get_int(env, o, "split_mode", 0, 1) == 1 ? grove::SplitMode::Histogram : grove::SplitMode::Exact;
  p.max_bins = get_int32(env, o, "max_bins");
  p.hist_min_rows = get_int32(env, o, "hist_min_rows");
  p.compute_oob = get_bool(env, o, "compute_oob");
  p.criterion = static_cast<grove::Criterion>(get_int_or(env, o, "criterion", 0, 2, 0));
  p.n_classes = static_cast<int32_t>(get_int_or(env, o, "n_classes", 0, INT32_MAX, 0));
  p.balanced_subsample = o.Get("balanced_subsample").IsUndefined() ? false : get_bool(env, o, "balanced_subsample");
  Napi::Value cw = o.Get("class_weight");
  if (!cw.IsUndefined() && !cw.IsNull()) {
    auto w = typed<double, napi_float64_array>(env, cw, "class_weight");
    class_weight.assign(w.first, w.first + w.second);
    p.class_weight = class_weight.data();
    p.class_weight_size = class_weight.size();
  }
  return p;
}

// A copy of n values as a typed array of their type.
template <typename T>
Napi::TypedArrayOf<T> to_js(Napi::Env env, const T* data, size_t n) {
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, n * sizeof(T));
  if (n > 0) std::memcpy(buf.Data(), data, n * sizeof(T));
  return Napi::TypedArrayOf<T>::New(env, n, buf, 0);
}

template <typename T>
Napi::TypedArrayOf<T> to_js(Napi::Env env, const std::vector<T>& v) {
  return to_js(env, v.data(), v.size());
}

// The fit's concatenated arrays handed to JavaScript without a copy (the engine concatenated
// them on the worker thread: the main thread only wraps them), plus a NativeForest over the
// fit's packed predictor.
template <typename T>
Napi::TypedArrayOf<T> external(Napi::Env env, std::unique_ptr<T[]>& data, size_t n) {
  napi_value value = nullptr;
  if (n > 0 && napi_create_external_arraybuffer(
                   env, data.get(), n * sizeof(T), [](napi_env, void* p, void*) { delete[] static_cast<T*>(p); },
                   nullptr, &value) == napi_ok) {
    data.release();  // the finalizer owns it now
    return Napi::TypedArrayOf<T>::New(env, n, Napi::ArrayBuffer(env, value), 0);
  }
  // empty, or a runtime that refuses external buffers (V8 sandbox builds): copy instead
  Napi::TypedArrayOf<T> copy = to_js(env, data.get(), n);
  data.reset();
  return copy;
}

Napi::Object forest_to_js(Napi::Env env, FitResult& r, Napi::Value handle) {
  grove::ConcatenatedForest& f = r.forest;
  const size_t n = f.n_nodes;
  Napi::Object o = Napi::Object::New(env);
  o.Set("treeOffsets", external(env, f.offsets, f.n_trees + 1));
  o.Set("feature", external(env, f.feature, n));
  o.Set("left", external(env, f.left, n));
  o.Set("right", external(env, f.right, n));
  o.Set("nSamples", external(env, f.n_samples, n));
  o.Set("threshold", external(env, f.threshold, n));
  o.Set("value", external(env, f.value, n * (f.n_classes > 0 ? static_cast<size_t>(f.n_classes) : 1)));
  o.Set("weightedN", external(env, f.weighted_n, n));
  o.Set("impurity", external(env, f.impurity, n));
  if (!r.oob_sum.empty()) {
    o.Set("oobSum", to_js(env, r.oob_sum));
    o.Set("oobCount", to_js(env, r.oob_count));
  }
  o.Set("handle", handle);
  return o;
}

struct FitJob {
  Matrix x;
  const double* y = nullptr;
  Napi::ObjectReference keep_y;
  Napi::ObjectReference keep_cancel;
  std::vector<double> class_weight;  // params.class_weight points here
  ForestParams params;
  FitResult result;

  void run() {
    x.widen();
    Dataset d = x.view();
    d.y = y;
    result = grove::fit_forest(d, params);
  }
};

std::unique_ptr<FitJob> read_fit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) throw_type(env, "fit expects one options object");
  Napi::Object o = info[0].As<Napi::Object>();
  auto job = std::make_unique<FitJob>();
  read_matrix(env, o, job->x);
  auto y = typed<double, napi_float64_array>(env, o.Get("y"), "y");
  if (y.second != static_cast<size_t>(job->x.rows)) {
    throw Napi::RangeError::New(env, "y has " + std::to_string(y.second) + " values, x has " + std::to_string(job->x.rows) + " rows");
  }
  job->y = y.first;
  job->keep_y = Napi::Persistent(o.Get("y").As<Napi::Object>());
  Napi::Value params = o.Get("params");
  if (!params.IsObject()) throw_type(env, "params must be an object");
  job->params = read_params(env, params.As<Napi::Object>(), job->class_weight);
  Napi::Value cancel = o.Get("cancel");
  if (!cancel.IsUndefined()) {
    auto flag = typed<int32_t, napi_int32_array>(env, cancel, "cancel");
    if (flag.second < 1) throw Napi::RangeError::New(env, "cancel must hold at least one element");
    job->params.cancel = flag.first;
    job->keep_cancel = Napi::Persistent(cancel.As<Napi::Object>());
  }
  // on the JS thread, so that a bad size is a synchronous throw
  try {
    grove::check_fit_shape(job->x.rows, job->x.cols, job->params);
    grove::check_fit_target(job->y, job->x.rows, job->params);
  } catch (const std::exception& e) {
    throw Napi::RangeError::New(env, e.what());
  }
  return job;
}

// A forest held natively (validated once), so that each predict call skips validation. Built
// from JavaScript arrays (viewed in place, not copied), or around the predictor a fit packed.
class NativeForest : public Napi::ObjectWrap<NativeForest> {
 public:
  using Shared = std::shared_ptr<const grove::Predictor>;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeForest",
                       {InstanceMethod<&NativeForest::Predict>("predict"),
                        InstanceMethod<&NativeForest::PredictSync>("predictSync")});
  }

  explicit NativeForest(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeForest>(info) {
    Napi::Env env = info.Env();
    if (info.Length() == 1 && info[0].IsExternal()) {  // from a fit, on the addon's side only
      predictor_ = *info[0].As<Napi::External<Shared>>().Data();
      return;
    }
    if (info.Length() != 1 || !info[0].IsObject()) throw_type(env, "NativeForest expects one forest object");
    Napi::Object o = info[0].As<Napi::Object>();
    FlatForestView f;
    f.n_features = static_cast<int32_t>(get_int(env, o, "nFeatures", 1, 1 << 24));
    // 0 or absent: a regressor; validate_forest checks the range
    f.n_classes = static_cast<int32_t>(get_int_or(env, o, "nClasses", 0, INT32_MAX, 0));
    auto offsets = typed<uint32_t, napi_uint32_array>(env, o.Get("treeOffsets"), "treeOffsets");
    f.offsets = offsets.first;
    f.n_offsets = offsets.second;
    size_t n = 0;
    bool first = true;
    bool same = true;
    auto view = [&](auto tag, const char* key) {
      using T = std::remove_pointer_t<decltype(tag)>;
      constexpr napi_typedarray_type kind = std::is_same_v<T, double> ? napi_float64_array : napi_int32_array;
      auto v = typed<T, kind>(env, o.Get(key), key);
      if (first) n = v.second;
      same = same && v.second == n;
      first = false;
      return v.first;
    };
    f.feature = view(static_cast<int32_t*>(nullptr), "feature");
    f.left = view(static_cast<int32_t*>(nullptr), "left");
    f.right = view(static_cast<int32_t*>(nullptr), "right");
    f.n_samples = view(static_cast<int32_t*>(nullptr), "nSamples");
    f.threshold = view(static_cast<double*>(nullptr), "threshold");
    f.weighted_n = view(static_cast<double*>(nullptr), "weightedN");
    f.impurity = view(static_cast<double*>(nullptr), "impurity");
    if (!same) throw Napi::RangeError::New(env, "invalid forest: node arrays have different lengths");
    f.n_nodes = n;
    // K values a node for a classifier (n_classes checked before the product is trusted)
    auto value = typed<double, napi_float64_array>(env, o.Get("value"), "value");
    if (f.n_classes != 0 && (f.n_classes < 2 || f.n_classes > grove::kMaxClasses)) {
      throw Napi::RangeError::New(env, "invalid forest: n_classes must be 0 or in [2, " + std::to_string(grove::kMaxClasses) + "]");
    }
    if (f.n_classes == 0 && value.second != n) throw Napi::RangeError::New(env, "invalid forest: node arrays have different lengths");
    if (value.second / f.values_per_node() != n || value.second % f.values_per_node() != 0) {
      throw Napi::RangeError::New(env, "invalid forest: value has " + std::to_string(value.second) + " entries, expected " +
                                           std::to_string(n) + " nodes x " + std::to_string(f.values_per_node()));
    }
    f.value = value.first;
    try {
      predictor_ = std::make_shared<const grove::Predictor>(f);
    } catch (const std::exception& e) {
      throw Napi::RangeError::New(env, e.what());
    }
  }

 private:
  struct PredictJob {
    Shared predictor;
    Matrix x;
    int32_t threads = 1;
    std::vector<double> out;
    void run() {
      x.widen();
      out.resize(static_cast<size_t>(x.rows) * static_cast<size_t>(predictor->n_outputs()));
      if (x.rows > 0) predictor->predict(x.view(), out.data(), threads);
    }
  };

  class PredictWorker : public Napi::AsyncWorker {
   public:
    PredictWorker(Napi::Env env, std::unique_ptr<PredictJob> job)
        : Napi::AsyncWorker(env, "grove.predict"), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise promise() { return deferred_.Promise(); }
    void Execute() override {
      try {
        job_->run();
      } catch (const std::exception& e) {
        SetError(e.what());
      }
    }
    void OnOK() override { deferred_.Resolve(to_js(Env(), job_->out)); }
    void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

   private:
    std::unique_ptr<PredictJob> job_;
    Napi::Promise::Deferred deferred_;
  };

  std::unique_ptr<PredictJob> read_predict(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() != 1 || !info[0].IsObject()) throw_type(env, "predict expects one options object");
    Napi::Object o = info[0].As<Napi::Object>();
    auto job = std::make_unique<PredictJob>();
    job->predictor = predictor_;
    read_matrix(env, o, job->x);
    if (job->x.cols != predictor_->n_features()) {
      throw Napi::RangeError::New(env, "x has " + std::to_string(job->x.cols) + " columns, the forest expects " +
                                           std::to_string(predictor_->n_features()));
    }
    job->threads = static_cast<int32_t>(get_int(env, o, "threads", 1, 1024));
    return job;
  }

  Napi::Value Predict(const Napi::CallbackInfo& info) {
    auto* worker = new PredictWorker(info.Env(), read_predict(info));
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
  }

  Napi::Value PredictSync(const Napi::CallbackInfo& info) {
    auto job = read_predict(info);
    try {
      job->run();
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return to_js(info.Env(), job->out);
  }

  Shared predictor_;
};

// Per-environment addon state (safe in worker threads): the class constructor lives here.
class GroveAddon : public Napi::Addon<GroveAddon> {
 public:
  GroveAddon(Napi::Env env, Napi::Object exports) {
    Napi::Function forest = NativeForest::Define(env);
    DefineAddon(exports, {InstanceMethod<&GroveAddon::Fit>("fit"), InstanceMethod<&GroveAddon::FitSync>("fitSync"),
                          InstanceValue("NativeForest", forest, napi_enumerable),
#ifdef GROVE_HAVE_OPENMP
                          InstanceValue("openmp", Napi::Boolean::New(env, true), napi_enumerable),
#else
                          InstanceValue("openmp", Napi::Boolean::New(env, false), napi_enumerable),
#endif
                          InstanceValue("hardwareThreads", Napi::Number::New(env, grove::hardware_threads()), napi_enumerable)});
    forest_ = Napi::Persistent(forest);
  }

  // A NativeForest around a fit's predictor (the External lives only for the constructor call).
  Napi::Value wrap(Napi::Env env, const NativeForest::Shared& predictor) {
    NativeForest::Shared copy = predictor;
    return forest_.New({Napi::External<NativeForest::Shared>::New(env, &copy)});
  }

 private:
  Napi::Value Fit(const Napi::CallbackInfo& info);
  Napi::Value FitSync(const Napi::CallbackInfo& info);

  Napi::FunctionReference forest_;
};

Napi::Object fit_output(Napi::Env env, FitJob& job) {
  Napi::Value handle = env.GetInstanceData<GroveAddon>()->wrap(env, job.result.predictor);
  job.result.predictor.reset();
  return forest_to_js(env, job.result, handle);
}

class FitWorker : public Napi::AsyncWorker {
 public:
  FitWorker(Napi::Env env, std::unique_ptr<FitJob> job)
      : Napi::AsyncWorker(env, "grove.fit"), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      job_->run();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(fit_output(Env(), *job_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::unique_ptr<FitJob> job_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value GroveAddon::Fit(const Napi::CallbackInfo& info) {
  auto* worker = new FitWorker(info.Env(), read_fit(info));
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

Napi::Value GroveAddon::FitSync(const Napi::CallbackInfo& info) {
  auto job = read_fit(info);
  try {
    job->run();
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return fit_output(info.Env(), *job);
}

}  // namespace

NODE_API_ADDON(GroveAddon)
