// SPDX-License-Identifier: MIT
// The peer of our all-reduce path: Open MPI's own MPI_Allreduce (sum, then divide, as our mean
// does) on float32 buffers of the same sizes, timed the same way (median of repetitions after
// warm-up). mpirun -np 2 ./allreduce_peer [reps]; rank 0 prints one JSON line per size.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int reps = argc > 1 ? atoi(argv[1]) : 20;
  const double mbs[] = {0.25, 1, 4, 25, 100};
  for (int s = 0; s < 5; ++s) {
    const long n = (long)(mbs[s] * (1 << 20) / 4);
    float* buf = malloc(n * sizeof(float));
    for (long i = 0; i < n; ++i) buf[i] = 1.0f;
    const int r = mbs[s] >= 25 ? 10 : reps;
    double* t = malloc(r * sizeof(double));
    for (int i = -3; i < r; ++i) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      for (long k = 0; k < n; ++k) buf[k] /= size;
      if (i >= 0) t[i] = (MPI_Wtime() - t0) * 1e3;
    }
    qsort(t, r, sizeof(double), cmp);
    const double ms = t[r / 2];
    if (rank == 0)
      printf("{\"ranks\":%d,\"part\":\"allreduce-mpi\",\"bytes\":%ld,\"ms\":%.4f,\"busGBs\":%.3f}\n", size, n * 4, ms,
             2.0 * (size - 1) / size * n * 4 / (ms * 1e-3) / 1e9);
    free(t);
    free(buf);
  }
  MPI_Finalize();
  return 0;
}
