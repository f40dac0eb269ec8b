// Mixed precision: autocast state, per thread and per device type, as torch.autocast sets it.
// libtorch 2.4+ has one device-generic API (set_autocast_enabled(device, ...)); older versions have a CPU and a
// GPU (CUDA) variant of each call. Both keep the state thread-local, so a scope on one thread leaves others alone.
#include "common.h"

#include <ATen/autocast_mode.h>

namespace {
at::DeviceType amp_device(int device_type) {
  auto d = (at::DeviceType)device_type;
  if (d != at::kCPU && d != at::kCUDA) throw std::invalid_argument("autocast exists for cpu and cuda devices only");
  return d;
}
}  // namespace

// Returns whether autocast is on for the device type on this thread (or -1), and its dtype in *dtype.
DD_API int dd_autocast_state(int device_type, int* dtype) {
  DD_TRY
  auto d = amp_device(device_type);
#if DD_TORCH_AT_LEAST(2, 4)
  *dtype = (int)at::autocast::get_autocast_dtype(d);
  return at::autocast::is_autocast_enabled(d) ? 1 : 0;
#else
  if (d == at::kCPU) {
    *dtype = (int)at::autocast::get_autocast_cpu_dtype();
    return at::autocast::is_cpu_enabled() ? 1 : 0;
  }
  *dtype = (int)at::autocast::get_autocast_gpu_dtype();
  return at::autocast::is_enabled() ? 1 : 0;
#endif
  DD_CATCH(-1)
}

DD_API int dd_autocast_set(int device_type, int enabled, int dtype) {
  DD_TRY
  auto d = amp_device(device_type);
  auto t = (at::ScalarType)dtype;
  if (t != at::kBFloat16 && t != at::kHalf && t != at::kFloat)
    throw std::invalid_argument("autocast dtype must be bfloat16, float16 or float32");
#if DD_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_dtype(d, t);
  at::autocast::set_autocast_enabled(d, enabled != 0);
#else
  if (d == at::kCPU) {
    at::autocast::set_autocast_cpu_dtype(t);
    at::autocast::set_cpu_enabled(enabled != 0);
  } else {
    at::autocast::set_autocast_gpu_dtype(t);
    at::autocast::set_enabled(enabled != 0);
  }
#endif
  return 0;
  DD_CATCH(-1)
}

// Nesting depth of autocast scopes on this thread; leaving the outermost one drops the cache of casted weights
// (as torch.autocast.__exit__), so the next forward casts the updated fp32 weights afresh.
DD_API int dd_autocast_enter() { DD_TRY return (int)at::autocast::increment_nesting(); DD_CATCH(-1) }
DD_API int dd_autocast_exit() {
  DD_TRY
  int depth = (int)at::autocast::decrement_nesting();
  if (depth == 0) at::autocast::clear_cache();
  return depth;
  DD_CATCH(-1)
}
