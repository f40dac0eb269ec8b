// The C ABI of DistillDiff's native layer. Rules that hold for every export:
//  - tensors cross as opaque heap handles (at::Tensor*), freed only by dd_free;
//  - numbers cross by value (double / int64), never as native Scalar handles;
//  - no C++ exception ever leaves an export: DD_TRY/DD_CATCH turn all of them into a thread-local message that
//    the caller reads with dd_last_error (a handle-returning export returns null, an int-returning one -1).
#pragma once
#include <torch/torch.h>
#include <torch/version.h>
#include <atomic>
#include <string>
#include <vector>

#define DD_API extern "C" __attribute__((visibility("default")))
#define DD_TORCH_AT_LEAST(maj, min) \
  (TORCH_VERSION_MAJOR > (maj) || (TORCH_VERSION_MAJOR == (maj) && TORCH_VERSION_MINOR >= (min)))

typedef at::Tensor* TH;

namespace dd {
void set_error(const char* msg);
void clear_error();
TH wrap(at::Tensor t);
std::vector<at::Tensor> list(TH* hs, int n);
c10::optional<at::Tensor> opt(TH h);
at::IntArrayRef ints(const int64_t* v, int n);
at::TensorOptions options(int dtype, int device_type, int device_index);
at::Device device(int device_type, int device_index);
at::Scalar scalar(at::ScalarType type, double v);
inline at::Scalar scalar(const at::Tensor& t, double v) { return scalar(t.scalar_type(), v); }
std::vector<int64_t> all_dims(const at::Tensor& t);
int write_list(const std::vector<at::Tensor>& ts, TH* out, int cap);
}  // namespace dd

#define DD_TRY try { dd::clear_error();
#define DD_CATCH(ret)                                                   \
  }                                                                     \
  catch (const c10::Error& e) { dd::set_error(e.what_without_backtrace()); } \
  catch (const std::bad_alloc&) { dd::set_error("out of memory (std::bad_alloc)"); } \
  catch (const std::exception& e) { dd::set_error(e.what()); }          \
  catch (...) { dd::set_error("unknown C++ exception"); }               \
  return ret;

// One-line exports: a handle-returning op and a status-returning statement.
#define DD_OP(expr) DD_TRY return dd::wrap(expr); DD_CATCH(nullptr)
#define DD_DO(stmt) DD_TRY stmt; return 0; DD_CATCH(-1)

typedef at::Generator* GH;
c10::optional<at::Generator> dd_gen(GH g);
