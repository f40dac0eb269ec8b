// Optimizer steps over whole parameter lists in one call each, through libtorch's multi-tensor (_foreach_*)
// kernels, or the fused AdamW kernel (CUDA with libtorch 2.2+ by default; CPU 2.4+ on request). Parameters without a gradient are skipped on
// the native side (see with_grad). Everything runs under no_grad and nothing here syncs with the host.
#include "common.h"

namespace {
// Keeps the entries whose parameter has a gradient (a frozen or unused parameter has none), so callers pass
// whole parameter lists and never query gradients one by one.
struct WithGrad {
  std::vector<at::Tensor> p, g, s1, s2;
};
WithGrad with_grad(TH* params, TH* state1, TH* state2, int n) {
  WithGrad r;
  for (int i = 0; i < n; i++) {
    const auto& grad = params[i]->grad();
    if (!grad.defined()) continue;
    r.p.push_back(*params[i]);
    r.g.push_back(grad);
    if (state1) r.s1.push_back(*state1[i]);
    if (state2) r.s2.push_back(*state2[i]);
  }
  return r;
}
}  // namespace

// AdamW (Loshchilov & Hutter): p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// fused: -1 = the fused kernel where it exists for the parameters' device (CUDA with libtorch 2.2+; CPU keeps the
// _foreach path, the one every CPU checkpoint so far was trained with), 0 = _foreach always, 1 = fused or an error
// (CUDA: libtorch 2.2+, CPU: 2.4+, the versions whose at::_fused_adamw_ has a kernel for that device).
// The fused kernel reads the step count from a float tensor on the parameters' device (as torch.optim keeps it for
// fused=True); one 0-d tensor serves every parameter, since the kernel only reads it.
static bool fused_adamw_available(const at::Device& d) {
#if DD_TORCH_AT_LEAST(2, 4)
  return d.is_cuda() || d.is_cpu();
#elif DD_TORCH_AT_LEAST(2, 2)
  return d.is_cuda();
#else
  return false;
#endif
}

DD_API int dd_adamw_fused_available(int device_type) {
  DD_TRY return fused_adamw_available(at::Device((at::DeviceType)device_type)) ? 1 : 0; DD_CATCH(-1)
}

DD_API int dd_adamw_step(TH* params, TH* exp_avg, TH* exp_avg_sq, int n, double lr, double beta1, double beta2,
                         double eps, double weight_decay, int64_t step, int fused) {
  DD_TRY
  at::NoGradGuard no_grad;
  auto w = with_grad(params, exp_avg, exp_avg_sq, n);
  if (w.p.empty()) return 0;
  auto &p = w.p, &g = w.g, &m = w.s1, &v = w.s2;
  auto device = p[0].device();
  bool use_fused = fused == 1 || (fused < 0 && device.is_cuda() && fused_adamw_available(device));
  if (use_fused && !fused_adamw_available(device))
    throw std::runtime_error(std::string("fused AdamW needs libtorch ") + (device.is_cuda() ? "2.2" : "2.4") + "+ on " +
                             c10::DeviceTypeName(device.type(), true) + " (this is " + TORCH_VERSION + ")");
#if DD_TORCH_AT_LEAST(2, 2)
  if (use_fused) {
    auto steps = at::full({}, (double)step, p[0].options().dtype(at::kFloat));
    std::vector<at::Tensor> step_list(p.size(), steps);
    at::_fused_adamw_(p, g, m, v, {}, step_list, lr, beta1, beta2, weight_decay, eps, false, false);
    return 0;
  }
#endif
  if (weight_decay != 0) at::_foreach_mul_(p, 1.0 - lr * weight_decay);
  at::_foreach_mul_(m, beta1);
  at::_foreach_add_(m, g, 1.0 - beta1);
  at::_foreach_mul_(v, beta2);
  at::_foreach_addcmul_(v, g, g, 1.0 - beta2);
  double bc1 = 1.0 - std::pow(beta1, (double)step), bc2 = 1.0 - std::pow(beta2, (double)step);
  auto denom = at::_foreach_sqrt(v);
  at::_foreach_div_(denom, std::sqrt(bc2));
  at::_foreach_add_(denom, eps);
  at::_foreach_addcdiv_(p, m, denom, -lr / bc1);
  return 0;
  DD_CATCH(-1)
}

