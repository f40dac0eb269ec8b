#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <torch/cuda.h>
#include <cmath>
#include <dlfcn.h>
#include <cstring>
#include <mutex>

namespace {
thread_local std::string g_error;
std::atomic<int64_t> g_live_tensors{0};
std::atomic<int64_t> g_live_generators{0};

// c10::Error messages carry "Exception raised from ... (most recent call first):" frames on some builds even
// through what_without_backtrace(); a user wants the first lines only.
std::string strip_backtrace(const char* msg) {
  std::string s(msg ? msg : "");
  auto cut = s.find("Exception raised from");
  if (cut != std::string::npos) s.erase(cut);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

namespace dd {
void set_error(const char* msg) {
  g_error = strip_backtrace(msg);
  if (g_error.empty()) g_error = "native error without a message";
}
void clear_error() { g_error.clear(); }
TH wrap(at::Tensor t) {
  g_live_tensors.fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(t));
}
std::vector<at::Tensor> list(TH* hs, int n) {
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(*hs[i]);
  return v;
}
c10::optional<at::Tensor> opt(TH h) { return h ? c10::optional<at::Tensor>(*h) : c10::nullopt; }
at::IntArrayRef ints(const int64_t* v, int n) { return at::IntArrayRef(v, (size_t)n); }
// Checked here so a bad code from the caller gives a plain message instead of libtorch's "Unsupported TypeMeta"
// or a page of dispatcher keys.
at::Device device(int device_type, int device_index) {
  auto type = (at::DeviceType)device_type;
  if (type != at::kCPU && type != at::kCUDA) throw std::invalid_argument("unknown device type " + std::to_string(device_type));
  if (type == at::kCUDA && !torch::cuda::is_available())
    throw std::runtime_error("a CUDA device was asked for, but libtorch sees none (CPU-only build or no visible GPU)");
  return at::Device(type, (c10::DeviceIndex)device_index);
}
at::TensorOptions options(int dtype, int device_type, int device_index) {
  if (dtype < 0 || dtype >= (int)at::ScalarType::NumOptions) throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
  return at::TensorOptions().dtype((at::ScalarType)dtype).device(device(device_type, device_index));
}
// Every scalar crosses as a double; an integral value meant for an integer (or bool) tensor becomes an integer Scalar,
// so int64 tensors stay int64 as with a Python int in PyTorch (t * 2, 999 - t, t.add_(1)).
at::Scalar scalar(at::ScalarType type, double v) {
  bool integral_type = at::isIntegralType(type, /*includeBool=*/true);
  if (integral_type && std::nearbyint(v) == v && std::fabs(v) < 9.2e18) return at::Scalar((int64_t)v);
  return at::Scalar(v);
}
std::vector<int64_t> all_dims(const at::Tensor& t) {
  std::vector<int64_t> d((size_t)t.dim());
  for (int64_t i = 0; i < t.dim(); i++) d[(size_t)i] = i;
  return d;
}
int write_list(const std::vector<at::Tensor>& ts, TH* out, int cap) {
  if ((int)ts.size() > cap) throw std::runtime_error("result has more tensors than the caller's buffer holds");
  for (size_t i = 0; i < ts.size(); i++) out[i] = ts[i].defined() ? wrap(ts[i]) : nullptr;
  return (int)ts.size();
}
}  // namespace dd

// ---- errors, lifetime, diagnostics ----
DD_API const char* dd_last_error() { return g_error.empty() ? nullptr : g_error.c_str(); }
DD_API void dd_clear_error() { g_error.clear(); }
DD_API void dd_free(TH t) {
  if (!t) return;
  delete t;
  g_live_tensors.fetch_sub(1, std::memory_order_relaxed);
}
DD_API int64_t dd_live_tensors() { return g_live_tensors.load(); }
DD_API int64_t dd_live_generators() { return g_live_generators.load(); }

// ---- library and devices ----
DD_API int dd_torch_version(int* major, int* minor, int* patch) {
  *major = TORCH_VERSION_MAJOR;
  *minor = TORCH_VERSION_MINOR;
  *patch = TORCH_VERSION_PATCH;
  return 0;
}
DD_API int dd_cuda_is_available() { DD_TRY return torch::cuda::is_available() ? 1 : 0; DD_CATCH(0) }
DD_API int dd_cuda_device_count() { DD_TRY return (int)torch::cuda::device_count(); DD_CATCH(0) }
DD_API int dd_cuda_synchronize(int index) { DD_DO(torch::cuda::synchronize(index)) }
// OpenBLAS (Debian's libblas.so.3 once libopenblas0-pthread is installed) keeps its own thread pool, sized to all
// cores when it loads and untouched by at::set_num_threads. Its threads then compete with libtorch's and with every
// other process for the cores: on the shared 2-core machine an MLP training step took 27-54 ms on libtorch 2.6 and
// 5-37 ms on 1.13 with it, 0.8 ms and 1.4 ms with OpenBLAS at 1 thread (tools/bench/blas_probe.py has the probe).
// So the BLAS follows the intra-op thread count, as MKL does in PyTorch. Found at run time: a reference BLAS or
// MKL has no openblas_set_num_threads, and then nothing happens.
static int set_blas_threads(int n) {
  using SetThreads = void (*)(int);
  static SetThreads set = [] {
    void* lib = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD);
    void* f = lib ? dlsym(lib, "openblas_set_num_threads") : nullptr;
    if (!f) f = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    return (SetThreads)f;
  }();
  if (!set) return 0;
  set(n);
  return 1;
}
DD_API int dd_set_num_threads(int n) { DD_DO(at::set_num_threads(n); set_blas_threads(n)) }
DD_API int dd_get_num_threads() { return at::get_num_threads(); }
DD_API int dd_manual_seed(uint64_t seed) { DD_DO(torch::manual_seed(seed)) }
DD_API int dd_parallel_info(char* buf, int cap) {
  DD_TRY
  auto s = at::get_parallel_info();
  std::snprintf(buf, cap, "%s", s.c_str());
  return (int)s.size();
  DD_CATCH(-1)
}

