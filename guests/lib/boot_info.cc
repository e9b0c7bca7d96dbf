// Multiboot information parsing (Multiboot 0.6.96, 3.3). Strings are copied
// into a static arena, so nothing here points into loader memory.
#include "guests/lib/boot_info.h"

#include "guests/lib/printf.h"
#include "guests/lib/runtime_internal.h"

namespace guest {
namespace {

// The multiboot information layout, 3.3; fields we do not use are reserved.
struct MultibootInfo {
  uint32_t flags;
  uint32_t mem_lower;
  uint32_t mem_upper;
  uint32_t boot_device;
  uint32_t cmdline;
  uint32_t mods_count;
  uint32_t mods_addr;
};
struct MultibootModule {
  uint32_t mod_start;
  uint32_t mod_end;
  uint32_t string;
  uint32_t reserved;
};

constexpr uint32_t kFlagMemory = 1u << 0;
constexpr uint32_t kFlagCmdline = 1u << 2;
constexpr uint32_t kFlagModules = 1u << 3;

BootInfo info;
char string_arena[4096];
int arena_used;

const char* CopyString(uint32_t physical) {
  const char* source = reinterpret_cast<const char*>(uintptr_t{physical});
  int room = static_cast<int>(sizeof(string_arena)) - arena_used - 1;
  if (room < 0) room = 0;
  int length = 0;
  while (source[length] != '\0' && length < room) ++length;
  if (source[length] != '\0') {
    printf("boot: string at 0x%x truncated to %d bytes\n", physical, length);
  }
  if (length == 0) return "";
  char* copy = string_arena + arena_used;
  for (int i = 0; i < length; ++i) copy[i] = source[i];
  copy[length] = '\0';
  arena_used += length + 1;
  return copy;
}

}  // namespace

void parse_multiboot_info(uint32_t info_physical) {
  const auto* mb =
      reinterpret_cast<const MultibootInfo*>(uintptr_t{info_physical});
  info.cmdline = "";
  if (mb->flags & kFlagMemory) {
    info.mem_lower_kib = mb->mem_lower;
    info.mem_upper_kib = mb->mem_upper;
  }
  if ((mb->flags & kFlagCmdline) && mb->cmdline != 0) {
    info.cmdline = CopyString(mb->cmdline);
  }
  if (mb->flags & kFlagModules) {
    const auto* modules =
        reinterpret_cast<const MultibootModule*>(uintptr_t{mb->mods_addr});
    uint32_t count = mb->mods_count;
    if (count > kMaxModules) {
      printf("boot: %u modules, using the first %d\n", count, kMaxModules);
      count = kMaxModules;
    }
    for (uint32_t i = 0; i < count; ++i) {
      Module& module = info.modules[i];
      module.start = modules[i].mod_start;
      module.end = modules[i].mod_end;
      module.string =
          modules[i].string != 0 ? CopyString(modules[i].string) : "";
    }
    info.module_count = static_cast<int>(count);
  }
}

const BootInfo& boot_info() { return info; }

int module_count() { return info.module_count; }

}  // namespace guest
