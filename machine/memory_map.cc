#include "machine/memory_map.h"

#include "absl/strings/str_format.h"

namespace vmxemu::machine {

std::vector<MemoryRegion> PcMemoryMap(uint64_t ram_size) {
  const uint64_t high_end = ram_size - kHighTablesSize;
  return {
      {0, kEbdaStart, RegionType::kUsable},
      {kEbdaStart, 0xA0000 - kEbdaStart, RegionType::kReserved},
      {0xF0000, 0x10000, RegionType::kReserved},
      {kHighMemoryStart, high_end - kHighMemoryStart, RegionType::kUsable},
      {high_end, kHighTablesSize, RegionType::kReserved},
      {0xFFFC0000, 0x40000, RegionType::kReserved},
  };
}

bool IsUsable(const std::vector<MemoryRegion>& map, uint64_t start, uint64_t end) {
  for (const MemoryRegion& r : map) {
    if (r.type == RegionType::kUsable && start >= r.base && end <= r.base + r.length &&
        start <= end) {
      return true;
    }
  }
  return false;
}

std::string DescribeUsable(const std::vector<MemoryRegion>& map) {
  std::string out;
  for (const MemoryRegion& r : map) {
    if (r.type != RegionType::kUsable) continue;
    if (!out.empty()) out += " and ";
    out += absl::StrFormat("[0x%x, 0x%x)", r.base, r.base + r.length);
  }
  return out;
}

uint32_t MemLowerKib(const std::vector<MemoryRegion>& map) {
  for (const MemoryRegion& r : map) {
    if (r.type == RegionType::kUsable && r.base == 0) return static_cast<uint32_t>(r.length >> 10);
  }
  return 0;
}

// The option ROM's loop: extend [1 MiB, end) by any usable region below 4 GiB that
// contains `end`, restarting the search after each extension (the map is unordered).
uint32_t MemUpperKib(const std::vector<MemoryRegion>& map) {
  uint64_t end = kHighMemoryStart;
  for (bool extended = true; extended;) {
    extended = false;
    for (const MemoryRegion& r : map) {
      if (r.type != RegionType::kUsable || (r.base >> 32) != 0) continue;
      if (r.base <= end && end < r.base + r.length) {
        end = r.base + r.length;
        extended = true;
      }
    }
  }
  return static_cast<uint32_t>((end - kHighMemoryStart) >> 10);
}

}  // namespace vmxemu::machine
