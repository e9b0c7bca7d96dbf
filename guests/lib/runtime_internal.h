// Runtime-internal set-up steps, called once each by guest_main_entry
// (entry.cc) in this order. Kernels use the public headers instead.
#ifndef GUESTS_LIB_RUNTIME_INTERNAL_H_
#define GUESTS_LIB_RUNTIME_INTERNAL_H_

#include <stdint.h>

#include "guests/lib/boot_info.h"

namespace guest {

// Copies the multiboot information at info_physical into boot_info().
void parse_multiboot_info(uint32_t info_physical);

// Gives the page allocator the frames from the end of the kernel image to the
// end of upper memory, except those holding modules.
void init_pmm(const BootInfo& boot_info);

}  // namespace guest

#endif  // GUESTS_LIB_RUNTIME_INTERNAL_H_
