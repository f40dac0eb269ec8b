// CUDA-only paths: graph capture and replay (at::cuda::CUDAGraph), side streams for the warm-up before a capture,
// and page-locked (pinned) host memory for asynchronous host->device copies.
//
// Everything here compiles against every libtorch the project builds on. The graph code needs ATen's CUDA headers
// and the CUDA runtime's: CMake defines DD_WITH_CUDA when find_package(Torch) found a CUDA libtorch, and the
// __has_include checks keep a CPU build (Debian's libtorch-dev ships ATen/cuda/*.h but not cuda_runtime_api.h)
// compiling. Without them every graph export fails with one clear message instead of a missing symbol at load time,
// so the C# side has one code path that asks and falls back to eager sampling.
// tools/cuda_compile_check.sh compiles this file with DD_WITH_CUDA against Debian 13's libtorch-cuda-dev headers.
#include "common.h"

#include <torch/cuda.h>

#include <cstring>

#if defined(DD_WITH_CUDA) && __has_include(<ATen/cuda/CUDAGraph.h>) && __has_include(<cuda_runtime_api.h>)
#define DD_CUDA_GRAPHS 1
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#else
#define DD_CUDA_GRAPHS 0
#endif
// Set by tools/libtorch26.sh cuda-check: the check must fail if the graph code was silently left out.
#if defined(DD_EXPECT_CUDA_GRAPHS) && !DD_CUDA_GRAPHS
#error "DD_EXPECT_CUDA_GRAPHS: the CUDA headers were not found, so the CUDA-graph code was not compiled"
#endif

namespace {
const char* kNoGraphs =
    "CUDA graphs need a native layer built against a CUDA libtorch (this one was built without CUDA headers)";

[[noreturn]] void no_graphs() { throw std::runtime_error(kNoGraphs); }

#if DD_CUDA_GRAPHS
// One captured region: the graph, the side stream it is captured on, and the guard that keeps that stream current
// between enter_side_stream and exit_side_stream (the C# caller runs its warm-up and the capture in between).
struct Graph {
  c10::DeviceIndex device;
  c10::cuda::CUDAStream origin;
  c10::cuda::CUDAStream side;
  c10::optional<c10::cuda::CUDAStreamGuard> on_side;
  at::cuda::CUDAGraph graph;
  bool captured = false;
  bool capturing = false;

  explicit Graph(c10::DeviceIndex d)
      : device(d), origin(c10::cuda::getCurrentCUDAStream(d)), side(c10::cuda::getStreamFromPool(false, d)) {}
};

// `later` waits for the work queued on `earlier` so far (torch.cuda.Stream.wait_stream): no host sync.
void wait_stream(const c10::cuda::CUDAStream& later, const c10::cuda::CUDAStream& earlier) {
  at::cuda::CUDAEvent ev;
  ev.record(earlier);
  ev.block(later);
}
Graph* graph_of(void* h) {
  if (!h) throw std::invalid_argument("null CUDA graph handle");
  return static_cast<Graph*>(h);
}
#else
struct Graph {};
#endif
}  // namespace

typedef void* CGH;

// 1 when this native layer can capture CUDA graphs (built with CUDA and a GPU is visible), else 0.
DD_API int dd_cuda_graphs_supported() {
  DD_TRY
#if DD_CUDA_GRAPHS
  return torch::cuda::is_available() ? 1 : 0;
#else
  return 0;
#endif
  DD_CATCH(0)
}

// A new, empty graph for device `device_index` (-1: the current device) with its own side stream.
DD_API CGH dd_cuda_graph_new(int device_index) {
  DD_TRY
#if DD_CUDA_GRAPHS
  if (!torch::cuda::is_available()) throw std::runtime_error("CUDA graphs need a CUDA device: libtorch sees none");
  auto d = device_index < 0 ? c10::cuda::current_device() : (c10::DeviceIndex)device_index;
  return new Graph(d);
#else
  no_graphs();
#endif
  DD_CATCH(nullptr)
}

DD_API void dd_cuda_graph_free(CGH h) {
  if (!h) return;
  // A graph freed mid-capture (an exception in the captured code) ends the capture, and its stream guard's destructor
  // makes the original stream current again.
#if DD_CUDA_GRAPHS
  auto g = static_cast<Graph*>(h);
  if (g->capturing) {
    try {
      g->graph.capture_end();
    } catch (...) {
    }
  }
  delete g;
#else
  delete static_cast<Graph*>(h);
#endif
}

// Makes the graph's side stream current on this thread, after the work already queued on the original stream:
// warm-up iterations and the capture itself run there (capture is refused on the legacy default stream, and the
// warm-up keeps one-off lazy initialisation such as cuBLAS handles and autotuning out of the graph).
DD_API int dd_cuda_graph_enter_side_stream(CGH h) {
  DD_TRY
#if DD_CUDA_GRAPHS
  auto g = graph_of(h);
  if (g->on_side) throw std::logic_error("the graph's side stream is already current");
  g->origin = c10::cuda::getCurrentCUDAStream(g->device);
  wait_stream(g->side, g->origin);
  g->on_side.emplace(g->side);
  return 0;
#else
  no_graphs();
#endif
  DD_CATCH(-1)
}

