// SPDX-License-Identifier: MIT
// A reference implementation of the four cuBLAS entry points lcss loads (native/cuda/cublas.cu),
// with the standard BLAS column-major semantics C = alpha op(A) op(B) + beta C (beta == 0 never
// reads C), on host memory. The emulator build loads it through the same dlopen path
// (LCSS_CUBLAS=1 LCSS_CUBLAS_LIB=.../fake_cublas.so, LCSS_EMU_PROTECT=0), so the mapping of
// row-major strided products onto cuBLAS arguments is tested without a GPU.
//   cc -O2 -shared -fPIC -o build-emu/fake_cublas.so native/cuda/emu/fake_cublas.c
typedef void* Handle;

int cublasCreate_v2(Handle* h) {
  static int dummy;
  *h = &dummy;
  return 0;
}
int cublasSetStream_v2(Handle h, void* s) {
  (void)h;
  (void)s;
  return 0;
}

#define GEMM(NAME, T)                                                                                             \
  int NAME(Handle h, int ta, int tb, int m, int n, int k, const T* alpha, const T* A, int lda, long long sa,        \
           const T* B, int ldb, long long sb, const T* beta, T* C, int ldc, long long sc, int batch) {              \
    (void)h;                                                                                                      \
    if (m < 0 || n < 0 || k < 0 || batch < 0) return 7;                                                           \
    if (lda < (ta ? (k > 1 ? k : 1) : (m > 1 ? m : 1)) || ldb < (tb ? (n > 1 ? n : 1) : (k > 1 ? k : 1)) ||       \
        ldc < (m > 1 ? m : 1))                                                                                    \
      return 7; /* CUBLAS_STATUS_INVALID_VALUE */                                                                 \
    for (int b = 0; b < batch; ++b)                                                                               \
      for (int j = 0; j < n; ++j)                                                                                 \
        for (int i = 0; i < m; ++i) {                                                                             \
          double s = 0;                                                                                           \
          for (int p = 0; p < k; ++p) {                                                                           \
            double a = ta ? A[b * sa + p + (long long)i * lda] : A[b * sa + i + (long long)p * lda];              \
            double bv = tb ? B[b * sb + j + (long long)p * ldb] : B[b * sb + p + (long long)j * ldb];             \
            s += a * bv;                                                                                          \
          }                                                                                                       \
          T* c = C + b * sc + i + (long long)j * ldc;                                                             \
          *c = (T)(*alpha * s + (*beta == 0 ? 0.0 : *beta * (double)*c));                                         \
        }                                                                                                         \
    return 0;                                                                                                     \
  }
GEMM(cublasSgemmStridedBatched, float)
GEMM(cublasDgemmStridedBatched, double)
