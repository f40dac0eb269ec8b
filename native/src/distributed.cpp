// Data-parallel collectives on libtorch's own distributed engine (c10d): rendezvous through a TCPStore that rank 0
// hosts at MASTER_ADDR:MASTER_PORT, then ProcessGroupGloo (CPU tensors) or ProcessGroupNCCL (CUDA tensors, when
// this libtorch was built with it). A process group crosses the C ABI as an opaque void* freed by dd_dist_free.
//
// Failures: a collective that fails (a peer closed its sockets because it died, or the collective timed out
// because it hangs) is diagnosed before it is reported. The surviving rank checks in at the store and waits a
// little for the other ranks to do the same; the ranks that do not answer are the ones named in the message.
// When the store itself is gone, it was rank 0 (which hosts it) that died.
#include "common.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
// Work and ReduceOp directly: without Gloo's headers (Debian's libtorch-dev does not depend on libgloo-dev) nothing
// else brings them in.
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>

#if __has_include(<gloo/context.h>)
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#define DD_HAS_GLOO 1
#else
#define DD_HAS_GLOO 0
#endif

#if defined(DD_WITH_CUDA) && __has_include(<nccl.h>)
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define DD_HAS_NCCL 1
#else
#define DD_HAS_NCCL 0
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <thread>

namespace {
using ms = std::chrono::milliseconds;

// libtorch 2.4+ asks for the libuv TCPStore by default; a libtorch built without libuv (Debian's 2.6) refuses it.
// Older versions have no such option: the overload resolution picks the no-op there.
template <class O>
auto without_libuv(O& o, int) -> decltype(o.useLibUV = false, true) { o.useLibUV = false; return true; }
template <class O>
bool without_libuv(O&, long) { return false; }

// The TCPStore with libtorch's default backend, or the classic one when this libtorch lacks libuv.
c10::intrusive_ptr<c10d::Store> make_tcp_store(const std::string& addr, c10d::TCPStoreOptions so) {
  try {
    return c10::make_intrusive<c10d::TCPStore>(addr, so);
  } catch (const std::exception& e) {
    if (std::string(e.what()).find("libuv") == std::string::npos || !without_libuv(so, 0)) throw;
    return c10::make_intrusive<c10d::TCPStore>(addr, so);
  }
}

// The few collectives the trainer needs, over whichever c10d class the backend is: ProcessGroupGloo derives from
// ProcessGroup in libtorch 1.13 and from Backend in 2.x, so the concrete class is held, not a common base.
struct Group {
  int rank = 0, size = 1;
  std::string backend, master;
  bool hosts_store = true;   // rank 0 hosts the TCPStore (false under torchrun's agent store)
  ms timeout{0};
  c10::intrusive_ptr<c10d::Store> store;  // the raw TCPStore: liveness keys live outside the group's prefix
  virtual ~Group() = default;
  virtual c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& ts, int64_t root) = 0;
  virtual c10::intrusive_ptr<c10d::Work> all_reduce(std::vector<at::Tensor>& ts, c10d::ReduceOp op) = 0;
  virtual c10::intrusive_ptr<c10d::Work> all_gather(std::vector<std::vector<at::Tensor>>& out, std::vector<at::Tensor>& in) = 0;
  virtual c10::intrusive_ptr<c10d::Work> barrier() = 0;
};

template <class PG>
struct GroupOf : Group {
  c10::intrusive_ptr<PG> pg;
  c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& ts, int64_t root) override {
    c10d::BroadcastOptions o;
    o.rootRank = root;
    o.timeout = timeout;
    return pg->broadcast(ts, o);
  }
  c10::intrusive_ptr<c10d::Work> all_reduce(std::vector<at::Tensor>& ts, c10d::ReduceOp op) override {
    c10d::AllreduceOptions o;
    o.reduceOp = op;
    o.timeout = timeout;
    return pg->allreduce(ts, o);
  }
  c10::intrusive_ptr<c10d::Work> all_gather(std::vector<std::vector<at::Tensor>>& out, std::vector<at::Tensor>& in) override {
    c10d::AllgatherOptions o;
    o.timeout = timeout;
    return pg->allgather(out, in, o);
  }
  c10::intrusive_ptr<c10d::Work> barrier() override {
    c10d::BarrierOptions o;
    o.timeout = timeout;
    return pg->barrier(o);
  }
};

