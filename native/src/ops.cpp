// Elementwise math, comparisons, reductions, views and indexing: one line each.
#include "common.h"

using dd::ints;

#define UNARY(name, expr) DD_API TH dd_##name(TH a) { DD_OP(expr) }
#define BINARY(name, expr) DD_API TH dd_##name(TH a, TH b) { DD_OP(expr) }
#define SCALAR(name, expr) DD_API TH dd_##name(TH a, double s) { DD_OP(expr) }

// ---- arithmetic ----
DD_API TH dd_add(TH a, TH b, double alpha) { DD_OP(at::add(*a, *b, dd::scalar(at::result_type(*a, *b), alpha))) }
DD_API TH dd_sub(TH a, TH b, double alpha) { DD_OP(at::sub(*a, *b, dd::scalar(at::result_type(*a, *b), alpha))) }
BINARY(mul, at::mul(*a, *b))
BINARY(div, at::div(*a, *b))
BINARY(pow, at::pow(*a, *b))
BINARY(maximum, at::maximum(*a, *b))
BINARY(minimum, at::minimum(*a, *b))
BINARY(atan2, at::atan2(*a, *b))
BINARY(matmul, at::matmul(*a, *b))
BINARY(bmm, at::bmm(*a, *b))
BINARY(outer, at::outer(*a, *b))
SCALAR(add_scalar, at::add(*a, dd::scalar(*a, s)))
SCALAR(mul_scalar, at::mul(*a, dd::scalar(*a, s)))
SCALAR(div_scalar, at::div(*a, s))
SCALAR(pow_scalar, at::pow(*a, dd::scalar(*a, s)))
SCALAR(rsub_scalar, at::rsub(*a, dd::scalar(*a, s)))     // s - a
SCALAR(rdiv_scalar, at::mul(at::reciprocal(*a), s))     // s / a
SCALAR(rpow_scalar, at::pow(dd::scalar(*a, s), *a))      // s ^ a
SCALAR(fmod_scalar, at::fmod(*a, dd::scalar(*a, s)))
SCALAR(leaky_relu, at::leaky_relu(*a, s))

UNARY(neg, at::neg(*a))
UNARY(abs, at::abs(*a))
UNARY(exp, at::exp(*a))
UNARY(expm1, at::expm1(*a))
UNARY(log, at::log(*a))
UNARY(log1p, at::log1p(*a))
UNARY(sqrt, at::sqrt(*a))
UNARY(rsqrt, at::rsqrt(*a))
UNARY(square, at::square(*a))
UNARY(reciprocal, at::reciprocal(*a))
UNARY(sin, at::sin(*a))
UNARY(cos, at::cos(*a))
UNARY(tan, at::tan(*a))
UNARY(atan, at::atan(*a))
UNARY(tanh, at::tanh(*a))
UNARY(sigmoid, at::sigmoid(*a))
UNARY(relu, at::relu(*a))
UNARY(silu, at::silu(*a))
UNARY(softplus, at::softplus(*a))
UNARY(sign, at::sign(*a))
UNARY(floor, at::floor(*a))
UNARY(ceil, at::ceil(*a))
UNARY(round, at::round(*a))
UNARY(erf, at::erf(*a))
UNARY(isnan, at::isnan(*a))
UNARY(isfinite, at::isfinite(*a))
UNARY(logical_not, at::logical_not(*a))
DD_API TH dd_gelu(TH a, int tanh_approx) { DD_OP(at::gelu(*a, tanh_approx ? "tanh" : "none")) }
DD_API TH dd_clamp(TH a, double lo, double hi, int has_lo, int has_hi) {
  DD_OP(at::clamp(*a, has_lo ? c10::optional<at::Scalar>(dd::scalar(*a, lo)) : c10::nullopt,
                  has_hi ? c10::optional<at::Scalar>(dd::scalar(*a, hi)) : c10::nullopt))
}
DD_API TH dd_clamp_tensor(TH a, TH lo, TH hi) { DD_OP(at::clamp(*a, dd::opt(lo), dd::opt(hi))) }
DD_API TH dd_where(TH cond, TH a, TH b) { DD_OP(at::where(*cond, *a, *b)) }
DD_API TH dd_lerp(TH a, TH b, double w) { DD_OP(at::lerp(*a, *b, w)) }
DD_API TH dd_lerp_tensor(TH a, TH b, TH w) { DD_OP(at::lerp(*a, *b, *w)) }
DD_API TH dd_masked_fill(TH a, TH mask, double v) { DD_OP(at::masked_fill(*a, *mask, v)) }

