#include "devices/bus.h"

#include <string>
#include <utility>

#include "absl/strings/str_format.h"

namespace vmxemu::devices {

IoBus::IoBus(WarningSink warn) : warnings_(std::move(warn)) {
  // Cannot fail: the bus is empty.
  (void)AddPorts(PostCodePort::kPort, 1, &post_code_);
}

absl::Status IoBus::AddPorts(uint16_t first, uint32_t count, PortDevice* device) {
  if (device == nullptr) return absl::InvalidArgumentError("AddPorts: null device");
  const std::string name(device->name());
  if (count == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("I/O port range for %s at 0x%x is empty", name, first));
  }
  if (uint32_t{first} + count > 0x10000) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "I/O port range 0x%x+%u for %s runs past port 0xffff", first, count, name));
  }
  const uint16_t last = static_cast<uint16_t>(first + count - 1);
  // The only claimed range that can overlap is the one starting last at or before `last`.
  auto it = ports_.upper_bound(last);
  if (it != ports_.begin()) {
    --it;
    if (it->second.last >= first) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "I/O ports 0x%x-0x%x for %s overlap ports 0x%x-0x%x claimed by %s", first, last,
          name, it->first, it->second.last, std::string(it->second.device->name())));
    }
  }
  ports_.emplace(first, PortRange{last, device});
  return absl::OkStatus();
}

absl::Status IoBus::AddMmio(uint64_t base, uint64_t size, MmioDevice* device) {
  if (device == nullptr) return absl::InvalidArgumentError("AddMmio: null device");
  const std::string name(device->name());
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("MMIO window for %s at 0x%x is empty", name, base));
  }
  const uint64_t last = base + size - 1;
  if (last < base) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "MMIO window 0x%x+0x%x for %s wraps past the top of the address space", base,
        size, name));
  }
  auto it = mmio_.upper_bound(last);
  if (it != mmio_.begin()) {
    --it;
    if (it->second.last >= base) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "MMIO window 0x%x-0x%x for %s overlaps 0x%x-0x%x claimed by %s", base, last,
          name, it->first, it->second.last, std::string(it->second.device->name())));
    }
  }
  mmio_.emplace(base, MmioWindow{last, device});
  return absl::OkStatus();
}

PortDevice* IoBus::PortOwner(uint16_t port) const {
  auto it = ports_.upper_bound(port);
  if (it == ports_.begin()) return nullptr;
  --it;
  return port <= it->second.last ? it->second.device : nullptr;
}

MmioDevice* IoBus::MmioOwner(uint64_t paddr, uint64_t* offset) const {
  auto it = mmio_.upper_bound(paddr);
  if (it == mmio_.begin()) return nullptr;
  --it;
  if (paddr > it->second.last) return nullptr;
  if (offset != nullptr) *offset = paddr - it->first;
  return it->second.device;
}

uint32_t IoBus::In(uint16_t port, int size) {
  const uint32_t mask = static_cast<uint32_t>(AllOnes(size));
  if (PortDevice* device = PortOwner(port)) return device->In(port, size) & mask;
  ReportUnclaimedPort(port);
  return mask;
}

void IoBus::Out(uint16_t port, int size, uint32_t value) {
  const uint32_t mask = static_cast<uint32_t>(AllOnes(size));
  if (PortDevice* device = PortOwner(port)) {
    device->Out(port, size, value & mask);
    return;
  }
  ReportUnclaimedPort(port);
}

uint64_t IoBus::Read(uint64_t paddr, int size) {
  uint64_t offset = 0;
  if (MmioDevice* device = MmioOwner(paddr, &offset)) {
    return device->Read(offset, size) & AllOnes(size);
  }
  ReportUnclaimedMmio(paddr);
  return AllOnes(size);
}

void IoBus::Write(uint64_t paddr, int size, uint64_t value) {
  uint64_t offset = 0;
  if (MmioDevice* device = MmioOwner(paddr, &offset)) {
    device->Write(offset, size, value & AllOnes(size));
    return;
  }
  ReportUnclaimedMmio(paddr);
}

void IoBus::ReportUnclaimedPort(uint16_t port) {
  warnings_.Report(absl::StrFormat("unhandled I/O port 0x%x (reads all ones)", port));
}

void IoBus::ReportUnclaimedMmio(uint64_t paddr) {
  // Once per 4 KiB page: a guest probing a region would otherwise report every address.
  if (!reported_mmio_pages_.insert(paddr >> 12).second) return;
  warnings_.Report(
      absl::StrFormat("unhandled MMIO address 0x%x (reads all ones; its 4 KiB page is "
                      "reported once)",
                      paddr));
}

}  // namespace vmxemu::devices
