// QEMU's firmware configuration device, traditional I/O-port interface only
// (QEMU docs/specs/fw_cfg.rst): a 16-bit selector at 0x510 picks an item and resets
// the read offset; each byte read from the data port 0x511 returns the item's next byte,
// and 0 past its end or for an item that does not exist. No DMA interface (port 0x514).
//
// Items: signature (0x0000) "QEMU"; ID (0x0001) = 1, i.e. bit 0 "traditional interface"
// set and bit 1 "DMA" clear (FW_CFG_VERSION in Linux's qemu_fw_cfg.h; 0 would claim no
// interface at all); RAM size (0x0003) 64-bit LE; number of CPUs (0x0005) and max CPUs
// (0x000F) 16-bit LE = 1; file directory (0x0019) with a 32-bit big-endian count of 0.
#ifndef VMXEMU_DEVICES_FW_CFG_H_
#define VMXEMU_DEVICES_FW_CFG_H_

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "devices/device.h"

namespace vmxemu::devices {

class FwCfg final : public PortDevice {
 public:
  static constexpr uint16_t kSelectorPort = 0x510;
  static constexpr uint16_t kDataPort = 0x511;
  static constexpr uint16_t kPortCount = 2;

  // Selector keys (Linux include/uapi/linux/qemu_fw_cfg.h).
  static constexpr uint16_t kSignature = 0x00;
  static constexpr uint16_t kId = 0x01;
  static constexpr uint16_t kRamSize = 0x03;
  static constexpr uint16_t kNbCpus = 0x05;
  static constexpr uint16_t kMaxCpus = 0x0F;
  static constexpr uint16_t kFileDir = 0x19;

  explicit FwCfg(uint64_t ram_size_bytes);

  std::string_view name() const override { return "fw_cfg"; }
  // As QEMU's fw_cfg_comb_valid: byte reads of either port read data; 8- or 16-bit writes
  // to 0x510 select (little-endian). Data-port writes are ignored (no writable items),
  // and other access sizes read all ones / are dropped.
  uint32_t In(uint16_t port, int size) override;
  void Out(uint16_t port, int size, uint32_t value) override;

 private:
  std::map<uint16_t, std::vector<uint8_t>> items_;
  uint16_t selector_ = 0;
  uint32_t offset_ = 0;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_FW_CFG_H_
