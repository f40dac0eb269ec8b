// Creation, metadata, conversion, raw data in and out, in-place updates.
#include "common.h"

#include <cstring>

using dd::ints;
using dd::options;

// ---- creation ----
DD_API TH dd_empty(const int64_t* shape, int nd, int dtype, int dev, int idx) { DD_OP(at::empty(ints(shape, nd), options(dtype, dev, idx))) }
DD_API TH dd_zeros(const int64_t* shape, int nd, int dtype, int dev, int idx) { DD_OP(at::zeros(ints(shape, nd), options(dtype, dev, idx))) }
DD_API TH dd_ones(const int64_t* shape, int nd, int dtype, int dev, int idx) { DD_OP(at::ones(ints(shape, nd), options(dtype, dev, idx))) }
DD_API TH dd_full(const int64_t* shape, int nd, double v, int dtype, int dev, int idx) { DD_OP(at::full(ints(shape, nd), v, options(dtype, dev, idx))) }
DD_API TH dd_arange(double start, double end, double step, int dtype, int dev, int idx) { DD_OP(at::arange(start, end, step, options(dtype, dev, idx))) }
DD_API TH dd_linspace(double start, double end, int64_t steps, int dtype, int dev, int idx) { DD_OP(at::linspace(start, end, steps, options(dtype, dev, idx))) }
DD_API TH dd_randn(const int64_t* shape, int nd, GH g, int dtype, int dev, int idx) { DD_OP(at::randn(ints(shape, nd), dd_gen(g), options(dtype, dev, idx))) }
DD_API TH dd_rand(const int64_t* shape, int nd, GH g, int dtype, int dev, int idx) { DD_OP(at::rand(ints(shape, nd), dd_gen(g), options(dtype, dev, idx))) }
DD_API TH dd_randint(int64_t low, int64_t high, const int64_t* shape, int nd, GH g, int dtype, int dev, int idx) { DD_OP(at::randint(low, high, ints(shape, nd), dd_gen(g), options(dtype, dev, idx))) }
DD_API TH dd_randperm(int64_t n, GH g, int dtype, int dev, int idx) { DD_OP(at::randperm(n, dd_gen(g), options(dtype, dev, idx))) }
DD_API TH dd_eye(int64_t n, int dtype, int dev, int idx) { DD_OP(at::eye(n, options(dtype, dev, idx))) }
DD_API TH dd_zeros_like(TH a) { DD_OP(at::zeros_like(*a)) }
DD_API TH dd_ones_like(TH a) { DD_OP(at::ones_like(*a)) }
DD_API TH dd_full_like(TH a, double v) { DD_OP(at::full_like(*a, v)) }
DD_API TH dd_randn_like(TH a, GH g) { DD_OP(at::randn(a->sizes(), dd_gen(g), a->options())) }
DD_API TH dd_rand_like(TH a, GH g) { DD_OP(at::rand(a->sizes(), dd_gen(g), a->options())) }

// Copies `nbytes` from host memory into a new tensor (then moves it to the device).
DD_API TH dd_from_buffer(const void* data, int64_t nbytes, const int64_t* shape, int nd, int dtype, int dev, int idx) {
  DD_TRY
  auto t = at::empty(ints(shape, nd), options(dtype, (int)at::kCPU, -1));
  if ((int64_t)t.nbytes() != nbytes)
    throw std::runtime_error("buffer holds " + std::to_string(nbytes) + " bytes but the shape and dtype need " +
                             std::to_string(t.nbytes()));
  if (nbytes) std::memcpy(t.data_ptr(), data, (size_t)nbytes);
  if ((at::DeviceType)dev != at::kCPU) t = t.to(dd::device(dev, idx));
  return dd::wrap(t);
  DD_CATCH(nullptr)
}
// Copies the tensor's elements (row-major, any device) into host memory of exactly nbytes.
DD_API int dd_to_buffer(TH a, void* data, int64_t nbytes) {
  DD_TRY
  auto c = a->detach().to(at::kCPU).contiguous();
  if ((int64_t)c.nbytes() != nbytes)
    throw std::runtime_error("tensor has " + std::to_string(c.nbytes()) + " bytes but the buffer holds " +
                             std::to_string(nbytes));
  if (nbytes) std::memcpy(data, c.data_ptr(), (size_t)nbytes);
  return 0;
  DD_CATCH(-1)
}

