// The host bridge's PCI configuration mechanism #1 (PCI Local Bus Specification 3.0,
// 3.2.2.3.2): CONFIG_ADDRESS at 0xCF8 (32-bit accesses only) and CONFIG_DATA at
// 0xCFC-0xCFF. There are no PCI devices, so every configuration read returns all ones,
// which is how a probe sees an empty slot (vendor ID 0xFFFF); writes are dropped. The
// address register reads back what was written, as on QEMU's i440FX.
//
// Byte and word accesses to 0xCF8-0xCFB are not configuration cycles (the chipset routes
// them elsewhere): reads return all ones, and writes are dropped and reported once, since
// 0xCF9 is the PIIX reset control register, which is not modelled here.
#ifndef VMXEMU_DEVICES_PCI_HOST_H_
#define VMXEMU_DEVICES_PCI_HOST_H_

#include <cstdint>
#include <string_view>
#include <utility>

#include "devices/device.h"

namespace vmxemu::devices {

class PciHost final : public PortDevice {
 public:
  static constexpr uint16_t kAddressPort = 0xCF8;
  static constexpr uint16_t kDataPort = 0xCFC;
  static constexpr uint16_t kPortCount = 8;  // 0xCF8-0xCFF

  explicit PciHost(WarningSink warn = WarnToStderr) : warnings_(std::move(warn)) {}

  std::string_view name() const override { return "pci-host"; }
  uint32_t In(uint16_t port, int size) override;
  void Out(uint16_t port, int size, uint32_t value) override;

 private:
  uint32_t address_ = 0;
  OnceWarnings warnings_;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_PCI_HOST_H_
