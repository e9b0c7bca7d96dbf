// Virtual time. Every timer in the machine runs on it, and it is derived only from the
// instructions the CPU has retired, so a run is deterministic: the same inputs give the
// same output and the same instruction count, whatever the host is doing.
//
// Rate: like QEMU's -icount SHIFT, one instruction is 2^SHIFT virtual nanoseconds.
#ifndef VMXEMU_DEVICES_CLOCK_H_
#define VMXEMU_DEVICES_CLOCK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace vmxemu::devices {

class VirtualClock {
 public:
  using Callback = std::function<void(uint64_t now_ns)>;
  using TimerId = uint64_t;

  // `retired` is the CPU's count of retired instructions; it must outlive the clock.
  VirtualClock(const uint64_t* retired, int icount_shift)
      : retired_(retired), shift_(icount_shift) {}

  uint64_t NowNs() const { return *retired_ << shift_; }
  int icount_shift() const { return shift_; }

  // Arms a one-shot timer; callbacks may re-arm. Timers with equal deadlines fire in
  // the order they were armed (deterministic).
  TimerId Schedule(uint64_t deadline_ns, Callback callback) {
    TimerId id = next_id_++;
    timers_.emplace(std::make_pair(deadline_ns, id), std::move(callback));
    return id;
  }

  // Cancels a timer; a no-op if it fired or was cancelled already.
  void Cancel(TimerId id) {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }

  // Fires every timer due at `now_ns`; returns the next deadline or UINT64_MAX.
  uint64_t RunDue(uint64_t now_ns) {
    while (!timers_.empty() && timers_.begin()->first.first <= now_ns) {
      auto node = timers_.extract(timers_.begin());
      node.mapped()(now_ns);
    }
    return NextDeadline();
  }

  uint64_t NextDeadline() const {
    return timers_.empty() ? UINT64_MAX : timers_.begin()->first.first;
  }

 private:
  const uint64_t* retired_;
  int shift_;
  TimerId next_id_ = 1;
  std::map<std::pair<uint64_t, TimerId>, Callback> timers_;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_CLOCK_H_
