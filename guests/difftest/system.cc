#include "guests/difftest/system.h"

#include "guests/difftest/x86_bits.h"
#include "guests/lib/idt.h"
#include "guests/lib/x86.h"

extern "C" {
// user_mode.S.
void dt_enter_user(uintptr_t ip, uintptr_t sp, uintptr_t cs, uintptr_t ss);
extern char dt_user_return[];
extern uintptr_t dt_kernel_sp;
}

namespace difftest {
namespace {

#if defined(__x86_64__)
// SDM Vol. 3A 7.7 "Task Management in 64-bit Mode", 64-bit TSS.
struct __attribute__((packed)) Tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t io_map_base;
};
#else
// SDM Vol. 3A 7.2.1 "Task-State Segment (TSS)", 32-bit TSS.
struct Tss {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
  uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap;
  uint16_t io_map_base;
};
#endif
static_assert(sizeof(Tss) == 104);

uint64_t gdt[kGdtEntries] __attribute__((aligned(16)));
Tss tss __attribute__((aligned(16)));
uint8_t ring0_stack[8192] __attribute__((aligned(16)));
uint8_t double_fault_stack[4096] __attribute__((aligned(16)));
uint8_t user_stack[8192] __attribute__((aligned(16)));

uintptr_t Top(uint8_t* stack, uintptr_t size) {
  return reinterpret_cast<uintptr_t>(stack) + size;
}

// Access bytes: P | DPL | S | type (SDM Vol. 3A Table 3-1).
constexpr uint8_t kCodeAccess = 0x9A;      // Execute/read, DPL 0.
constexpr uint8_t kDataAccess = 0x92;      // Read/write, DPL 0.
constexpr uint8_t kUserCodeAccess = 0xFA;  // Execute/read, DPL 3.
constexpr uint8_t kUserDataAccess = 0xF2;  // Read/write, DPL 3.
constexpr uint8_t kAbsentDataAccess = 0x12;
// Flags nibble: G, D/B, L, AVL.
constexpr uint8_t kFlags64 = 0xA;  // G, L.
constexpr uint8_t kFlags32 = 0xC;  // G, D/B.
constexpr uint8_t kFlags16 = 0x0;  // Byte granular, 16-bit.

void ReturnToKernel(guest::TrapFrame& frame) {
  // Resume in dt_user_return at CPL 0; it reloads the saved kernel stack.
  frame.ip() = reinterpret_cast<uintptr_t>(dt_user_return);
#if defined(__x86_64__)
  frame.cs = kCode64;
  frame.rflags = kFixed1;
  frame.rsp = dt_kernel_sp;
  frame.ss = kData;
#else
  // Same-privilege IRET pops only EIP, CS, EFLAGS (SDM Vol. 2A IRET).
  frame.cs = kCode32;
  frame.eflags = kFixed1;
#endif
}

}  // namespace

uint64_t SegmentDescriptor(uint32_t base, uint32_t limit, uint8_t access,
                           uint8_t flags) {
  return (limit & 0xFFFFull) | (uint64_t{base & 0xFFFFFF} << 16) |
         (uint64_t{access} << 40) | (uint64_t{(limit >> 16) & 0xF} << 48) |
         (uint64_t{flags & 0xFu} << 52) | (uint64_t{base >> 24} << 56);
}

void SetGdtEntry(int index, uint64_t descriptor) { gdt[index] = descriptor; }

