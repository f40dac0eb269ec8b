// Autograd: backward, gradients of leaves, higher-order gradients (R1 penalties need create_graph), grad mode.
#include "common.h"

DD_API TH dd_grad(TH a) {
  DD_TRY
  auto g = a->grad();
  return g.defined() ? dd::wrap(g) : nullptr;  // null without an error: "no gradient yet"
  DD_CATCH(nullptr)
}
DD_API int dd_set_grad(TH a, TH g) { DD_DO(a->mutable_grad() = g ? *g : at::Tensor()) }
DD_API int dd_backward(TH a, TH grad, int retain_graph, int create_graph) {
  DD_DO(a->backward(grad ? *grad : at::Tensor(), retain_graph ? c10::optional<bool>(true) : c10::nullopt, create_graph != 0))
}
DD_API int dd_retain_grad(TH a) { DD_DO(a->retain_grad()) }

// d(outputs)/d(inputs), results written to out[0..n_in); an unused input gives a null handle when allow_unused.
DD_API int dd_autograd_grad(TH* outputs, int n_out, TH* inputs, int n_in, TH* grad_outputs, int retain_graph,
                            int create_graph, int allow_unused, TH* out) {
  DD_TRY
  std::vector<at::Tensor> gos;
  if (grad_outputs)
    for (int i = 0; i < n_out; i++) gos.push_back(grad_outputs[i] ? *grad_outputs[i] : at::Tensor());
  auto r = torch::autograd::grad(dd::list(outputs, n_out), dd::list(inputs, n_in), gos,
                                 retain_graph ? c10::optional<bool>(true) : c10::nullopt, create_graph != 0,
                                 allow_unused != 0);
  return dd::write_list(r, out, n_in);
  DD_CATCH(-1)
}

DD_API int dd_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }
DD_API int dd_set_grad_enabled(int on) { DD_DO(c10::GradMode::set_enabled(on != 0)) }