// ---- generators: explicit, seeded, with state that can be saved in checkpoints ----

DD_API GH dd_generator_new(uint64_t seed, int device_type, int device_index) {
  DD_TRY
  at::Generator g;
  if ((at::DeviceType)device_type == at::kCPU) {
    g = at::make_generator<at::CPUGeneratorImpl>(seed);
  } else if ((at::DeviceType)device_type == at::kCUDA) {
    // No CUDA headers needed: clone the device's default generator (a Context API of 1.13 and 2.x alike), reseed it.
    g = at::globalContext().defaultGenerator(at::Device(at::kCUDA, (c10::DeviceIndex)std::max(device_index, 0))).clone();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(seed);
  } else {
    throw std::runtime_error("generators exist for cpu and cuda devices only");
  }
  g_live_generators.fetch_add(1);
  return new at::Generator(std::move(g));
  DD_CATCH(nullptr)
}
DD_API void dd_generator_free(GH g) {
  if (!g) return;
  delete g;
  g_live_generators.fetch_sub(1);
}
// A null generator means the device's default one (what torch.manual_seed seeds).
static at::Generator gen_or_default(GH g) {
  return g ? *g : at::detail::getDefaultCPUGenerator();
}
DD_API TH dd_generator_get_state(GH g) {
  DD_TRY
  auto gen = gen_or_default(g);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return dd::wrap(gen.get_state());
  DD_CATCH(nullptr)
}
DD_API int dd_generator_set_state(GH g, TH state) {
  DD_TRY
  auto gen = gen_or_default(g);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(*state);
  return 0;
  DD_CATCH(-1)
}
DD_API int dd_generator_seed(GH g, uint64_t seed) {
  DD_TRY
  auto gen = gen_or_default(g);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(seed);
  return 0;
  DD_CATCH(-1)
}
// Exposed to the op files: they take GH and pass an optional generator to libtorch.
c10::optional<at::Generator> dd_gen(GH g) { return g ? c10::optional<at::Generator>(*g) : c10::nullopt; }
