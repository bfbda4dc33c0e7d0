#include "kernels/CpuAllocationMeter.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace tb {
namespace {

// Lives for the whole process: tensors allocated through it may outlive any meter.
class CountingCpuAllocator final : public c10::Allocator {
 public:
  // LibTorch 2.3 made allocate() non-const and added copy_data(); both spellings are declared
  // without `override`, so whichever the LibTorch's c10::Allocator declares is the override.
  c10::DataPtr allocate(size_t n) { return std::as_const(*this).allocate(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }
  // The returned pointer is its own context (raw_allocate, used by some LibTorch kernels for
  // scratch buffers, requires that); the inner allocation is kept in a table until release.
  c10::DataPtr allocate(size_t n) const {
    c10::Allocator* inner = inner_.load();
    c10::DataPtr data = inner->allocate(n);
    void* raw = data.get();
    if (!raw) return data;  // an empty allocation: nothing to count
    {
      std::lock_guard<std::mutex> lock(mutex_);
      live_.emplace(raw, Entry{std::move(data), static_cast<int64_t>(n)});
    }
    const int64_t now = current_.fetch_add(static_cast<int64_t>(n)) + static_cast<int64_t>(n);
    int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return {raw, raw, &CountingCpuAllocator::release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &CountingCpuAllocator::release; }

  void start(c10::Allocator* inner) {
    inner_.store(inner);
    peak_.store(current_.load());
  }
  int64_t current() const { return current_.load(); }
  int64_t peak() const { return peak_.load(); }

  static CountingCpuAllocator& instance() {
    static auto* allocator = new CountingCpuAllocator;  // never destroyed (see above)
    return *allocator;
  }

 private:
  struct Entry {
    c10::DataPtr data;  // the inner allocation, freed with its own deleter
    int64_t bytes = 0;
  };
  static void release(void* raw) {
    auto& self = instance();
    Entry entry;
    {
      std::lock_guard<std::mutex> lock(self.mutex_);
      auto it = self.live_.find(raw);
      if (it == self.live_.end()) return;
      entry = std::move(it->second);
      self.live_.erase(it);
    }
    self.current_.fetch_sub(entry.bytes);
  }  // entry.data frees the inner allocation here, outside the lock

  mutable std::mutex mutex_;
  mutable std::unordered_map<void*, Entry> live_;
  mutable std::atomic<c10::Allocator*> inner_{nullptr};
  mutable std::atomic<int64_t> current_{0};
  mutable std::atomic<int64_t> peak_{0};
};

}  // namespace

CpuAllocationMeter::CpuAllocationMeter() {
  auto& counting = CountingCpuAllocator::instance();
  c10::Allocator* previous = c10::GetCPUAllocator();
  TORCH_CHECK(previous != &counting, "CpuAllocationMeter: meters do not nest");
  counting.start(previous);
  c10::SetCPUAllocator(&counting, /*priority=*/0);
  active_ = c10::GetCPUAllocator() == &counting;  // a higher-priority allocator refuses us
  previous_ = previous;
  baseline_ = counting.current();
}

CpuAllocationMeter::~CpuAllocationMeter() {
  if (active_) c10::SetCPUAllocator(static_cast<c10::Allocator*>(previous_), /*priority=*/0);
}

int64_t CpuAllocationMeter::currentBytes() const {
  return CountingCpuAllocator::instance().current() - baseline_;
}

int64_t CpuAllocationMeter::peakBytes() const {
  return CountingCpuAllocator::instance().peak() - baseline_;
}

}  // namespace tb
