// Test helpers for segmentation and privilege: extra GDT descriptors, gates, and
// entering CPL 3 directly (for tests of event delivery, far transfers, segment loads
// and I/O permissions on top of CpuHarness).
#ifndef VMXEMU_CPU_TESTING_SEGMENT_SETUP_H_
#define VMXEMU_CPU_TESTING_SEGMENT_SETUP_H_

#include <cstdint>

#include "cpu/testing/cpu_harness.h"

namespace vmxemu::cpu::testing {

// A code/data/system descriptor from base, 20-bit limit, access byte (bits 40-47) and
// flags nibble (G, D/B, L, AVL: bits 52-55).
inline uint64_t MakeSegmentDescriptor(uint32_t base, uint32_t limit, uint32_t access,
                                      uint32_t flags) {
  return (limit & 0xFFFFull) | (uint64_t{base & 0xFFFFFF} << 16) | (uint64_t{access} << 40) |
         (uint64_t{(limit >> 16) & 0xF} << 48) | (uint64_t{flags & 0xF} << 52) |
         (uint64_t{base >> 24} << 56);
}

// Writes `desc` into GDT slot `selector >> 3` (past the harness's own entries, below the
// IDT at 0x5000) and grows GDTR.limit to cover it.
inline void SetGdtEntry(CpuHarness& h, uint16_t selector, uint64_t desc) {
  const uint32_t off = selector & 0xFFF8;
  h.WritePhys(kGdt + off, desc, 8);
  if (h.cpu.s.gdtr.limit < off + 7) h.cpu.s.gdtr.limit = off + 7;
}

// Common access bytes (SDM Vol. 3A 3.4.5): present, DPL, S=1, type.
inline constexpr uint32_t kCodeAccess = 0x9B, kDataAccess = 0x93;
inline uint32_t WithDpl(uint32_t access, int dpl) { return (access & ~0x60u) | (dpl << 5); }

// Switches the harness CPU to CPL 3 in its mode: CS = the user code segment of the mode,
// SS and the data segments = the user data segment (0x23), RSP = `rsp`.
inline void EnterUserMode(CpuHarness& h, uint64_t rsp) {
  CpuState& s = h.cpu.s;
  const Segment data{.selector = kUserData32Sel, .base = 0, .limit = 0xFFFFFFFF, .ar = {0xC0F3}};
  for (Segment& sg : s.seg) sg = data;
  if (h.mode == Mode::kLong64) {
    s.seg[kCs] = Segment{.selector = kUserCode64Sel, .base = 0, .limit = 0xFFFFFFFF, .ar = {0xA0FB}};
  } else {
    s.seg[kCs] = Segment{.selector = kUserCode32Sel, .base = 0, .limit = 0xFFFFFFFF, .ar = {0xC0FB}};
  }
  s.gpr[kRsp] = rsp;
  h.cpu.StateChanged();
}

// Writes the 64-bit TSS's RSP0 (offset 4, 8 bytes). The harness's TSS holds the 32-bit
// ESP0:SS0 pair there, which read as one 64-bit RSP0 is not the stack top.
inline void SetRsp0(CpuHarness& h, uint64_t rsp0 = kStackTop) { h.WritePhys(kTss + 4, rsp0, 8); }

// Raw IDT entry writes for gates the harness's SetInterruptGate does not make.
inline void SetIdtEntry(CpuHarness& h, int vector, uint64_t lo, uint64_t hi = 0) {
  if (h.mode == Mode::kLong64) {
    h.WritePhys(kIdt + 16 * vector, lo, 8);
    h.WritePhys(kIdt + 16 * vector + 8, hi, 8);
  } else {
    h.WritePhys(kIdt + 8 * vector, lo, 8);
  }
}

// A gate descriptor (interrupt/trap/call/task): selector, offset, type, DPL, present.
inline uint64_t MakeGate(uint16_t selector, uint64_t offset, uint32_t type, int dpl,
                         bool present = true, int ist = 0) {
  return (offset & 0xFFFF) | (uint64_t{selector} << 16) | (uint64_t(ist) << 32) |
         (uint64_t{type} << 40) | (uint64_t(dpl) << 45) | (uint64_t{present} << 47) |
         ((offset >> 16 & 0xFFFF) << 48);
}

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_SEGMENT_SETUP_H_