void InstallGdt() {
  gdt[kCode64 / 8] = SegmentDescriptor(0, 0xFFFFF, kCodeAccess, kFlags64);
  gdt[kCode32 / 8] = SegmentDescriptor(0, 0xFFFFF, kCodeAccess, kFlags32);
  gdt[kData / 8] = SegmentDescriptor(0, 0xFFFFF, kDataAccess, kFlags32);
  gdt[kUserCode32 / 8] =
      SegmentDescriptor(0, 0xFFFFF, kUserCodeAccess, kFlags32);
  gdt[kUserData / 8] = SegmentDescriptor(0, 0xFFFFF, kUserDataAccess, kFlags32);
  gdt[kUserCode64 / 8] =
      SegmentDescriptor(0, 0xFFFFF, kUserCodeAccess, kFlags64);
  gdt[kCode16 / 8] = SegmentDescriptor(0, 0xFFFF, kCodeAccess, kFlags16);
  gdt[kData16 / 8] = SegmentDescriptor(0, 0xFFFF, kDataAccess, kFlags16);
  gdt[kAbsentData / 8] =
      SegmentDescriptor(0, 0xFFFFF, kAbsentDataAccess, kFlags32);

#if defined(__x86_64__)
  tss.rsp[0] = Top(ring0_stack, sizeof(ring0_stack));
  tss.ist[0] = Top(double_fault_stack, sizeof(double_fault_stack));
#else
  tss.esp0 = Top(ring0_stack, sizeof(ring0_stack));
  tss.ss0 = kData;
#endif
  tss.io_map_base = sizeof(Tss);  // No I/O permission bitmap.
  // Available TSS descriptor (type 9); in IA-32e mode the next slot holds
  // base 63:32 (SDM Vol. 3A 7.2.3).
  uint64_t base = reinterpret_cast<uintptr_t>(&tss);
  gdt[kTss / 8] =
      SegmentDescriptor(static_cast<uint32_t>(base), sizeof(Tss) - 1, 0x89, 0);
  gdt[kTss / 8 + 1] = base >> 32;

  guest::lgdt({sizeof(gdt) - 1, reinterpret_cast<uintptr_t>(gdt)});
  guest::ltr(kTss);
  SetGate(DIFFTEST_USER_RETURN_VECTOR, 3, true);
  guest::set_irq_handler(DIFFTEST_USER_RETURN_VECTOR, ReturnToKernel);
}

void SetGate(uint8_t vector, int dpl, bool present) {
  guest::DescriptorTablePointer idtr = guest::sidt();
#if defined(__x86_64__)
  constexpr int kGateSize = 16;
#else
  constexpr int kGateSize = 8;
#endif
  // Byte 5 of a gate: P, DPL, 0, type (SDM Vol. 3A 6.11, 6.14.1).
  auto* attributes =
      reinterpret_cast<uint8_t*>(idtr.base + vector * kGateSize + 5);
  *attributes = static_cast<uint8_t>((*attributes & 0x1F) | (dpl << 5) |
                                     (present ? 0x80 : 0));
}

void AllowUserAccessToBootMap() {
  auto* top = reinterpret_cast<uintptr_t*>(guest::read_cr3() & ~0xFFFul);
#if defined(__x86_64__)
  // boot.S: PML4[0] -> PDPT[0..3] -> four PDs of 2 MiB pages.
  top[0] |= kPteUs;
  auto* pdpt = reinterpret_cast<uint64_t*>(top[0] & ~0xFFFul);
  for (int i = 0; i < 4; ++i) {
    pdpt[i] |= kPteUs;
    auto* pd = reinterpret_cast<uint64_t*>(pdpt[i] & ~0xFFFul);
    for (int j = 0; j < 512; ++j) pd[j] |= kPteUs;
  }
#else
  for (int i = 0; i < 1024; ++i) top[i] |= kPteUs;  // 4 MiB PDEs.
#endif
  guest::write_cr3(guest::read_cr3());
}

void RunAtCpl3(void (*function)()) {
  dt_enter_user(reinterpret_cast<uintptr_t>(function),
                Top(user_stack, sizeof(user_stack)), kUserCode, kUserData);
}

bool OnDoubleFaultStack(const void* address) {
  auto value = reinterpret_cast<uintptr_t>(address);
  auto low = reinterpret_cast<uintptr_t>(double_fault_stack);
  return value >= low && value < low + sizeof(double_fault_stack);
}

}  // namespace difftest