// ---- metadata ----
DD_API int dd_ndim(TH a) { DD_TRY return (int)a->dim(); DD_CATCH(-1) }
DD_API int dd_shape(TH a, int64_t* out, int cap) {
  DD_TRY
  if (a->dim() > cap) throw std::runtime_error("tensor has more dimensions than the caller's buffer");
  for (int64_t i = 0; i < a->dim(); i++) out[i] = a->size(i);
  return (int)a->dim();
  DD_CATCH(-1)
}
DD_API int dd_dtype(TH a) { DD_TRY return (int)a->scalar_type(); DD_CATCH(-1) }
DD_API int dd_device(TH a, int* index) {
  DD_TRY
  *index = a->device().has_index() ? a->device().index() : -1;
  return (int)a->device().type();
  DD_CATCH(-1)
}
DD_API int64_t dd_numel(TH a) { DD_TRY return a->numel(); DD_CATCH(-1) }
DD_API int dd_requires_grad(TH a) { DD_TRY return a->requires_grad() ? 1 : 0; DD_CATCH(-1) }
DD_API int dd_set_requires_grad(TH a, int v) { DD_DO(a->set_requires_grad(v != 0)) }
DD_API int dd_is_leaf(TH a) { DD_TRY return a->is_leaf() ? 1 : 0; DD_CATCH(-1) }
DD_API int dd_is_contiguous(TH a) { DD_TRY return a->is_contiguous() ? 1 : 0; DD_CATCH(-1) }
DD_API int dd_is_channels_last(TH a) { DD_TRY return a->is_contiguous(at::MemoryFormat::ChannelsLast) ? 1 : 0; DD_CATCH(-1) }
DD_API int dd_item(TH a, double* out) { DD_TRY *out = a->item<double>(); return 0; DD_CATCH(-1) }
DD_API int dd_item_long(TH a, int64_t* out) { DD_TRY *out = a->item<int64_t>(); return 0; DD_CATCH(-1) }
DD_API int dd_to_string(TH a, char* buf, int cap) {
  DD_TRY
  std::ostringstream os;
  os << *a;
  auto s = os.str();
  std::snprintf(buf, cap, "%s", s.c_str());
  return (int)s.size();
  DD_CATCH(-1)
}

// ---- conversion ----
DD_API TH dd_to(TH a, int dtype, int dev, int idx, int non_blocking, int copy) {
  DD_OP(a->to(options(dtype, dev, idx), non_blocking != 0, copy != 0))
}
DD_API TH dd_to_memory_format(TH a, int channels_last) {
  DD_OP(a->contiguous(channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous))
}
DD_API TH dd_contiguous(TH a) { DD_OP(a->contiguous()) }
DD_API TH dd_clone(TH a) { DD_OP(a->clone()) }
DD_API TH dd_detach(TH a) { DD_OP(a->detach()) }
DD_API TH dd_alias(TH a) { DD_OP(*a) }

// ---- in place (return the status; the handle stays the same tensor) ----
DD_API int dd_copy_(TH a, TH src) { DD_DO(a->copy_(*src)) }
DD_API int dd_fill_(TH a, double v) { DD_DO(a->fill_(v)) }
DD_API int dd_zero_(TH a) { DD_DO(a->zero_()) }
DD_API int dd_add_(TH a, TH b, double alpha) { DD_DO(a->add_(*b, dd::scalar(*a, alpha))) }
DD_API int dd_add_scalar_(TH a, double v) { DD_DO(a->add_(dd::scalar(*a, v))) }
DD_API int dd_sub_(TH a, TH b) { DD_DO(a->sub_(*b)) }
DD_API int dd_mul_(TH a, TH b) { DD_DO(a->mul_(*b)) }
DD_API int dd_mul_scalar_(TH a, double v) { DD_DO(a->mul_(dd::scalar(*a, v))) }
DD_API int dd_div_scalar_(TH a, double v) { DD_DO(a->div_(v)) }
DD_API int dd_clamp_(TH a, double lo, double hi, int has_lo, int has_hi) {
  DD_DO(a->clamp_(has_lo ? c10::optional<at::Scalar>(dd::scalar(*a, lo)) : c10::nullopt,
                  has_hi ? c10::optional<at::Scalar>(dd::scalar(*a, hi)) : c10::nullopt))
}
DD_API int dd_lerp_(TH a, TH end, double w) { DD_DO(a->lerp_(*end, w)) }
DD_API int dd_normal_(TH a, double mean, double std, GH g) { DD_DO(a->normal_(mean, std, dd_gen(g))) }
DD_API int dd_uniform_(TH a, double lo, double hi, GH g) { DD_DO(a->uniform_(lo, hi, dd_gen(g))) }
DD_API int dd_masked_fill_(TH a, TH mask, double v) { DD_DO(a->masked_fill_(*mask, v)) }