// ---- comparisons (op: 0 eq, 1 ne, 2 lt, 3 le, 4 gt, 5 ge) ----
static at::Tensor compare(const at::Tensor& a, const at::Tensor& b, int op) {
  switch (op) {
    case 0: return at::eq(a, b);
    case 1: return at::ne(a, b);
    case 2: return at::lt(a, b);
    case 3: return at::le(a, b);
    case 4: return at::gt(a, b);
    case 5: return at::ge(a, b);
  }
  throw std::runtime_error("unknown comparison " + std::to_string(op));
}
static at::Tensor compare(const at::Tensor& a, double s, int op) {
  switch (op) {
    case 0: return at::eq(a, s);
    case 1: return at::ne(a, s);
    case 2: return at::lt(a, s);
    case 3: return at::le(a, s);
    case 4: return at::gt(a, s);
    case 5: return at::ge(a, s);
  }
  throw std::runtime_error("unknown comparison " + std::to_string(op));
}
DD_API TH dd_compare(TH a, TH b, int op) { DD_OP(compare(*a, *b, op)) }
DD_API TH dd_compare_scalar(TH a, double s, int op) { DD_OP(compare(*a, s, op)) }
BINARY(logical_and, at::logical_and(*a, *b))
BINARY(logical_or, at::logical_or(*a, *b))
DD_API int dd_allclose(TH a, TH b, double rtol, double atol) { DD_TRY return at::allclose(*a, *b, rtol, atol) ? 1 : 0; DD_CATCH(-1) }
DD_API int dd_equal(TH a, TH b) { DD_TRY return at::equal(*a, *b) ? 1 : 0; DD_CATCH(-1) }

// ---- reductions (nd == 0 reduces over everything; keep then leaves every dim as size 1, as keepdim=True) ----
// Spelled out as a dim list: libtorch 1.13's logsumexp rejects an empty one, and the full-reduction overloads
// ignore keepdim.
static std::vector<int64_t> reduce_dims(const at::Tensor& a, const int64_t* dims, int nd) {
  return nd ? std::vector<int64_t>(dims, dims + nd) : dd::all_dims(a);
}
DD_API TH dd_sum(TH a, const int64_t* dims, int nd, int keep) { DD_OP(at::sum(*a, reduce_dims(*a, dims, nd), keep != 0)) }
DD_API TH dd_mean(TH a, const int64_t* dims, int nd, int keep) { DD_OP(at::mean(*a, reduce_dims(*a, dims, nd), keep != 0)) }
DD_API TH dd_var(TH a, const int64_t* dims, int nd, int unbiased, int keep) {
  DD_OP(at::var(*a, reduce_dims(*a, dims, nd), unbiased != 0, keep != 0))
}
DD_API TH dd_std(TH a, const int64_t* dims, int nd, int unbiased, int keep) {
  DD_OP(at::std(*a, reduce_dims(*a, dims, nd), unbiased != 0, keep != 0))
}
DD_API TH dd_amax(TH a, const int64_t* dims, int nd, int keep) { DD_OP(at::amax(*a, reduce_dims(*a, dims, nd), keep != 0)) }
DD_API TH dd_amin(TH a, const int64_t* dims, int nd, int keep) { DD_OP(at::amin(*a, reduce_dims(*a, dims, nd), keep != 0)) }
DD_API TH dd_logsumexp(TH a, const int64_t* dims, int nd, int keep) { DD_OP(at::logsumexp(*a, reduce_dims(*a, dims, nd), keep != 0)) }
DD_API TH dd_norm(TH a, double p, const int64_t* dims, int nd, int keep) {
  DD_OP(at::linalg_vector_norm(*a, p, nd ? c10::optional<at::IntArrayRef>(ints(dims, nd)) : c10::nullopt, keep != 0, c10::nullopt))
}
DD_API TH dd_argmax(TH a, int64_t dim, int keep) { DD_OP(at::argmax(*a, dim, keep != 0)) }
DD_API TH dd_argmin(TH a, int64_t dim, int keep) { DD_OP(at::argmin(*a, dim, keep != 0)) }
DD_API TH dd_cumsum(TH a, int64_t dim) { DD_OP(at::cumsum(*a, dim)) }
DD_API TH dd_prod(TH a) { DD_OP(at::prod(*a)) }
UNARY(all, at::all(*a))
UNARY(any, at::any(*a))
DD_API TH dd_sort(TH a, int64_t dim, int descending, TH* indices) {
  DD_TRY
  auto r = at::sort(*a, dim, descending != 0);
  *indices = dd::wrap(std::get<1>(r));
  return dd::wrap(std::get<0>(r));
  DD_CATCH(nullptr)
}

