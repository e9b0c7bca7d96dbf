// The task-state segment and its GDT descriptor. boot.S owns the GDT
// (guest_gdt) and leaves the GUEST_SEL_TSS slot empty for this file.
#include <stdint.h>

#include "guests/lib/segments.h"
#include "guests/lib/x86.h"

extern "C" uint64_t guest_gdt[GUEST_GDT_ENTRIES];

namespace guest {
namespace {

#if defined(__x86_64__)
// SDM Vol. 3A "Task Management in 64-bit Mode", 64-bit TSS format.
struct __attribute__((packed)) Tss {
  uint32_t reserved0;
  uint64_t rsp[3];  // Stacks for privilege levels 0..2: unused, ring 0 only.
  uint64_t reserved1;
  uint64_t ist[7];  // Interrupt stack table; IST1 is the #DF stack.
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t io_map_base;
};
#else
// SDM Vol. 3A "Task-State Segment (TSS)", 32-bit TSS format. Selector
// fields occupy the low 16 bits of their doubleword.
struct Tss {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
  uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap;
  uint16_t io_map_base;
};
#endif
static_assert(sizeof(Tss) == 104);

constexpr uint64_t kTssTypeAvailable = 0x9;  // 64-bit or 32-bit TSS.
constexpr uint64_t kDescriptorPresent = uint64_t{1} << 47;

Tss tss __attribute__((aligned(16)));
#if defined(__x86_64__)
uint8_t double_fault_stack[4096] __attribute__((aligned(16)));
#endif

}  // namespace

void init_gdt() {
#if defined(__x86_64__)
  tss.ist[0] = reinterpret_cast<uintptr_t>(double_fault_stack) +
               sizeof(double_fault_stack);
#else
  tss.ss0 = kDataSelector;
#endif
  // An I/O map base beyond the limit means "no I/O permission bitmap".
  tss.io_map_base = sizeof(Tss);

  // System-segment descriptor, SDM Vol. 3A "TSS Descriptor" (and "TSS
  // Descriptor in 64-bit mode": a second quadword holds base 63:32).
  uint64_t base = reinterpret_cast<uintptr_t>(&tss);
  uint64_t limit = sizeof(Tss) - 1;
  int slot = kTssSelector / 8;
  guest_gdt[slot] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
                    (kTssTypeAvailable << 40) | kDescriptorPresent |
                    ((limit >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
  guest_gdt[slot + 1] = base >> 32;
  ltr(kTssSelector);
}

}  // namespace guest
