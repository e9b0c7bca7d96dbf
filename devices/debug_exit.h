// QEMU's isa-debug-exit device (hw/misc/debugexit.c), as configured by the tests'
// `-device isa-debug-exit,iobase=0xf4,iosize=0x04`: a write of value v to any of its
// ports asks the machine to exit with status (v << 1) | 1, so a guest can report a
// result that cannot be confused with QEMU's own exit codes 0 and 1 (odd, >= 1).
#ifndef VMXEMU_DEVICES_DEBUG_EXIT_H_
#define VMXEMU_DEVICES_DEBUG_EXIT_H_

#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

#include "devices/device.h"

namespace vmxemu::devices {

class DebugExit final : public PortDevice {
 public:
  static constexpr uint16_t kBase = 0xF4;
  static constexpr uint16_t kPortCount = 4;

  // Called with (v << 1) | 1, computed in 64 bits so no value written is lost. A process
  // that exits with it keeps the low 8 bits, as QEMU's exit() does.
  using ExitRequest = std::function<void(uint64_t status)>;

  explicit DebugExit(ExitRequest on_exit) : on_exit_(std::move(on_exit)) {}

  std::string_view name() const override { return "isa-debug-exit"; }
  // Write-only: reads return all ones.
  uint32_t In(uint16_t port, int size) override;
  // The value is the `size` bytes written; which of the four ports is ignored, as in
  // QEMU.
  void Out(uint16_t port, int size, uint32_t value) override;

 private:
  ExitRequest on_exit_;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_DEBUG_EXIT_H_
