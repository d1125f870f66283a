// SPDX-License-Identifier: MIT
// Kernel harness: times the shipped CPU kernels (linked from native/, see build.sh) without Node.
// Reports wall time and this process's CPU time, so a kernel can be compared on a machine shared
// with other jobs (CPU time is far less sensitive to load than wall time at 1 thread).
//   build-kbench/kbench gemm M N K [ta tb]      sgemm C = A B (ta/tb: 1 = transposed operand)
//   build-kbench/kbench conv N C H W O [algo]   3x3 pad-1 conv: fwd, bwd-input, bwd-weight (algo: wino|direct)
//   build-kbench/kbench gn N C HW G             GroupNorm fwd / bwd
//   build-kbench/kbench pool                    thread-pool round trip (parallel_for of an empty body)
// LCSS_NUM_THREADS=1 for single-thread kernel efficiency; KBENCH_REPS sets repetitions.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/allocator.h"
#include "core/threadpool.h"
#include "cpu/conv.h"
#include "cpu/cpu_features.h"
#include "cpu/gemm.h"
#include "cpu/kernels.h"
#include "cpu/norm.h"
#include "cpu/elementwise.h"
#include "contract/op_codes.h"

using namespace lcss;

static double cpu_s() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}
static double wall_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Median wall and CPU ms per call over reps, each rep >= 50 ms of calls.
static void timeit(const char* name, double flop, const std::function<void()>& f) {
  // KBENCH_ONLY=substring: time only the cases whose name contains it (for perf record)
  if (const char* only = std::getenv("KBENCH_ONLY"))
    if (!std::strstr(name, only)) return;
  AllocStats a0 = cpu_alloc_stats();
  f();
  a0 = cpu_alloc_stats();
  double t0 = wall_s();
  f();
  double one = wall_s() - t0;
  int inner = std::max(1, int(0.05 / std::max(one, 1e-7)));
  int reps = std::getenv("KBENCH_REPS") ? std::atoi(std::getenv("KBENCH_REPS")) : 7;
  std::vector<double> w, c;
  for (int r = 0; r < reps; ++r) {
    double a = wall_s(), b = cpu_s();
    for (int i = 0; i < inner; ++i) f();
    w.push_back((wall_s() - a) / inner * 1e3);
    c.push_back((cpu_s() - b) / inner * 1e3);
  }
  std::sort(w.begin(), w.end());
  std::sort(c.begin(), c.end());
  double wm = w[w.size() / 2], cm = c[c.size() / 2];
  std::printf("%-28s wall %9.4f ms (min %9.4f)  cpu %9.4f ms", name, wm, w[0], cm);
  if (flop > 0) std::printf("  %7.1f GFLOP/s wall, %7.1f GFLOP/s per cpu-s", flop / wm / 1e6, flop / cm / 1e6);
  AllocStats a1 = cpu_alloc_stats();
  // blocks the caching allocator had to get from the OS after the first call (should be 0)
  std::printf("  os_allocs %llu\n", (unsigned long long)(a1.os_allocs - a0.os_allocs));
}

