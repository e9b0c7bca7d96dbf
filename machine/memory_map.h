// The PC's physical memory map as firmware reports it (the BIOS INT 15h E820 map), for
// RAM of `ram_size` bytes below 4 GiB. It is what SeaBIOS reports under QEMU's `pc`
// machine (QEMU 7.2, -m up to 3 GiB), so a kernel sees the same map on both:
//
//   [0, 0x9FC00)                 usable    conventional memory below the EBDA
//   [0x9FC00, 0xA0000)           reserved  the extended BIOS data area
//   [0xF0000, 0x100000)          reserved  the BIOS
//   [0x100000, ram - 128 KiB)    usable
//   [ram - 128 KiB, ram)         reserved  SeaBIOS's high tables (ACPI, SMBIOS, ...)
//   [0xFFFC0000, 4 GiB)          reserved  the BIOS flash
//
// [0xA0000, 0xF0000) (VGA window, option ROMs) is listed as nothing, as on a PC. QEMU's
// map has one more entry when its CPU is an AMD one (the default qemu64 is):
// [0xFD00000000, 1 TiB) reserved for AMD's HyperTransport window. vmxemu's CPU is an
// Intel one, so it is left out.
#ifndef VMXEMU_MACHINE_MEMORY_MAP_H_
#define VMXEMU_MACHINE_MEMORY_MAP_H_

#include <cstdint>
#include <string>
#include <vector>

namespace vmxemu::machine {

// E820 address range types (ACPI 6.4, 15.1 "Address Range Types").
enum class RegionType : uint32_t { kUsable = 1, kReserved = 2 };

struct MemoryRegion {
  uint64_t base = 0;
  uint64_t length = 0;
  RegionType type = RegionType::kUsable;
};

// The smallest and largest RAM the map is defined for. Above 3 GiB QEMU moves RAM past
// the PCI hole below 4 GiB, which this map (and the board) do not model yet.
inline constexpr uint64_t kMinRamBytes = 2ull << 20;
inline constexpr uint64_t kMaxRamBytes = 3ull << 30;

inline constexpr uint64_t kEbdaStart = 0x9FC00;
inline constexpr uint64_t kHighMemoryStart = 0x100000;
inline constexpr uint64_t kHighTablesSize = 0x20000;

// The map for `ram_size` (kMinRamBytes..kMaxRamBytes, a multiple of 4 KiB).
std::vector<MemoryRegion> PcMemoryMap(uint64_t ram_size);

// Whether [start, end) lies inside one usable region of `map`.
bool IsUsable(const std::vector<MemoryRegion>& map, uint64_t start, uint64_t end);

// "[0x0, 0x9fc00) and [0x100000, 0x7fe0000)", for error messages.
std::string DescribeUsable(const std::vector<MemoryRegion>& map);

// Multiboot's mem_lower / mem_upper in KiB, as QEMU's multiboot option ROM computes them:
// mem_lower from INT 12h (memory below the EBDA), mem_upper = the usable memory
// contiguous from 1 MiB (Multiboot 0.6.96, 3.3: "to the first upper memory hole").
uint32_t MemLowerKib(const std::vector<MemoryRegion>& map);
uint32_t MemUpperKib(const std::vector<MemoryRegion>& map);

}  // namespace vmxemu::machine

#endif  // VMXEMU_MACHINE_MEMORY_MAP_H_