// SGD with momentum as torch.optim.SGD: buf = g on the first step, then buf = mu buf + (1 - dampening) g;
// nesterov uses g + mu buf. Weight decay is L2 (added to the gradient).
DD_API int dd_sgd_step(TH* params, TH* bufs, int n, double lr, double momentum, double dampening, double weight_decay,
                       int nesterov, int first_step) {
  DD_TRY
  at::NoGradGuard no_grad;
  auto w = with_grad(params, momentum != 0 ? bufs : nullptr, nullptr, n);
  if (w.p.empty()) return 0;
  auto &p = w.p, &b = w.s1;
  auto g = w.g;
  if (weight_decay != 0) g = at::_foreach_add(g, p, weight_decay);
  if (momentum != 0) {
    if (first_step) {
      for (size_t i = 0; i < b.size(); i++) b[i].copy_(g[i]);
    } else {
      at::_foreach_mul_(b, momentum);
      at::_foreach_add_(b, g, 1.0 - dampening);
    }
    g = nesterov ? at::_foreach_add(g, b, momentum) : b;
  }
  at::_foreach_add_(p, g, -lr);
  return 0;
  DD_CATCH(-1)
}

// Scales all gradients so their global 2-norm is at most max_norm; returns the norm before clipping as a 0-d
// tensor so the caller decides when (and whether) to pay for a host sync to read it.
DD_API TH dd_clip_grad_norm(TH* params, int n, double max_norm) {
  DD_TRY
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> g;
  for (int i = 0; i < n; i++)
    if (params[i]->grad().defined()) g.push_back(params[i]->grad());
  if (g.empty()) return dd::wrap(at::zeros({}, at::kFloat));
  auto norms = at::_foreach_norm(g, 2);
  auto total = at::linalg_vector_norm(at::stack(norms), 2, c10::nullopt, false, c10::nullopt);
  auto coef = at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
  for (auto& t : g) t.mul_(coef.to(t.device()));
  return dd::wrap(total);
  DD_CATCH(nullptr)
}

// Gradients set to none (as zero_grad(set_to_none=True)): frees their memory between steps.
DD_API int dd_zero_grads(TH* params, int n) { DD_DO(for (int i = 0; i < n; i++) params[i]->mutable_grad() = at::Tensor()) }

// ema = decay * ema + (1 - decay) * param, for every pair.
DD_API int dd_ema_update(TH* ema, TH* params, int n, double decay) {
  DD_TRY
  if (n == 0) return 0;
  at::NoGradGuard no_grad;
  auto e = dd::list(ema, n), p = dd::list(params, n);
  at::_foreach_mul_(e, decay);
  at::_foreach_add_(e, p, 1.0 - decay);
  return 0;
  DD_CATCH(-1)
}

DD_API int dd_copy_all(TH* dst, TH* src, int n) {
  DD_TRY
  at::NoGradGuard no_grad;
  for (int i = 0; i < n; i++) dst[i]->copy_(*src[i]);
  return 0;
  DD_CATCH(-1)
}

// True when every element of every tensor is finite: one host sync for a whole list (NaN/inf guards).
DD_API int dd_all_finite(TH* ts, int n) {
  DD_TRY
  if (n == 0) return 1;
  std::vector<at::Tensor> flags;
  for (int i = 0; i < n; i++) flags.push_back(at::isfinite(*ts[i]).all());
  return at::stack(flags).all().item<bool>() ? 1 : 0;
  DD_CATCH(-1)
}

// Loss scaling (fp16): divides every gradient by the loss scale (inv_scale = 1 / scale, a power of two, so exact)
// and returns 1 when all of them are finite, 0 when any holds an inf or nan: one host sync for the whole list.
// Plain _foreach ops rather than _amp_foreach_non_finite_check_and_unscale_, which has no CPU kernel before 2.3.
DD_API int dd_unscale_grads(TH* params, int n, double inv_scale) {
  DD_TRY
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> g;
  for (int i = 0; i < n; i++)
    if (params[i]->grad().defined()) g.push_back(params[i]->grad());
  if (g.empty()) return 1;
  if (inv_scale != 1.0) at::_foreach_mul_(g, inv_scale);
  std::vector<at::Tensor> flags;
  flags.reserve(g.size());
  for (const auto& t : g) flags.push_back(at::isfinite(t).all());
  return at::stack(flags).all().item<bool>() ? 1 : 0;
  DD_CATCH(-1)
}
