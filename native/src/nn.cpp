// Neural-network functionals: what a diffusion UNet, its trainers and its discriminators need.
#include "common.h"

using dd::ints;
using dd::opt;

DD_API TH dd_linear(TH x, TH w, TH b) { DD_OP(at::linear(*x, *w, opt(b))) }
DD_API TH dd_conv2d(TH x, TH w, TH b, const int64_t* stride, const int64_t* padding, const int64_t* dilation, int64_t groups) {
  DD_OP(at::conv2d(*x, *w, opt(b), ints(stride, 2), ints(padding, 2), ints(dilation, 2), groups))
}
DD_API TH dd_conv_transpose2d(TH x, TH w, TH b, const int64_t* stride, const int64_t* padding, const int64_t* output_padding,
                              int64_t groups, const int64_t* dilation) {
  DD_OP(at::conv_transpose2d(*x, *w, opt(b), ints(stride, 2), ints(padding, 2), ints(output_padding, 2), groups, ints(dilation, 2)))
}
DD_API TH dd_group_norm(TH x, int64_t groups, TH w, TH b, double eps) { DD_OP(at::group_norm(*x, groups, opt(w), opt(b), eps)) }
DD_API TH dd_layer_norm(TH x, const int64_t* shape, int n, TH w, TH b, double eps) {
  DD_OP(at::layer_norm(*x, ints(shape, n), opt(w), opt(b), eps))
}
DD_API TH dd_softmax(TH x, int64_t dim) { DD_OP(at::softmax(*x, dim)) }
DD_API TH dd_log_softmax(TH x, int64_t dim) { DD_OP(at::log_softmax(*x, dim)) }
DD_API TH dd_dropout(TH x, double p, int train) { DD_OP(at::dropout(*x, p, train != 0)) }
DD_API TH dd_embedding(TH w, TH idx) { DD_OP(at::embedding(*w, *idx)) }

// Scaled dot-product attention over (..., L, E) queries and (..., S, E) keys/values.
// libtorch 2.1+ dispatches to flash / memory-efficient kernels on CUDA; 1.13 only has a private variant, so it
// gets the plain softmax(QK^T * scale + mask) V, which is also the reference the tests compare against.
static at::Tensor attention_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                      const c10::optional<at::Tensor>& mask, double dropout, bool causal, double scale) {
  auto scores = at::matmul(q, k.transpose(-2, -1)) * scale;
  if (causal) {
    auto keep = at::ones({q.size(-2), k.size(-2)}, q.options().dtype(at::kBool)).tril();
    scores = scores.masked_fill(keep.logical_not(), -std::numeric_limits<double>::infinity());
  }
  if (mask) scores = mask->scalar_type() == at::kBool
                         ? scores.masked_fill(mask->logical_not(), -std::numeric_limits<double>::infinity())
                         : scores + *mask;
  auto p = at::softmax(scores, -1);
  if (dropout > 0) p = at::dropout(p, dropout, true);
  return at::matmul(p, v);
}
// The fused kernels (flash / memory-efficient, CPU and CUDA) have no double backward: a gradient penalty (R1)
// differentiates through attention twice, so it runs in a scope that picks the plain path (per thread).
static thread_local bool g_math_attention = false;
DD_API int dd_set_math_attention(int on) {
  int previous = g_math_attention ? 1 : 0;
  g_math_attention = on != 0;
  return previous;
}
DD_API TH dd_attention(TH q, TH k, TH v, TH mask, double dropout, int causal, double scale, int force_reference) {
  DD_TRY
  double s = scale > 0 ? scale : 1.0 / std::sqrt((double)q->size(-1));
#if DD_TORCH_AT_LEAST(2, 1)
  if (!force_reference && !g_math_attention)
    return dd::wrap(at::scaled_dot_product_attention(*q, *k, *v, opt(mask), dropout, causal != 0, s));
#endif
  return dd::wrap(attention_reference(*q, *k, *v, opt(mask), dropout, causal != 0, s));
  DD_CATCH(nullptr)
}
DD_API int dd_has_fused_attention() { return DD_TORCH_AT_LEAST(2, 1) ? 1 : 0; }

// ---- resampling and pooling ----
DD_API TH dd_upsample_nearest2d(TH x, int64_t h, int64_t w) { DD_OP(at::upsample_nearest2d(*x, {h, w})) }
DD_API TH dd_upsample_bilinear2d(TH x, int64_t h, int64_t w, int align_corners) {
  DD_OP(at::upsample_bilinear2d(*x, {h, w}, align_corners != 0))
}
DD_API TH dd_avg_pool2d(TH x, const int64_t* kernel, const int64_t* stride, const int64_t* padding) {
  DD_OP(at::avg_pool2d(*x, ints(kernel, 2), ints(stride, 2), ints(padding, 2)))
}
DD_API TH dd_max_pool2d(TH x, const int64_t* kernel, const int64_t* stride, const int64_t* padding) {
  DD_OP(at::max_pool2d(*x, ints(kernel, 2), ints(stride, 2), ints(padding, 2)))
}
DD_API TH dd_adaptive_avg_pool2d(TH x, int64_t h, int64_t w) { DD_OP(at::adaptive_avg_pool2d(*x, {h, w})) }

// pads: (left, right, top, bottom, ...) as in torch.nn.functional.pad. mode: 0 constant, 1 reflect, 2 replicate, 3 circular.
DD_API TH dd_pad(TH x, const int64_t* pads, int n, int mode, double value) {
  DD_TRY
  namespace F = torch::nn::functional;
  auto o = F::PadFuncOptions(std::vector<int64_t>(pads, pads + n));
  switch (mode) {
    case 0: o.mode(torch::kConstant).value(value); break;
    case 1: o.mode(torch::kReflect); break;
    case 2: o.mode(torch::kReplicate); break;
    case 3: o.mode(torch::kCircular); break;
    default: throw std::runtime_error("unknown pad mode " + std::to_string(mode));
  }
  return dd::wrap(F::pad(*x, o));
  DD_CATCH(nullptr)
}

// ---- losses (reduction: 0 none, 1 mean, 2 sum, as at::Reduction) ----
DD_API TH dd_mse_loss(TH a, TH b, int red) { DD_OP(at::mse_loss(*a, *b, red)) }
DD_API TH dd_l1_loss(TH a, TH b, int red) { DD_OP(at::l1_loss(*a, *b, red)) }
DD_API TH dd_huber_loss(TH a, TH b, int red, double delta) { DD_OP(at::huber_loss(*a, *b, red, delta)) }
DD_API TH dd_cross_entropy(TH logits, TH target, int red, double label_smoothing) {
  DD_OP(at::cross_entropy_loss(*logits, *target, c10::nullopt, red, -100, label_smoothing))
}