// ---- shape and views ----
DD_API TH dd_reshape(TH a, const int64_t* s, int n) { DD_OP(a->reshape(ints(s, n))) }
DD_API TH dd_view(TH a, const int64_t* s, int n) { DD_OP(a->view(ints(s, n))) }
DD_API TH dd_expand(TH a, const int64_t* s, int n) { DD_OP(a->expand(ints(s, n))) }
DD_API TH dd_repeat(TH a, const int64_t* s, int n) { DD_OP(a->repeat(ints(s, n))) }
DD_API TH dd_permute(TH a, const int64_t* s, int n) { DD_OP(a->permute(ints(s, n))) }
DD_API TH dd_flip(TH a, const int64_t* s, int n) { DD_OP(a->flip(ints(s, n))) }
DD_API TH dd_transpose(TH a, int64_t d0, int64_t d1) { DD_OP(a->transpose(d0, d1)) }
DD_API TH dd_unsqueeze(TH a, int64_t d) { DD_OP(a->unsqueeze(d)) }
DD_API TH dd_squeeze(TH a, int64_t d, int all) { DD_OP(all ? a->squeeze() : a->squeeze(d)) }
DD_API TH dd_flatten(TH a, int64_t start, int64_t end) { DD_OP(a->flatten(start, end)) }
DD_API TH dd_slice(TH a, int64_t dim, int64_t start, int64_t end, int64_t step) { DD_OP(a->slice(dim, start, end, step)) }
DD_API TH dd_select(TH a, int64_t dim, int64_t index) { DD_OP(a->select(dim, index)) }
DD_API TH dd_narrow(TH a, int64_t dim, int64_t start, int64_t len) { DD_OP(a->narrow(dim, start, len)) }
DD_API TH dd_index_select(TH a, int64_t dim, TH idx) { DD_OP(a->index_select(dim, *idx)) }
DD_API TH dd_index_tensor(TH a, TH idx) { DD_OP(a->index({*idx})) }
DD_API TH dd_masked_select(TH a, TH mask) { DD_OP(a->masked_select(*mask)) }
DD_API TH dd_gather(TH a, int64_t dim, TH idx) { DD_OP(a->gather(dim, *idx)) }
DD_API TH dd_repeat_interleave(TH a, int64_t repeats, int64_t dim) { DD_OP(a->repeat_interleave(repeats, dim)) }
DD_API TH dd_tril(TH a, int64_t k) { DD_OP(a->tril(k)) }
DD_API TH dd_cat(TH* ts, int n, int64_t dim) { DD_OP(at::cat(dd::list(ts, n), dim)) }
DD_API TH dd_stack(TH* ts, int n, int64_t dim) { DD_OP(at::stack(dd::list(ts, n), dim)) }
DD_API int dd_chunk(TH a, int64_t chunks, int64_t dim, TH* out, int cap) {
  DD_TRY return dd::write_list(a->chunk(chunks, dim), out, cap); DD_CATCH(-1)
}
DD_API int dd_split(TH a, const int64_t* sizes, int n, int64_t dim, TH* out, int cap) {
  DD_TRY return dd::write_list(a->split_with_sizes(ints(sizes, n), dim), out, cap); DD_CATCH(-1)
}
DD_API TH dd_einsum(const char* eq, TH* ts, int n) { DD_OP(at::einsum(eq, dd::list(ts, n))) }
