#include "cpu/segments.h"

#include "cpu/cpu.h"

namespace vmxemu::cpu {

bool ReadDescriptor(Cpu& cpu, uint16_t selector, bool wide, uint32_t ext, Descriptor* out,
                    uint8_t fault_vector) {
  const CpuState& s = cpu.s;
  const uint32_t error = (selector & 0xFFFC) | ext;
  const bool local = selector & 4;
  uint64_t base;
  uint32_t limit;
  if (local) {
    if (s.ldtr.ar.unusable() || (s.ldtr.selector & 0xFFFC) == 0) {
      return cpu.Raise(fault_vector, error);
    }
    base = s.ldtr.base, limit = s.ldtr.limit;
  } else {
    base = s.gdtr.base, limit = s.gdtr.limit;
  }
  const uint32_t offset = selector & 0xFFF8;
  if (offset + (wide ? 15u : 7u) > limit) return cpu.Raise(fault_vector, error);
  uint64_t lo, hi = 0;
  if (!cpu.LinearRead(base + offset, 8, false, &lo)) return false;
  if (wide && !cpu.LinearRead(base + offset + 8, 8, false, &hi)) return false;
  *out = Descriptor{lo, hi};
  return true;
}

Segment SegmentFromDescriptor(uint16_t selector, const Descriptor& d) {
  return Segment{.selector = selector, .base = d.base(), .limit = d.limit(), .ar = d.ar()};
}

bool MarkDescriptorAccessed(Cpu& cpu, uint16_t selector, Descriptor* d) {
  if (!d->ar().s() || (d->lo & (1ull << 40))) return true;
  d->lo |= 1ull << 40;
  const uint64_t table = (selector & 4) ? cpu.s.ldtr.base : cpu.s.gdtr.base;
  uint64_t byte = d->lo >> 40 & 0xFF;
  return cpu.LinearWrite(table + (selector & 0xFFF8) + 5, 1, false, byte);
}

void LoadRealModeSegment(CpuState& s, int seg, uint16_t selector) {
  Segment& sg = s.seg[seg];
  sg.selector = selector;
  sg.base = static_cast<uint64_t>(selector) << 4;
  if (s.virtual_8086()) {
    // Virtual-8086 segments are always 64 KiB read/write data at DPL 3 (Vol. 3A 20.2).
    sg.limit = 0xFFFF;
    sg.ar.raw = seg == kCs ? 0xFB : 0xF3;
  } else if (sg.ar.unusable()) {
    sg.ar.raw = seg == kCs ? 0x9B : 0x93;
  }
}

bool WithinLimit(const Segment& sg, uint64_t off, int size) {
  const uint64_t last = off + size - 1;
  if (sg.ar.expand_down()) {
    const uint64_t upper = sg.ar.db() ? 0xFFFFFFFFull : 0xFFFF;
    return off > sg.limit && last <= upper;
  }
  return last <= sg.limit;
}

bool PeekStack(Cpu& cpu, uint64_t offset, int size, uint64_t* out) {
  const uint64_t ea = (cpu.s.gpr[kRsp] + offset) & cpu.stack_mask();
  switch (size) {
    case 2: {
      uint16_t v;
      if (!cpu.Read<uint16_t>(kSs, ea, &v)) return false;
      *out = v;
      return true;
    }
    case 4: {
      uint32_t v;
      if (!cpu.Read<uint32_t>(kSs, ea, &v)) return false;
      *out = v;
      return true;
    }
    default:
      return cpu.Read<uint64_t>(kSs, ea, out);
  }
}

bool CheckReturnCodeSegment(Cpu& cpu, uint16_t selector, Descriptor* out) {
  if ((selector & 0xFFFC) == 0) return cpu.Raise(kGP, 0);
  if (!ReadDescriptor(cpu, selector, false, 0, out)) return false;
  const AccessRights ar = out->ar();
  const uint32_t error = selector & 0xFFFC;
  const int rpl = selector & 3;
  if (!ar.code()) return cpu.Raise(kGP, error);
  if (cpu.s.long_mode_active() && ar.l() && ar.db()) return cpu.Raise(kGP, error);
  if (rpl < cpu.s.cpl()) return cpu.Raise(kGP, error);
  if (ar.conforming() ? ar.dpl() > rpl : ar.dpl() != rpl) return cpu.Raise(kGP, error);
  if (!ar.present()) return cpu.Raise(kNP, error);
  return true;
}

bool CheckReturnStackSegment(Cpu& cpu, uint16_t selector, int rpl, bool null_ok,
                             Descriptor* out, bool* null_ss) {
  *null_ss = (selector & 0xFFFC) == 0;
  if (*null_ss) return null_ok || cpu.Raise(kGP, 0);
  if (!ReadDescriptor(cpu, selector, false, 0, out)) return false;
  const AccessRights ar = out->ar();
  const uint32_t error = selector & 0xFFFC;
  if ((selector & 3) != rpl || !ar.writable() || ar.dpl() != rpl) {
    return cpu.Raise(kGP, error);
  }
  if (!ar.present()) return cpu.Raise(kSS, error);
  return true;
}

void NullSegmentsInvalidAtCpl(CpuState& s, int cpl) {
  for (int seg : {kEs, kDs, kFs, kGs}) {
    Segment& sg = s.seg[seg];
    const bool null = (sg.selector & 0xFFFC) == 0 || sg.ar.unusable();
    const bool data_or_nonconforming = !sg.ar.code() || !sg.ar.conforming();
    if (null || (data_or_nonconforming && sg.ar.dpl() < cpl)) {
      sg.selector = 0;
      sg.ar.raw |= AccessRights::kUnusable;
    }
  }
}

Segment CodeSegmentAt(uint16_t selector, const Descriptor& d, int cpl) {
  return SegmentFromDescriptor(static_cast<uint16_t>((selector & 0xFFFC) | cpl), d);
}

Segment NullSegment(uint16_t selector, int dpl) {
  return Segment{.selector = selector, .base = 0, .limit = 0,
                 .ar = {AccessRights::kUnusable | static_cast<uint32_t>(dpl << 5)}};
}

}  // namespace vmxemu::cpu

