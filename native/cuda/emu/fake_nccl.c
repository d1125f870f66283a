// SPDX-License-Identifier: MIT
// A stand-in for libnccl for tests on the CUDA emulator (whose device memory is host memory): the
// entry points native/cuda/nccl.cu loads, with NCCL's semantics, carried out by MPI in the calling
// thread (the addon's communication thread, the only one that calls MPI). It checks what the addon
// must get right: the unique id made by rank 0 reaches every rank, types and the mean map to NCCL's
// values, the buffers and counts. At exit it says how many collectives it ran, so a test can tell
// this path from the host staging one. Build: mpicc -O2 -shared -fPIC -o fake_nccl.so fake_nccl.c
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char internal[128];
} ncclUniqueId;

static struct {
  int rank, size, collectives;
} comm = {-1, 0, 0};

static void report(void) {
  if (comm.rank >= 0) fprintf(stderr, "fake nccl: rank %d ran %d collectives\n", comm.rank, comm.collectives);
}

int ncclGetUniqueId(ncclUniqueId* u) {
  memset(u, 0, sizeof *u);
  strcpy(u->internal, "fake-nccl-id");
  return 0;
}

int ncclCommInitRank(void** c, int n, ncclUniqueId id, int rank) {
  if (strcmp(id.internal, "fake-nccl-id") != 0) return 4;  // ncclInvalidArgument: the id never arrived
  comm.rank = rank;
  comm.size = n;
  *c = &comm;
  atexit(report);
  return 0;
}

static MPI_Datatype type_of(int t, size_t* size) {
  switch (t) {
    case 2: *size = 4; return MPI_INT;
    case 7: *size = 4; return MPI_FLOAT;
    case 8: *size = 8; return MPI_DOUBLE;
    default: *size = 1; return MPI_BYTE;
  }
}

int ncclAllReduce(const void* send, void* recv, size_t count, int type, int op, void* c, void* stream) {
  (void)stream;
  if (c != &comm || (op != 0 && op != 4)) return 4;
  size_t esz;
  MPI_Datatype t = type_of(type, &esz);
  if (send != recv) memcpy(recv, send, count * esz);
  if (MPI_Allreduce(MPI_IN_PLACE, recv, (int)count, t, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) return 2;
  if (op == 4) {  // ncclAvg
    if (type == 7)
      for (size_t i = 0; i < count; ++i) ((float*)recv)[i] = (float)(((float*)recv)[i] / (double)comm.size);
    else if (type == 8)
      for (size_t i = 0; i < count; ++i) ((double*)recv)[i] /= comm.size;
    else
      return 4;
  }
  comm.collectives++;
  return 0;
}

int ncclBroadcast(const void* send, void* recv, size_t count, int type, int root, void* c, void* stream) {
  (void)stream;
  if (c != &comm) return 4;
  size_t esz;
  MPI_Datatype t = type_of(type, &esz);
  if (send != recv && comm.rank == root) memcpy(recv, send, count * esz);
  if (MPI_Bcast(recv, (int)count, t, root, MPI_COMM_WORLD) != MPI_SUCCESS) return 2;
  comm.collectives++;
  return 0;
}

int ncclCommAbort(void* c) {
  (void)c;
  return 0;
}

int ncclCommGetAsyncError(void* c, int* e) {
  (void)c;
  *e = 0;
  return 0;
}

const char* ncclGetErrorString(int r) { return r == 4 ? "invalid argument" : "internal error"; }
