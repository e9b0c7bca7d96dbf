#include "devices/fw_cfg.h"

namespace vmxemu::devices {
namespace {

std::vector<uint8_t> LittleEndian(uint64_t value, int bytes) {
  std::vector<uint8_t> out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
  return out;
}

// Selector bit 14 is the write channel and bit 15 the architecture-local bit; the item
// is named by the rest (FW_CFG_ENTRY_MASK) plus the arch bit.
constexpr uint16_t kWriteChannel = 0x4000;

}  // namespace

FwCfg::FwCfg(uint64_t ram_size_bytes) {
  items_[kSignature] = {'Q', 'E', 'M', 'U'};
  items_[kId] = LittleEndian(1, 4);
  items_[kRamSize] = LittleEndian(ram_size_bytes, 8);
  items_[kNbCpus] = LittleEndian(1, 2);
  items_[kMaxCpus] = LittleEndian(1, 2);
  items_[kFileDir] = {0, 0, 0, 0};  // struct fw_cfg_files { be32 count; } with count 0
}

uint32_t FwCfg::In(uint16_t, int size) {
  if (size != 1) return static_cast<uint32_t>(AllOnes(size));
  auto it = items_.find(static_cast<uint16_t>(selector_ & ~kWriteChannel));
  if (it == items_.end() || offset_ >= it->second.size()) return 0;
  return it->second[offset_++];
}

void FwCfg::Out(uint16_t port, int size, uint32_t value) {
  if (port != kSelectorPort || size > 2) return;
  selector_ = static_cast<uint16_t>(value);
  offset_ = 0;
}

}  // namespace vmxemu::devices
