// The PC's 64 KiB I/O port space and the physical MMIO windows outside RAM. Devices
// claim ranges; the bus dispatches accesses to them. An access wider than a byte goes
// to the device owning its first port (or first byte of MMIO); the device decides what
// the other bytes mean. Unclaimed ports and addresses read all ones and drop writes,
// as on a PC where nothing drives the data bus, and each one is reported once.
#ifndef VMXEMU_DEVICES_BUS_H_
#define VMXEMU_DEVICES_BUS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string_view>

#include "absl/status/status.h"
#include "devices/device.h"

namespace vmxemu::devices {

// Port 0x80, where BIOSes and kernels write POST codes (Linux also uses it as an I/O
// delay). Writes are ignored; reads return all ones, as QEMU's ioport80 does.
class PostCodePort final : public PortDevice {
 public:
  static constexpr uint16_t kPort = 0x80;
  std::string_view name() const override { return "post-code"; }
  uint32_t In(uint16_t, int size) override {
    return static_cast<uint32_t>(AllOnes(size));
  }
  void Out(uint16_t, int, uint32_t) override {}
};

class IoBus {
 public:
  // The bus claims port 0x80 for its own PostCodePort.
  explicit IoBus(WarningSink warn = WarnToStderr);
  IoBus(const IoBus&) = delete;
  IoBus& operator=(const IoBus&) = delete;

  // Claims ports [first, first + count) for `device`, which must outlive the bus. A
  // device may claim several ranges. Fails on an empty range, a range past 0xFFFF, or an
  // overlap with a claimed range (the message names both devices).
  absl::Status AddPorts(uint16_t first, uint32_t count, PortDevice* device);
  // Claims physical [base, base + size) for `device`; offsets passed to it are from base.
  absl::Status AddMmio(uint64_t base, uint64_t size, MmioDevice* device);

  // `size` is 1, 2 or 4. Values are masked to `size` bytes.
  uint32_t In(uint16_t port, int size);
  void Out(uint16_t port, int size, uint32_t value);
  // `size` is 1, 2, 4 or 8.
  uint64_t Read(uint64_t paddr, int size);
  void Write(uint64_t paddr, int size, uint64_t value);

  // The device that owns `port` / `paddr`, or nullptr.
  PortDevice* PortOwner(uint16_t port) const;
  MmioDevice* MmioOwner(uint64_t paddr, uint64_t* offset = nullptr) const;

 private:
  struct PortRange {
    uint16_t last;
    PortDevice* device;
  };
  struct MmioWindow {
    uint64_t last;
    MmioDevice* device;
  };

  void ReportUnclaimedPort(uint16_t port);
  void ReportUnclaimedMmio(uint64_t paddr);

  std::map<uint16_t, PortRange> ports_;  // keyed by first port
  std::map<uint64_t, MmioWindow> mmio_;  // keyed by base
  std::set<uint64_t> reported_mmio_pages_;
  OnceWarnings warnings_;
  PostCodePort post_code_;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_BUS_H_
