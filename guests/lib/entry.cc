// First C++ code of every kernel: boot.S calls guest_main_entry on the boot
// stack with paging on and interrupts off.
#include <stdint.h>

#include "guests/lib/boot_info.h"
#include "guests/lib/exit.h"
#include "guests/lib/idt.h"
#include "guests/lib/runtime_internal.h"
#include "guests/lib/segments.h"
#include "guests/lib/serial.h"

extern "C" {
using Constructor = void (*)();
// kernel.ld: constructors of namespace-scope objects.
extern Constructor __init_array_start[];
extern Constructor __init_array_end[];
}

namespace {
// Multiboot 0.6.96, 3.2: EAX holds this when a compliant loader jumps to us.
constexpr uint32_t kMultibootBootloaderMagic = 0x2BADB002;
}  // namespace

extern "C" [[noreturn]] void guest_main_entry(uint32_t magic,
                                              uint32_t mbinfo_phys) {
  // Serial first, so that everything after it can report failures; IDT
  // before anything that might fault.
  guest::serial_init();
  guest::init_gdt();
  guest::init_idt();
  if (magic != kMultibootBootloaderMagic) {
    guest::panic("not booted by a multiboot loader: EAX=0x%x, expected 0x%x",
                 magic, kMultibootBootloaderMagic);
  }
  guest::parse_multiboot_info(mbinfo_phys);
  // After the copy: the allocator may hand out the loader's info pages.
  guest::init_pmm(guest::boot_info());
  for (Constructor* c = __init_array_start; c != __init_array_end; ++c) (*c)();
  guest::exit(kmain(guest::boot_info()));
}
