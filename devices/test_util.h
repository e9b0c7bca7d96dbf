// Test doubles for device tests: a clock driven like a CPU that runs timers exactly at
// their deadlines, and an IRQ line that records its level and edges.
#ifndef VMXEMU_DEVICES_TEST_UTIL_H_
#define VMXEMU_DEVICES_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "devices/clock.h"
#include "devices/device.h"

namespace vmxemu::devices {

// One instruction is one virtual ns (icount shift 0).
class TestClock {
 public:
  TestClock() : clock_(&retired_, 0) {}
  VirtualClock* clock() { return &clock_; }
  uint64_t now() const { return clock_.NowNs(); }

  // Moves time to `ns`, firing each timer with the clock standing at its deadline.
  void AdvanceTo(uint64_t ns) {
    while (clock_.NextDeadline() <= ns) {
      retired_ = std::max(retired_, clock_.NextDeadline());
      clock_.RunDue(retired_);
    }
    retired_ = std::max(retired_, ns);
  }
  void AdvanceBy(uint64_t ns) { AdvanceTo(retired_ + ns); }

 private:
  uint64_t retired_ = 0;
  VirtualClock clock_;
};

class FakeIrqLine final : public IrqLine {
 public:
  explicit FakeIrqLine(const VirtualClock* clock = nullptr) : clock_(clock) {}
  void Set(bool level) override {
    if (level && !level_) rising_edges_.push_back(clock_ ? clock_->NowNs() : 0);
    level_ = level;
  }
  bool level() const { return level_; }
  // The virtual time of each rising edge (0 when no clock was given).
  const std::vector<uint64_t>& rising_edges() const { return rising_edges_; }

 private:
  const VirtualClock* clock_;
  bool level_ = false;
  std::vector<uint64_t> rising_edges_;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_TEST_UTIL_H_
