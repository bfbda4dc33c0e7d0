#include "kernels/CpuAllocationMeter.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>

#include <atomic>
#include <cstddef>
#include <cstring>
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
  c10::DataPtr allocate(size_t n) const {
    c10::Allocator* inner = inner_.load();
    c10::DataPtr data = inner->allocate(n);
    void* raw = data.get();
    auto* ctx = new Context{std::move(data), static_cast<int64_t>(n)};
    const int64_t now = current_.fetch_add(ctx->bytes) + ctx->bytes;
    int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return {raw, ctx, &CountingCpuAllocator::release, c10::Device(c10::DeviceType::CPU)};
  }

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
  struct Context {
    c10::DataPtr data;  // the inner allocation, freed with its own deleter
    int64_t bytes;
  };
  static void release(void* p) {
    auto* ctx = static_cast<Context*>(p);
    instance().current_.fetch_sub(ctx->bytes);
    delete ctx;
  }

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
