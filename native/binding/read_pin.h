// SPDX-License-Identifier: MIT
// What a buffer shares with the readAsync copies of it that are in flight on the libuv threadpool.
//
// The JS thread and the copying threads meet here and nowhere else: a copy owns a reference to its
// pin (never to the BufferRec, whose slot the table may reuse, nor to the Context, which the
// environment may delete), so it can always finish, signal and, if the table let go of the memory
// meanwhile, free that memory itself.
//  - begin() (JS thread) counts a copy before it is queued; end() (copying thread) uncounts it once
//    the copy is done or failed, and wakes wait().
//  - wait() (JS thread, BufferTable::get) blocks until no copy is in flight: an op that resolves the
//    handle is about to read or write the memory, and a write would race with the copy. Copies never
//    wait on the JS thread, so this cannot deadlock; it lasts as long as the copy (plus any time the
//    copy spends queued behind other threadpool work).
//  - hand_off() (JS thread: free, or the table's destructor at environment teardown) gives the memory
//    to the copies in flight: the last one to end frees it. Returns false when none is in flight
//    (the caller frees at once).
#pragma once
#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "../core/allocator.h"
#include "../cuda/cuda_api.h"

namespace lcss {

struct ReadPin {
  void begin() {
    std::lock_guard<std::mutex> lk(m_);
    ++reads_;
  }

  void end() {
    void* orphan = nullptr;
    {
      std::lock_guard<std::mutex> lk(m_);
      if (--reads_ == 0) {
        orphan = orphan_;
        orphan_ = nullptr;
      }
    }
    cv_.notify_all();
    // both allocators are process-wide and thread-safe, so the copying thread may give it back
    if (orphan) {
      if (cuda_) cuda_free(device_index_, orphan, nbytes_);  // never throws
      else cpu_free(orphan, nbytes_);
    }
  }

  void wait() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [&] { return reads_ == 0; });
  }

  bool hand_off(void* data, size_t nbytes, bool cuda, int device_index) {
    std::lock_guard<std::mutex> lk(m_);
    if (reads_ == 0) return false;
    orphan_ = data;
    nbytes_ = nbytes;
    cuda_ = cuda;
    device_index_ = device_index;
    return true;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int reads_ = 0;  // copies in flight (guarded by m_, like everything below)
  void* orphan_ = nullptr;
  size_t nbytes_ = 0;
  bool cuda_ = false;
  int device_index_ = 0;
};

}  // namespace lcss
