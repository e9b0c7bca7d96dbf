#include "devices/pci_host.h"

#include "absl/strings/str_format.h"

namespace vmxemu::devices {

uint32_t PciHost::In(uint16_t port, int size) {
  if (port == kAddressPort && size == 4) return address_;
  // CONFIG_DATA: no device answers any configuration cycle.
  return static_cast<uint32_t>(AllOnes(size));
}

void PciHost::Out(uint16_t port, int size, uint32_t value) {
  if (port == kAddressPort && size == 4) {
    address_ = value;
    return;
  }
  if (port < kDataPort) {
    warnings_.Report(absl::StrFormat(
        "pci-host: %d-byte write to port 0x%x ignored (not a configuration address; "
        "e.g. 0xcf9 reset control is not modelled)",
        size, port));
  }
  // CONFIG_DATA writes go to no device.
}

}  // namespace vmxemu::devices