namespace vmxemu::cpu {

// MOV/POP/LxS to a data or stack segment register (SDM Vol. 2B MOV, "Operation").
bool Cpu::LoadSegment(int seg, uint16_t selector) {
  if (!s.protected_mode() || s.virtual_8086()) {
    LoadRealModeSegment(s, seg, selector);
    SegmentsChanged();
    return true;
  }
  const uint32_t sel_err = selector & 0xFFFC;
  const int rpl = selector & 3, cpl = s.cpl();
  if ((selector & 0xFFFC) == 0) {
    // A null selector: allowed for DS/ES/FS/GS; for SS only in 64-bit mode at CPL < 3
    // with RPL = CPL (SDM Vol. 2B MOV "64-Bit Mode Exceptions"). Intel clears the
    // hidden base (AMD keeps it).
    if (seg == kSs && !(s.in_64bit_mode() && cpl != 3 && rpl == cpl)) return Raise(kGP, 0);
    s.seg[seg] = NullSegment(selector, seg == kSs ? cpl : 0);
    SegmentsChanged();
    return true;
  }
  Descriptor d;
  if (!ReadDescriptor(*this, selector, false, 0, &d)) return false;
  const AccessRights ar = d.ar();
  if (seg == kSs) {
    if (rpl != cpl || !ar.writable() || ar.dpl() != cpl) return Raise(kGP, sel_err);
    if (!ar.present()) return Raise(kSS, sel_err);
  } else {
    if (!ar.s() || (ar.code() && !ar.readable())) return Raise(kGP, sel_err);
    if (!ar.conforming() && (rpl > ar.dpl() || cpl > ar.dpl())) return Raise(kGP, sel_err);
    if (!ar.present()) return Raise(kNP, sel_err);
  }
  if (!MarkDescriptorAccessed(*this, selector, &d)) return false;
  s.seg[seg] = SegmentFromDescriptor(selector, d);
  SegmentsChanged();
  return true;
}

}  // namespace vmxemu::cpu
