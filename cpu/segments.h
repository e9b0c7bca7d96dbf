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

// A linear address whose bits 63:47 are all equal (SDM Vol. 1 3.3.7.1, 48-bit linear
// addresses: CPUID.80000008H:EAX[15:8] = 48).
inline bool IsCanonical(uint64_t lin) {
  return static_cast<uint64_t>(static_cast<int64_t>(lin << 16) >> 16) == lin;
}

// Reads the descriptor for `selector` from the GDT or LDT with supervisor (implicit)
// privilege. An index beyond the table limit (or a local selector with no LDT) raises
// `fault_vector` (#GP unless the caller's rule names another, e.g. #TS for a TSS stack
// selector) with error code (selector & 0xFFFC) | ext; `wide` reads 16 bytes (IA-32e
// system descriptors).
bool ReadDescriptor(Cpu& cpu, uint16_t selector, bool wide, uint32_t ext, Descriptor* out,
                    uint8_t fault_vector = 13);

// Segment register contents for a descriptor (selector, base, scaled limit, rights).
Segment SegmentFromDescriptor(uint16_t selector, const Descriptor& d);

// Sets the accessed bit of a code/data descriptor in memory if it is clear (SDM
// Vol. 3A 3.4.5.1: the processor sets it when it loads the segment register).
bool MarkDescriptorAccessed(Cpu& cpu, uint16_t selector, Descriptor* d);

// Real-mode / virtual-8086 segment: base = selector << 4, limits and rights untouched
// except as the SDM says (Vol. 3A 20.1.1).
void LoadRealModeSegment(CpuState& s, int seg, uint16_t selector);

// Whether a `size`-byte access at offset `off` is inside segment `sg`'s limit (expand-up
// or expand-down, SDM Vol. 3A 5.3). For checks the SDM states before any access is
// made (stack room for an interrupt frame, far-call return address).
bool WithinLimit(const Segment& sg, uint64_t off, int size);

// Reads `size` (2, 4 or 8) bytes at `offset` above the stack pointer through SS, with
// SS's checks (#SS(0) beyond the limit, #PF), without popping.
bool PeekStack(Cpu& cpu, uint64_t offset, int size, uint64_t* out);

// The return code segment of a far RET or IRET (SDM Vol. 2B RET "Operation", IRET
// "PROTECTED-MODE-RETURN"): null -> #GP(0); beyond the table, not code, L=D=1 in IA-32e
// mode, RPL < CPL, conforming with DPL > RPL, non-conforming with DPL != RPL ->
// #GP(selector); not present -> #NP(selector).
bool CheckReturnCodeSegment(Cpu& cpu, uint16_t selector, Descriptor* out);

// The stack segment popped by a far RET or IRET to an outer privilege level `rpl`
// (the return CS's RPL): null -> #GP(0) unless `null_ok`; beyond the table, RPL != rpl,
// not writable data, DPL != rpl -> #GP(selector); not present -> #SS(selector).
// On success *null_ss says whether the selector is null (64-bit mode only).
bool CheckReturnStackSegment(Cpu& cpu, uint16_t selector, int rpl, bool null_ok,
                             Descriptor* out, bool* null_ss);

// After a return to an outer privilege level (far RET, IRET): ES, DS, FS and GS that
// hold a null selector, or data / non-conforming code with DPL < the new CPL, become
// null (SDM Vol. 2B RET, IRET "Operation"). The hidden base is kept: FS/GS bases in
// 64-bit mode live on (as their MSR values do on hardware).
void NullSegmentsInvalidAtCpl(CpuState& s, int cpl);

// Code segment register contents for a far transfer to `selector` whose descriptor is
// `d`, running at `cpl` (CS.RPL = CPL).
Segment CodeSegmentAt(uint16_t selector, const Descriptor& d, int cpl);

// A null data / stack segment register: selector kept (with its RPL), unusable, DPL
// `dpl` (for SS: the CPL, SDM Vol. 3C 24.4.1), base cleared as Intel does.
Segment NullSegment(uint16_t selector, int dpl);

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_SEGMENTS_H_