std::string alive_key(int rank) { return "dd/alive/" + std::to_string(rank); }

// Names the ranks that stopped answering: this rank checks in at the store, then waits up to a few seconds for the
// others (survivors of the same failure check in too).
std::string diagnose(Group& g) {
  std::vector<int> silent;
  try {
    g.store->set(alive_key(g.rank), std::vector<uint8_t>{1});
    auto wait = std::min(g.timeout, ms(5000));
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      silent.clear();
      for (int r = 0; r < g.size; r++)
        if (r != g.rank && !g.store->check({alive_key(r)})) silent.push_back(r);
      if (silent.empty() || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(ms(50));
    }
  } catch (const std::exception&) {
    return g.hosts_store ? "rank 0, which hosts the rendezvous store at " + g.master + ", is unreachable (it died or hangs)"
                         : "the launcher's rendezvous store at " + g.master + " is unreachable";
  }
  if (silent.empty()) return "every rank is still alive";
  std::ostringstream m;
  m << (silent.size() == 1 ? "rank " : "ranks ");
  for (size_t i = 0; i < silent.size(); i++) m << (i ? ", " : "") << silent[i];
  m << (silent.size() == 1 ? " does" : " do") << " not answer (it died or hangs)";
  return m.str();
}

// Runs a collective to completion; a failure becomes one message naming the operation, this rank and the silent ones.
void run(Group& g, const char* op, const std::function<c10::intrusive_ptr<c10d::Work>()>& start) {
  std::string detail;
  try {
    auto work = start();
    work->wait(g.timeout);
    return;
  } catch (const c10::Error& e) {
    detail = e.what_without_backtrace();
  } catch (const std::exception& e) {
    detail = e.what();
  }
  auto cut = detail.find("Exception raised from");
  if (cut != std::string::npos) detail.erase(cut);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  std::ostringstream m;
  m << op << " failed on rank " << g.rank << " of " << g.size << " (" << g.backend << ", timeout "
    << g.timeout.count() / 1000.0 << " s): " << diagnose(g) << "; " << detail;
  throw std::runtime_error(m.str());
}

Group& group(void* h) {
  if (!h) throw std::invalid_argument("null process group");
  return *static_cast<Group*>(h);
}

#if DD_HAS_GLOO
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master) {
  // As torch.distributed: GLOO_SOCKET_IFNAME picks the interface; a loopback master means a one-machine job;
  // otherwise bind to the address this machine's hostname resolves to.
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (master == "localhost" || master.rfind("127.", 0) == 0)
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

// Collectives move contiguous buffers: tensors are packed into flat buckets (one dtype and device each, at most
// bucket_bytes, as DDP's gradient buckets) and unpacked after.
struct Bucket {
  std::vector<at::Tensor> members;
  at::Tensor flat;
};
std::vector<Bucket> buckets(const std::vector<at::Tensor>& ts, int64_t bucket_bytes) {
  std::vector<Bucket> out;
  int64_t bytes = 0;
  for (const auto& t : ts) {
    auto nb = t.numel() * (int64_t)t.element_size();
    bool fresh = out.empty() || bytes + nb > bucket_bytes || out.back().members[0].scalar_type() != t.scalar_type() ||
                 out.back().members[0].device() != t.device();
    if (fresh) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().members.push_back(t);
    bytes += nb;
  }
  for (auto& b : out) {
    std::vector<at::Tensor> flat;
    for (const auto& m : b.members) flat.push_back(m.reshape({-1}));
    b.flat = at::cat(flat);
  }
  return out;
}
void unpack(Bucket& b) {
  int64_t off = 0;
  for (auto& m : b.members) {
    m.copy_(b.flat.narrow(0, off, m.numel()).view_as(m));
    off += m.numel();
  }
}
}  // namespace