static std::vector<float> randv(size_t n, unsigned seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = float(seed >> 8) / float(1 << 24) - 0.5f;
  }
  return v;
}

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "help";
  auto arg = [&](int i, long d) { return argc > i ? std::atol(argv[i]) : d; };
  std::printf("# isa %s, %d threads\n", kernels().isa, num_threads());
  if (cmd == "gemm") {
    int64_t M = arg(2, 1024), N = arg(3, M), K = arg(4, M);
    bool ta = arg(5, 0), tb = arg(6, 0);
    auto A = randv(M * K, 1), B = randv(K * N, 2);
    std::vector<float> C(M * N);
    GemmArgs g{1, M, N, K, A.data(), 0, ta ? 1 : K, ta ? M : 1, B.data(), 0, tb ? 1 : N, tb ? K : 1, C.data(), 0, N, 1.0, 0.0};
    char name[96];
    std::snprintf(name, sizeof name, "sgemm %lldx%lldx%lld%s%s", (long long)M, (long long)N, (long long)K, ta ? " At" : "", tb ? " Bt" : "");
    timeit(name, 2.0 * M * N * K, [&] { gemm(DType::F32, g); });
  } else if (cmd == "conv") {
    int64_t N = arg(2, 16), C = arg(3, 64), H = arg(4, 32), W = arg(5, H), O = arg(6, 64);
    std::string algo = argc > 7 ? argv[7] : "wino";
    conv_set_winograd(algo == "wino");
    ConvShape s{N, C, H, W, O, 3, 3, H, W, 1, 1, 1, 1, 1, 1, 1};
    auto x = randv(N * C * H * W, 1), w = randv(O * C * 9, 2), gy = randv(N * O * H * W, 3);
    std::vector<float> y(N * O * H * W), gx(x.size()), gw(w.size());
    double flop = 2.0 * N * O * H * W * C * 9;
    timeit(("conv fwd " + algo).c_str(), flop, [&] { conv2d_forward(DType::F32, s, x.data(), w.data(), nullptr, y.data()); });
    timeit(("conv bwd-input " + algo).c_str(), flop, [&] { conv2d_backward_input(DType::F32, s, gy.data(), w.data(), gx.data()); });
    timeit(("conv bwd-weight " + algo).c_str(), flop, [&] { conv2d_backward_weight(DType::F32, s, x.data(), gy.data(), gw.data()); });
  } else if (cmd == "gn") {
    int64_t N = arg(2, 16), C = arg(3, 128), HW = arg(4, 256), G = arg(5, 32);
    auto x = randv(N * C * HW, 1), gy = randv(N * C * HW, 2), ga = randv(C, 3), be = randv(C, 4);
    std::vector<float> y(x.size()), gx(x.size()), mu(N * G), rs(N * G), gga(C), gbe(C);
    timeit("groupnorm fwd", 0, [&] { groupnorm_forward(DType::F32, N, C, HW, G, 1e-5, false, x.data(), ga.data(), be.data(), y.data(), mu.data(), rs.data()); });
    timeit("groupnorm bwd", 0, [&] { groupnorm_backward(DType::F32, N, C, HW, G, false, gy.data(), x.data(), mu.data(), rs.data(), ga.data(), be.data(), gx.data(), gga.data(), gbe.data()); });
    timeit("groupnorm+silu fwd", 0, [&] { groupnorm_forward(DType::F32, N, C, HW, G, 1e-5, true, x.data(), ga.data(), be.data(), y.data(), mu.data(), rs.data()); });
    timeit("groupnorm+silu bwd", 0, [&] { groupnorm_backward(DType::F32, N, C, HW, G, true, gy.data(), x.data(), mu.data(), rs.data(), ga.data(), be.data(), gx.data(), gga.data(), gbe.data()); });
  } else if (cmd == "nt") {  // the unpacked A B^T kernel of the Winograd weight gradient (per ISA table)
    int64_t M = arg(2, 64), N = arg(3, 64), K = arg(4, 512);
    auto A0 = randv(M * K, 1), B0 = randv(N * K, 2);
    float* A = static_cast<float*>(cpu_alloc(A0.size() * 4));  // 64-byte aligned, as in the kernels
    float* B = static_cast<float*>(cpu_alloc(B0.size() * 4));
    std::memcpy(A, A0.data(), A0.size() * 4);
    std::memcpy(B, B0.data(), B0.size() * 4);
    std::vector<double> P(M * N);
    timeit("gemm_nt", 2.0 * M * N * K, [&] { kernels().nn->conv.gemm_nt_f32(M, N, K, A, K, B, K, P.data(), N, true); });
  } else if (cmd == "ew") {  // contiguous elementwise kernels, n elements
    int64_t n = arg(2, 1 << 20);
    auto x = randv(n, 1);
    std::vector<float> y(n);
    View vx, vy;
    vx.data = x.data(); vy.data = y.data();
    vx.ndim = vy.ndim = 1;
    vx.shape[0] = vy.shape[0] = n;
    vx.strides[0] = vy.strides[0] = 1;
    const char* names[] = {"neg", "exp", "silu", "tanh", "sigmoid"};
    const int ops[] = {U_NEG, U_EXP, U_SILU, U_TANH, U_SIGMOID};
    for (int i = 0; i < 5; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "unary %s n=%lld", names[i], (long long)n);
      timeit(name, double(n), [&] { elementwise().unary(ops[i], vy, vx, 0, 0); });
    }
    timeit("binary add", double(n), [&] { elementwise().binary(B_ADD, vy, vx, vx, 0, 0); });
    timeit("binary silu_bwd", double(n), [&] { elementwise().binary(B_SILU_BWD, vy, vx, vx, 0, 0); });
  } else if (cmd == "pool") {
    // Thread-pool costs: a 2-chunk job of ~2 us per chunk back to back (workers spinning), and the
    // same job after the workers went to sleep (wake-up latency), against running it serially.
    auto busy = [](int64_t us) {
      volatile double x = 0;
      for (int64_t i = 0; i < us * 300; ++i) x = x + 1e-9;
    };
    timeit("serial 2 x 2us", 0, [&] { busy(2); busy(2); });
    timeit("parallel_for 2 x 2us (hot)", 0, [&] { parallel_for(2, 1, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) busy(2); }); });
    std::vector<double> lat;
    for (int r = 0; r < 50; ++r) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // workers stop spinning and sleep
      double t0 = wall_s();
      parallel_for(2, 1, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) busy(2); });
      lat.push_back((wall_s() - t0) * 1e6);
    }
    std::sort(lat.begin(), lat.end());
    std::printf("parallel_for 2 x 2us after 5 ms idle: median %.1f us, p90 %.1f us\n", lat[lat.size() / 2], lat[lat.size() * 9 / 10]);
  } else {
    std::printf("usage: kbench gemm M N K [ta tb] | conv N C H W O [wino|direct] | gn N C HW G | pool\n");
    return 1;
  }
  return 0;
}
