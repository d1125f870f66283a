// SPDX-License-Identifier: MIT
// Optional cuBLAS for dense products, loaded at run time with dlopen: the addon never links it, so
// its absence (the usual case: the CUDA runtime is linked statically and cuBLAS ships separately) is
// fine. Opt-in with LCSS_CUBLAS=1 (LCSS_CUBLAS_LIB=/path/to/libcublas.so.N to pick a file); default
// math mode, so float32 stays strict float32 (no TF32) like the tiled kernel. Not validated on a
// GPU yet, hence not the default (see bench/RESULTS.md). The emulator build loads
// native/cuda/emu/fake_cublas.c through the same path to test the argument mapping below.
// Row-major C = A B is column-major C^T = B^T A^T: cuBLAS gets B as its first operand and A as its
// second, each either as stored (unit column stride) or transposed (unit row stride).
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "../contract/shapes.h"
#include "common.cuh"

namespace lcss {
namespace cu {

namespace {

typedef void* Handle;
typedef int Status;  // cublasStatus_t: 0 = success
enum Op : int { OP_N = 0, OP_T = 1 };
typedef Status (*CreateFn)(Handle*);
typedef Status (*SetStreamFn)(Handle, cudaStream_t);
typedef Status (*SgemmFn)(Handle, int, int, int, int, int, const float*, const float*, int, long long, const float*, int,
                          long long, const float*, float*, int, long long, int);
typedef Status (*DgemmFn)(Handle, int, int, int, int, int, const double*, const double*, int, long long, const double*,
                          int, long long, const double*, double*, int, long long, int);

struct Lib {
  bool ok = false;
  CreateFn create = nullptr;
  SetStreamFn set_stream = nullptr;
  SgemmFn sgemm = nullptr;
  DgemmFn dgemm = nullptr;
  Handle handles[64] = {};
  std::mutex mu;
};

Lib& lib() {
  static Lib L;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* want = std::getenv("LCSS_CUBLAS");
    if (!want || std::strcmp(want, "1") != 0) return;
    const char* names[] = {std::getenv("LCSS_CUBLAS_LIB"), "libcublas.so.13", "libcublas.so.12", "libcublas.so"};
    void* h = nullptr;
    for (const char* n : names)
      if (n && (h = dlopen(n, RTLD_NOW | RTLD_LOCAL))) break;
    if (!h) {
      std::fprintf(stderr, "lcss: LCSS_CUBLAS=1 but no libcublas could be loaded (%s); using the built-in GEMM\n", dlerror());
      return;
    }
    L.create = reinterpret_cast<CreateFn>(dlsym(h, "cublasCreate_v2"));
    L.set_stream = reinterpret_cast<SetStreamFn>(dlsym(h, "cublasSetStream_v2"));
    L.sgemm = reinterpret_cast<SgemmFn>(dlsym(h, "cublasSgemmStridedBatched"));
    L.dgemm = reinterpret_cast<DgemmFn>(dlsym(h, "cublasDgemmStridedBatched"));
    L.ok = L.create && L.set_stream && L.sgemm && L.dgemm;
    if (!L.ok) std::fprintf(stderr, "lcss: libcublas lacks the expected symbols; using the built-in GEMM\n");
  });
  return L;
}

// One operand in cuBLAS's column-major terms: the matrix (rows x cols, column-major with ld) that is
// stored, and whether it must be transposed to give the wanted (r x c) operand.
struct Operand {
  int op;
  int64_t ld;
};

// The wanted operand X (r x c) has element (i, j) at p + i * si + j * sj. Column-major as stored
// (si == 1, ld = sj >= r), or the transpose of a stored (c x r) column-major matrix (sj == 1,
// ld = si >= c). Anything else (broadcast strides, overlap) is left to the tiled kernel.
bool operand(int64_t r, int64_t c, int64_t si, int64_t sj, Operand* o) {
  if (si == 1 && (sj >= r || c == 1) && sj >= 1) {
    *o = Operand{OP_N, sj >= r ? sj : r};
    return true;
  }
  if (sj == 1 && (si >= c || r == 1) && si >= 1) {
    *o = Operand{OP_T, si >= c ? si : c};
    return true;
  }
  return false;
}

}  // namespace

bool cublas_gemm(int device, DType t, const GemmArgs& g) {
  if (t != DType::F32 && t != DType::F64) return false;
  // cuBLAS runs here in its default (strict float32) math mode; TF32 requests go to the tensor-core
  // kernel of gemm_tc.cuh, so one setting means one precision whichever library computes
  if (t == DType::F32 && tf32_enabled()) return false;
  Lib& L = lib();
  if (L.ok && (g.M == 0 || g.N == 0 || g.batch == 0)) return true;  // nothing to compute
  if (!L.ok || device < 0 || device >= 64) return false;
  const int64_t lim = int64_t(1) << 31;
  if (g.M >= lim || g.N >= lim || g.K >= lim || g.batch >= lim || g.c_rs < g.N || g.c_rs >= lim) return false;
  // C^T (N x M) = B^T (N x K) * A^T (K x M), column-major
  Operand ob, oa;
  if (!operand(g.N, g.K, g.b_cs, g.b_rs, &ob) || !operand(g.K, g.M, g.a_cs, g.a_rs, &oa)) return false;
  if (ob.ld >= lim || oa.ld >= lim) return false;
  cudaStream_t s = stream(device);
  Handle h;
  {
    std::lock_guard<std::mutex> lk(L.mu);
    if (!L.handles[device] && L.create(&L.handles[device]) != 0) return false;
    h = L.handles[device];
    if (L.set_stream(h, s) != 0) return false;
    Status st;
    if (t == DType::F32) {
      const float al = float(g.alpha), be = float(g.beta);
      st = L.sgemm(h, ob.op, oa.op, int(g.N), int(g.M), int(g.K), &al, static_cast<const float*>(g.B), int(ob.ld), g.b_bs,
                   static_cast<const float*>(g.A), int(oa.ld), g.a_bs, &be, static_cast<float*>(g.C), int(g.c_rs), g.c_bs,
                   int(g.batch));
    } else {
      const double al = g.alpha, be = g.beta;
      st = L.dgemm(h, ob.op, oa.op, int(g.N), int(g.M), int(g.K), &al, static_cast<const double*>(g.B), int(ob.ld),
                   g.b_bs, static_cast<const double*>(g.A), int(oa.ld), g.a_bs, &be, static_cast<double*>(g.C), int(g.c_rs),
                   g.c_bs, int(g.batch));
    }
    LCSS_CHECK(st == 0, "matmul: cuBLAS status %d", st);
  }
  return true;
}

}  // namespace cu
}  // namespace lcss