namespace {
std::string rendezvous_failed(int64_t rank, int64_t world, const std::string& addr, int64_t port, int64_t timeout_ms, const std::string& why) {
  std::ostringstream m;
  m << "rendezvous of rank " << rank << " of " << world << " at " << addr << ":" << port << " failed within " << timeout_ms / 1000.0
    << " s (are all ranks started, with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE?): " << why;
  return m.str();
}
}  // namespace

// backend: "gloo" or "nccl". Rank 0 hosts the store unless host_store is 0 (torchrun's agent already serves one
// at MASTER_ADDR:MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE); everyone waits up to timeout_ms for the others to
// join, and each collective later fails after timeout_ms without progress.
DD_API void* dd_dist_init(const char* backend, const char* master_addr, int64_t master_port, int64_t rank,
                          int64_t world_size, int64_t timeout_ms, int host_store) {
  DD_TRY
  std::string be(backend ? backend : ""), addr(master_addr ? master_addr : "");
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw std::invalid_argument("rank " + std::to_string(rank) + " is outside a world of size " + std::to_string(world_size));
  if (master_port < 1 || master_port > 65535) throw std::invalid_argument("MASTER_PORT " + std::to_string(master_port) + " is not a TCP port");
  if (addr.empty()) throw std::invalid_argument("MASTER_ADDR is empty");
  if (timeout_ms <= 0) throw std::invalid_argument("timeout must be positive");
  if (be != "gloo" && be != "nccl") throw std::invalid_argument("unknown distributed backend '" + be + "' (expected gloo or nccl)");
  if (be == "gloo" && !DD_HAS_GLOO)
    throw std::invalid_argument("this native layer was built without Gloo headers (install libgloo-dev and rebuild): no gloo backend");
  if (be == "nccl" && !DD_HAS_NCCL)
    throw std::invalid_argument("this native layer was built without NCCL (a CPU libtorch, or nccl.h not found): use backend gloo");
  ms timeout(timeout_ms);
  c10d::TCPStoreOptions so;
  so.port = (std::uint16_t)master_port;
  so.isServer = rank == 0 && host_store;
  so.numWorkers = (std::size_t)world_size;
  so.waitWorkers = true;
  so.timeout = timeout;
  std::unique_ptr<Group> g;
  c10::intrusive_ptr<c10d::Store> store;
  // Both the store (rank 0 waits for every worker) and the group (Gloo connects every pair through the store)
  // wait for all ranks: either failing means the ranks did not all arrive.
  try {
  store = make_tcp_store(addr, so);
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("dd/pg", store);
  if (be == "gloo") {
#if DD_HAS_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    opts->devices.push_back(gloo_device(addr));
    auto pg = std::make_unique<GroupOf<c10d::ProcessGroupGloo>>();
    pg->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, (int)rank, (int)world_size, opts);
    g = std::move(pg);
#else
    throw std::runtime_error("this native layer was built without Gloo headers (install libgloo-dev and rebuild)");
#endif
  } else if (be == "nccl") {
#if DD_HAS_NCCL
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = timeout;
    auto pg = std::make_unique<GroupOf<c10d::ProcessGroupNCCL>>();
    pg->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, (int)rank, (int)world_size, opts);
    g = std::move(pg);
#else
    throw std::runtime_error("this native layer was built without NCCL (a CPU libtorch, or nccl.h not found): use backend gloo");
#endif
  } else {
    throw std::invalid_argument("unknown distributed backend '" + be + "' (expected gloo or nccl)");
  }
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const c10::Error& e) {
    throw std::runtime_error(rendezvous_failed(rank, world_size, addr, master_port, timeout_ms, e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw std::runtime_error(rendezvous_failed(rank, world_size, addr, master_port, timeout_ms, e.what()));
  }
  g->rank = (int)rank;
  g->size = (int)world_size;
  g->backend = be;
  g->master = addr + ":" + std::to_string(master_port);
  g->timeout = timeout;
  g->store = store;
  g->hosts_store = host_store != 0;
  return g.release();
  DD_CATCH(nullptr)
}

DD_API void dd_dist_free(void* pg) { delete static_cast<Group*>(pg); }

DD_API int dd_dist_rank(void* pg) { DD_TRY return group(pg).rank; DD_CATCH(-1) }
DD_API int dd_dist_world_size(void* pg) { DD_TRY return group(pg).size; DD_CATCH(-1) }

// Every rank's tensors take the values of rank root's (packed into buckets, so one message per bucket).
DD_API int dd_dist_broadcast(void* pg, TH* ts, int n, int64_t root, int64_t bucket_bytes) {
  DD_TRY
  auto& g = group(pg);
  if (root < 0 || root >= g.size) throw std::invalid_argument("broadcast root " + std::to_string(root) + " is not a rank");
  at::NoGradGuard no_grad;
  auto bs = buckets(dd::list(ts, n), bucket_bytes);
  for (auto& b : bs) {
    std::vector<at::Tensor> one{b.flat};
    run(g, "broadcast", [&] { return g.broadcast(one, root); });
    unpack(b);
  }
  return 0;
  DD_CATCH(-1)
}

// op: 0 sum, 1 average (sum / world size), 2 max, 3 min; in place on every rank.
DD_API int dd_dist_all_reduce(void* pg, TH* ts, int n, int op, int64_t bucket_bytes) {
  DD_TRY
  auto& g = group(pg);
  c10d::ReduceOp rop = op == 2 ? c10d::ReduceOp::MAX : op == 3 ? c10d::ReduceOp::MIN : c10d::ReduceOp::SUM;
  if (op < 0 || op > 3) throw std::invalid_argument("unknown reduce op " + std::to_string(op));
  at::NoGradGuard no_grad;
  auto bs = buckets(dd::list(ts, n), bucket_bytes);
  // Every bucket is started before the first is waited on, so the transfers overlap (DDP does the same).
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  try {
    for (auto& b : bs) {
      std::vector<at::Tensor> one{b.flat};
      works.push_back(g.all_reduce(one, rop));
    }
  } catch (...) {
    for (auto& w : works) try { w->wait(g.timeout); } catch (...) {}
    throw;
  }
  for (size_t i = 0; i < bs.size(); i++) {
    run(g, "all_reduce", [&] { return works[i]; });
    if (op == 1) bs[i].flat.div_(g.size);
    unpack(bs[i]);
  }
  return 0;
  DD_CATCH(-1)
}

// The gradients of the parameters that have one, averaged over the ranks in buckets; parameters without a gradient
// (unused or frozen, the same on every rank) are skipped, as the optimizers skip them.
DD_API int dd_dist_average_grads(void* pg, TH* params, int n, int64_t bucket_bytes) {
  DD_TRY
  std::vector<TH> grads;
  std::vector<at::Tensor> keep;
  for (int i = 0; i < n; i++) {
    const auto& gr = params[i]->grad();
    if (gr.defined()) keep.push_back(gr);
  }
  for (auto& k : keep) grads.push_back(&k);
  if (grads.empty()) return 0;
  return dd_dist_all_reduce(pg, grads.data(), (int)grads.size(), 1, bucket_bytes);
  DD_CATCH(-1)
}

// Every rank's tensor, stacked along a new first dimension in rank order (same shape on every rank).
DD_API TH dd_dist_all_gather(void* pg, TH t) {
  DD_TRY
  auto& g = group(pg);
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> in{t->contiguous()};
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < g.size; r++) out[0].push_back(at::empty_like(in[0]));
  run(g, "all_gather", [&] { return g.all_gather(out, in); });
  return dd::wrap(at::stack(out[0]));
  DD_CATCH(nullptr)
}

DD_API int dd_dist_barrier(void* pg) {
  DD_TRY
  auto& g = group(pg);
  run(g, "barrier", [&] { return g.barrier(); });
  return 0;
  DD_CATCH(-1)
}
