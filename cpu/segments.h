// Descriptor-table access shared by segment loads, far transfers, IRET and event
// delivery (SDM Vol. 3A 3.4-3.5, 5.5-5.8).
#ifndef VMXEMU_CPU_SEGMENTS_H_
#define VMXEMU_CPU_SEGMENTS_H_

#include <cstdint>

#include "cpu/state.h"

namespace vmxemu::cpu {

class Cpu;

// A segment descriptor as read from the GDT/LDT (16 bytes for system descriptors in
// IA-32e mode; `hi` is 0 otherwise).
struct Descriptor {
  uint64_t lo = 0;
  uint64_t hi = 0;

  AccessRights ar() const { return AccessRights::FromDescriptor(lo); }
  uint64_t base() const {
    return ((lo >> 16) & 0xFFFFFF) | ((lo >> 32) & 0xFF000000ull);
  }
  uint64_t base64() const { return base() | (hi & 0xFFFFFFFFull) << 32; }
  uint32_t limit() const {
    uint32_t l = static_cast<uint32_t>((lo & 0xFFFF) | ((lo >> 32) & 0xF0000));
    return ar().g() ? (l << 12) | 0xFFF : l;
  }
  // Gate fields (call/interrupt/trap gates).
  uint16_t gate_selector() const { return static_cast<uint16_t>(lo >> 16); }
  uint64_t gate_offset() const {
    return (lo & 0xFFFF) | ((lo >> 32) & 0xFFFF0000ull) | (hi & 0xFFFFFFFFull) << 32;
  }
  int gate_ist() const { return static_cast<int>((lo >> 32) & 7); }
};

// Reads the descriptor for `selector` from the GDT or LDT with supervisor (implicit)
// privilege. Fails with #GP(selector & 0xFFFC | ext) when the index is beyond the
// table limit; `wide` reads 16 bytes (IA-32e system descriptors).
bool ReadDescriptor(Cpu& cpu, uint16_t selector, bool wide, uint32_t ext, Descriptor* out);

// Segment register contents for a descriptor (selector, base, scaled limit, rights).
Segment SegmentFromDescriptor(uint16_t selector, const Descriptor& d);

// Sets the accessed bit of a code/data descriptor in memory if it is clear (SDM
// Vol. 3A 3.4.5.1: the processor sets it when it loads the segment register).
bool MarkDescriptorAccessed(Cpu& cpu, uint16_t selector, Descriptor* d);

// Real-mode / virtual-8086 segment: base = selector << 4, limits and rights untouched
// except as the SDM says (Vol. 3A 20.1.1).
void LoadRealModeSegment(CpuState& s, int seg, uint16_t selector);

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_SEGMENTS_H_