// Back to the original stream, which waits for the side stream's work (the warm-up's outputs, a replay's results).
DD_API int dd_cuda_graph_exit_side_stream(CGH h) {
  DD_TRY
#if DD_CUDA_GRAPHS
  auto g = graph_of(h);
  if (!g->on_side) throw std::logic_error("the graph's side stream is not current");
  if (g->capturing) throw std::logic_error("end the capture before leaving the side stream");
  g->on_side.reset();
  wait_stream(g->origin, g->side);
  return 0;
#else
  no_graphs();
#endif
  DD_CATCH(-1)
}

// Starts recording every kernel queued on the side stream (which must be current) into the graph; tensors allocated
// until capture_end come from the graph's private memory pool and stay valid for every replay.
DD_API int dd_cuda_graph_capture_begin(CGH h) {
  DD_TRY
#if DD_CUDA_GRAPHS
  auto g = graph_of(h);
  if (!g->on_side) throw std::logic_error("enter the graph's side stream before capturing");
  if (g->captured || g->capturing) throw std::logic_error("a graph is captured once");
  g->graph.capture_begin();
  g->capturing = true;
  return 0;
#else
  no_graphs();
#endif
  DD_CATCH(-1)
}

DD_API int dd_cuda_graph_capture_end(CGH h) {
  DD_TRY
#if DD_CUDA_GRAPHS
  auto g = graph_of(h);
  if (!g->capturing) throw std::logic_error("capture_end without capture_begin");
  g->capturing = false;
  g->graph.capture_end();
  g->captured = true;
  return 0;
#else
  no_graphs();
#endif
  DD_CATCH(-1)
}

// Launches the recorded kernels again on the current stream: they read the static inputs' current contents and write
// the static outputs in place. No host sync.
DD_API int dd_cuda_graph_replay(CGH h) {
  DD_TRY
#if DD_CUDA_GRAPHS
  auto g = graph_of(h);
  if (!g->captured) throw std::logic_error("replay of a graph that was not captured");
  g->graph.replay();
  return 0;
#else
  no_graphs();
#endif
  DD_CATCH(-1)
}

// ---- pinned host memory ----

// A page-locked copy of a CPU tensor, so a later .to(cuda, non_blocking) is a true asynchronous DMA copy. Pinning
// needs the CUDA driver: refused with a plain message where libtorch sees no GPU (libtorch's own error names
// dispatcher internals).
DD_API TH dd_pin_memory(TH a) {
  DD_TRY
  if (!a->device().is_cpu()) throw std::invalid_argument("only CPU tensors can be pinned, got a " + a->device().str() + " tensor");
  if (!torch::cuda::is_available())
    throw std::runtime_error("pinned (page-locked) memory needs a CUDA device, and libtorch sees none");
  return dd::wrap(a->pin_memory());
  DD_CATCH(nullptr)
}

// 1 when the tensor's memory is page-locked. A CPU-only libtorch has no pinned memory at all: 0 without asking it.
DD_API int dd_is_pinned(TH a) {
  DD_TRY
  if (!a->device().is_cpu() || !torch::cuda::is_available()) return 0;
  return a->is_pinned() ? 1 : 0;
  DD_CATCH(-1)
}

// Copies `nbytes` of host memory into a pinned staging tensor and queues a non-blocking copy of it to the CUDA device
// (DataLoader(pin_memory=True) then .to(device, non_blocking=True)): the caller's thread returns at once and the copy
// overlaps the GPU work already queued. Freeing the staging tensor right away is safe: for a non-blocking copy from
// pinned memory libtorch records an event on the stream, and the host allocator reuses the block only after it.
DD_API TH dd_from_buffer_pinned(const void* data, int64_t nbytes, const int64_t* shape, int nd, int dtype, int dev, int idx) {
  DD_TRY
  if ((at::DeviceType)dev != at::kCUDA)
    throw std::invalid_argument("pinned staging copies go to a CUDA device, not " + c10::DeviceTypeName((at::DeviceType)dev, true));
  if (!torch::cuda::is_available())
    throw std::runtime_error("pinned (page-locked) memory needs a CUDA device, and libtorch sees none");
  auto target = dd::options(dtype, dev, idx);
  auto staging = at::empty(dd::ints(shape, nd), target.device(at::kCPU).pinned_memory(true));
  if ((int64_t)staging.nbytes() != nbytes)
    throw std::runtime_error("buffer holds " + std::to_string(nbytes) + " bytes but the shape and dtype need " +
                             std::to_string(staging.nbytes()));
  if (nbytes) std::memcpy(staging.data_ptr(), data, (size_t)nbytes);
  return dd::wrap(staging.to(target.device(), /*non_blocking=*/true));
  DD_CATCH(nullptr)
}
