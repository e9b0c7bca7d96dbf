// What the boot loader told us, copied out of the multiboot information
// structure (Multiboot 0.6.96, 3.3 "Boot information format") before the
// page allocator may reuse its memory.
#ifndef GUESTS_LIB_BOOT_INFO_H_
#define GUESTS_LIB_BOOT_INFO_H_

#include <stdint.h>

namespace guest {

inline constexpr int kMaxModules = 16;

struct Module {
  uintptr_t start;     // Physical (= virtual) address of the first byte.
  uintptr_t end;       // One past the last byte.
  const char* string;  // Loader-given string, usually the file name; never
                       // null.
};

struct BootInfo {
  // Never null; "" if the loader passed none. QEMU's -kernel passes
  // "<kernel file name> <-append text>", as GRUB does.
  const char* cmdline;
  // KiB of memory below 1 MiB and above 1 MiB (to the first hole); 0 if the
  // loader did not say (multiboot flags bit 0).
  uint32_t mem_lower_kib;
  uint32_t mem_upper_kib;
  int module_count;  // At most kMaxModules; extra modules are ignored.
  Module modules[kMaxModules];
};

// Valid once kmain() runs.
const BootInfo& boot_info();
int module_count();

}  // namespace guest

// Provided by each kernel; its return value becomes the exit code.
int kmain(const guest::BootInfo& boot_info);

#endif  // GUESTS_LIB_BOOT_INFO_H_
