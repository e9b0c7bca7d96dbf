// Far control transfers: JMP ptr16:16/32 and m16:16/32/64, CALL (the same forms) and
// RET far (with and without imm16), in real and virtual-8086 mode, protected mode and
// IA-32e mode (SDM Vol. 2A "CALL", "JMP", Vol. 2B "RET", "Operation"). Targets are code
// segments (conforming or not, same privilege; RET may return to an outer level) and
// call gates (16/32-bit and 64-bit; CALL may enter a more privileged level). Task gates
// and TSS targets stop the run naming what is missing.
#include "cpu/isa/isa.h"
#include "cpu/isa/shared_mnemonic.h"
#include "cpu/segments.h"

namespace vmxemu::cpu::isa {
namespace {

struct FarPointer {
  uint16_t selector = 0;
  uint64_t offset = 0;
};

uint64_t OperandMask(int bytes) {
  return bytes == 8 ? ~0ull : bytes == 4 ? 0xFFFFFFFFull : 0xFFFF;
}

bool ReadSized(Cpu& cpu, int seg, uint64_t ea, int size, uint64_t* out) {
  switch (size) {
    case 2: {
      uint16_t v;
      if (!cpu.Read<uint16_t>(seg, ea, &v)) return false;
      *out = v;
      return true;
    }
    case 4: {
      uint32_t v;
      if (!cpu.Read<uint32_t>(seg, ea, &v)) return false;
      *out = v;
      return true;
    }
    default:
      return cpu.Read<uint64_t>(seg, ea, out);
  }
}

bool WriteSized(Cpu& cpu, int seg, uint64_t ea, int size, uint64_t v) {
  switch (size) {
    case 2: return cpu.Write<uint16_t>(seg, ea, static_cast<uint16_t>(v));
    case 4: return cpu.Write<uint32_t>(seg, ea, static_cast<uint32_t>(v));
    default: return cpu.Write<uint64_t>(seg, ea, v);
  }
}

// The target of the direct form (ptr16:16/32 in the instruction) or of the memory
// form (m16:16/32/64: the offset, then the selector).
template <bool kMem>
bool FetchTarget(Cpu& cpu, const Insn& i, FarPointer* p) {
  if constexpr (!kMem) {
    *p = {i.imm2, i.imm & OperandMask(i.opsize)};
    return true;
  }
  const uint64_t ea = cpu.Ea(i);
  uint64_t sel;
  if (!ReadSized(cpu, i.seg, ea, i.opsize, &p->offset)) return false;
  if (!ReadSized(cpu, i.seg, (ea + i.opsize) & OperandMask(i.addrsize), 2, &sel)) return false;
  p->selector = static_cast<uint16_t>(sel);
  return true;
}

// Writes the return address CALL pushes (CS, then the offset; each `n` bytes, CS
// zero-extended) below the stack pointer; the caller commits RSP with the result.
bool PushReturnAddress(Cpu& cpu, int n, uint64_t* new_rsp) {
  const uint64_t rsp = cpu.s.gpr[kRsp];
  const uint64_t mask = cpu.stack_mask();
  if (!WriteSized(cpu, kSs, (rsp - n) & mask, n, cpu.s.seg[kCs].selector)) return false;
  if (!WriteSized(cpu, kSs, (rsp - 2 * n) & mask, n, cpu.s.rip)) return false;
  *new_rsp = rsp - 2 * n;
  return true;
}

// Real-address and virtual-8086 mode: CS = selector << 4; the offset must be within
// the (unchanged) CS limit.
bool RealModeTransfer(Cpu& cpu, const FarPointer& p, int n, bool call) {
  CpuState& s = cpu.s;
  const uint64_t offset = p.offset & OperandMask(n);
  uint64_t new_rsp = 0;
  if (call && !PushReturnAddress(cpu, n, &new_rsp)) return false;
  if (offset > s.seg[kCs].limit) return cpu.Raise(kGP, 0);
  if (call) cpu.SetStackPointer(new_rsp);
  LoadRealModeSegment(s, kCs, p.selector);
  s.rip = offset;
  cpu.SegmentsChanged();
  return true;
}

// ---- call gates (SDM Vol. 2A CALL/JMP "CALL-GATE", Vol. 3A 5.8.3-5.8.6) ----------------

struct CallGate {
  uint16_t cs_sel = 0;
  Descriptor cs_desc;
  uint64_t rip = 0;
  int width = 4;  // push size: 2 (16-bit gate), 4 (32-bit), 8 (IA-32e 64-bit gate)
  int params = 0;
};

// The gate, its code segment and what each allows; JMP may not change privilege.
bool CheckCallGate(Cpu& cpu, uint16_t gate_sel, const Descriptor& gate, bool call,
                   CallGate* g) {
  const CpuState& s = cpu.s;
  const bool ia32e = s.long_mode_active();
  const AccessRights gar = gate.ar();
  const uint32_t gate_err = gate_sel & 0xFFFC;
  const int cpl = s.cpl();
  // A 64-bit call gate's upper half has a type field that must be 0 (Vol. 3A 5.8.3.1).
  if (ia32e && ((gate.hi >> 40) & 0x1F) != 0) return cpu.Raise(kGP, gate_err);
  if (gar.dpl() < cpl || gar.dpl() < (gate_sel & 3)) return cpu.Raise(kGP, gate_err);
  if (!gar.present()) return cpu.Raise(kNP, gate_err);
  g->cs_sel = gate.gate_selector();
  const uint32_t cs_err = g->cs_sel & 0xFFFC;
  if (cs_err == 0) return cpu.Raise(kGP, 0);
  if (!ReadDescriptor(cpu, g->cs_sel, false, 0, &g->cs_desc)) return false;
  const AccessRights car = g->cs_desc.ar();
  const bool dpl_ok = call ? car.dpl() <= cpl
                           : (car.conforming() ? car.dpl() <= cpl : car.dpl() == cpl);
  if (!car.code() || !dpl_ok) return cpu.Raise(kGP, cs_err);
  if (ia32e && (!car.l() || car.db())) return cpu.Raise(kGP, cs_err);
  if (!car.present()) return cpu.Raise(kNP, cs_err);
  g->width = ia32e ? 8 : gar.type() == 0x4 ? 2 : 4;
  g->rip = gate.gate_offset() & OperandMask(g->width);
  g->params = ia32e ? 0 : static_cast<int>((gate.lo >> 32) & 0x1F);
  return true;
}

bool GateTargetOk(Cpu& cpu, const CallGate& g) {
  if (cpu.s.long_mode_active() ? IsCanonical(g.rip) : g.rip <= g.cs_desc.limit()) return true;
  return cpu.Raise(kGP, 0);
}

// JMP, or CALL to a conforming or same-DPL segment: the current stack ("SAME-PRIVILEGE").
bool CallGateSamePrivilege(Cpu& cpu, const CallGate& g, bool call) {
  CpuState& s = cpu.s;
  uint64_t new_rsp = 0;
  if (call && !PushReturnAddress(cpu, g.width, &new_rsp)) return false;
  if (!GateTargetOk(cpu, g)) return false;
  Descriptor csd = g.cs_desc;
  if (!MarkDescriptorAccessed(cpu, g.cs_sel, &csd)) return false;
  if (call) cpu.SetStackPointer(new_rsp);
  s.seg[kCs] = CodeSegmentAt(g.cs_sel, csd, s.cpl());
  s.rip = g.rip;
  cpu.SegmentsChanged();
  return true;
}

// The inner stack of a CALL to a more privileged level: SSn:ESPn from a 32-bit TSS, or
// RSPn with a null SS in IA-32e mode ("MORE-PRIVILEGE").
bool CallGateInnerStack(Cpu& cpu, int new_cpl, Segment* ss, Descriptor* ssd, uint64_t* sp) {
  const CpuState& s = cpu.s;
  const uint32_t tss_err = s.tr.selector & 0xFFFC;
  const uint32_t off = (new_cpl << 3) + 4;
  if (s.long_mode_active()) {
    if (off + 7 > s.tr.limit) return cpu.Raise(kTS, tss_err);
    *ss = NullSegment(static_cast<uint16_t>(new_cpl), new_cpl);
    return cpu.LinearRead(s.tr.base + off, 8, false, sp);
  }
  if ((s.tr.ar.type() & 0x8) == 0) {
    return cpu.Stop("call-gate stack switch through a 16-bit TSS (not implemented)");
  }
  if (off + 5 > s.tr.limit) return cpu.Raise(kTS, tss_err);
  uint64_t sel;
  if (!cpu.LinearRead(s.tr.base + off, 4, false, sp)) return false;
  if (!cpu.LinearRead(s.tr.base + off + 4, 2, false, &sel)) return false;
  const uint16_t ss_sel = static_cast<uint16_t>(sel);
  const uint32_t ss_err = ss_sel & 0xFFFC;
  if (ss_err == 0) return cpu.Raise(kTS, 0);
  if (!ReadDescriptor(cpu, ss_sel, false, 0, ssd, kTS)) return false;
  const AccessRights ar = ssd->ar();
  if ((ss_sel & 3) != new_cpl || ar.dpl() != new_cpl || !ar.writable()) {
    return cpu.Raise(kTS, ss_err);
  }
  if (!ar.present()) return cpu.Raise(kSS, ss_err);
  *ss = SegmentFromDescriptor(ss_sel, *ssd);
  return true;
}

// CALL to a more privileged non-conforming segment: switch stacks, then push the old
// SS:ESP, the gate's parameter count of parameters copied from the old stack, and the
// return CS:EIP, all at the gate's width.
bool CallGateMorePrivilege(Cpu& cpu, const CallGate& g) {
  CpuState& s = cpu.s;
  const int new_cpl = g.cs_desc.ar().dpl();
  const int w = g.width;
  Segment ss;
  Descriptor ssd;
  uint64_t sp;
  if (!CallGateInnerStack(cpu, new_cpl, &ss, &ssd, &sp)) return false;
  const int n = 4 + g.params;
  const uint64_t mask = w == 8 ? ~0ull : ss.ar.db() ? 0xFFFFFFFFull : 0xFFFF;
  if (w == 8) {
    if (!IsCanonical(sp - 1) || !IsCanonical(sp - 8 * n)) return cpu.Raise(kSS, 0);
  } else {
    for (int i = 0; i < n; ++i) {
      if (!WithinLimit(ss, (sp - w * (i + 1)) & mask, w)) {
        return cpu.Raise(kSS, ss.selector & 0xFFFC);
      }
    }
  }
  if (!GateTargetOk(cpu, g)) return false;
  // Lowest address first: return EIP, CS, the parameters as they lie on the old stack,
  // old ESP, old SS.
  uint64_t frame[4 + 31];
  frame[0] = s.rip;
  frame[1] = s.seg[kCs].selector;
  for (int i = 0; i < g.params; ++i) {
    if (!PeekStack(cpu, w * i, w, &frame[2 + i])) return false;
  }
  frame[n - 2] = s.gpr[kRsp];
  frame[n - 1] = s.seg[kSs].selector;
  const uint64_t base = w == 8 ? 0 : ss.base;
  for (int i = n - 1; i >= 0; --i) {
    const uint64_t off = (sp - w * (n - i)) & mask;
    if (!cpu.LinearWrite(w == 8 ? off : (base + off) & 0xFFFFFFFFull, w, false,
                         frame[i] & OperandMask(w))) {
      return false;
    }
  }
  Descriptor csd = g.cs_desc;
  if (!MarkDescriptorAccessed(cpu, g.cs_sel, &csd)) return false;
  if (w != 8) {
    if (!MarkDescriptorAccessed(cpu, ss.selector, &ssd)) return false;
    ss = SegmentFromDescriptor(ss.selector, ssd);
  }
  s.seg[kSs] = ss;
  s.gpr[kRsp] = (sp & ~mask) | ((sp - w * n) & mask);
  s.seg[kCs] = CodeSegmentAt(g.cs_sel, csd, new_cpl);
  s.rip = g.rip;
  cpu.SegmentsChanged();
  return true;
}

// System-descriptor targets: call gates, task gates, TSSs (SDM JMP/CALL "Operation").
bool SystemTarget(Cpu& cpu, const FarPointer& p, const Descriptor& d, bool call) {
  const uint32_t type = d.ar().type();
  const bool ia32e = cpu.s.long_mode_active();
  if (type == 0xC || (!ia32e && type == 0x4)) {
    Descriptor gate = d;
    // IA-32e call gates are 16 bytes.
    if (ia32e && !ReadDescriptor(cpu, p.selector, true, 0, &gate)) return false;
    CallGate g;
    if (!CheckCallGate(cpu, p.selector, gate, call, &g)) return false;
    const AccessRights car = g.cs_desc.ar();
    if (call && !car.conforming() && car.dpl() < cpu.s.cpl()) {
      return CallGateMorePrivilege(cpu, g);
    }
    return CallGateSamePrivilege(cpu, g, call);
  }
  if (!ia32e && (type == 0x5 || type == 0x1 || type == 0x3 || type == 0x9 || type == 0xB)) {
    return cpu.Stop("far JMP/CALL to a task gate or TSS: task switching is not implemented");
  }
  return cpu.Raise(kGP, p.selector & 0xFFFC);
}

// Protected and IA-32e mode, to a code segment ("CONFORMING-CODE-SEGMENT",
// "NONCONFORMING-CODE-SEGMENT"): CPL does not change; CS.RPL becomes the CPL.
bool ProtectedTransfer(Cpu& cpu, const FarPointer& p, int n, bool call) {
  CpuState& s = cpu.s;
  if ((p.selector & 0xFFFC) == 0) return cpu.Raise(kGP, 0);
  Descriptor d;
  if (!ReadDescriptor(cpu, p.selector, false, 0, &d)) return false;
  const AccessRights ar = d.ar();
  const uint32_t err = p.selector & 0xFFFC;
  const int cpl = s.cpl(), rpl = p.selector & 3;
  if (!ar.s()) return SystemTarget(cpu, p, d, call);
  if (!ar.code()) return cpu.Raise(kGP, err);
  if (s.long_mode_active() && ar.l() && ar.db()) return cpu.Raise(kGP, err);
  if (ar.conforming() ? ar.dpl() > cpl : (rpl > cpl || ar.dpl() != cpl)) {
    return cpu.Raise(kGP, err);
  }
  if (!ar.present()) return cpu.Raise(kNP, err);
  const bool target64 = s.long_mode_active() && ar.l();
  uint64_t new_rsp = 0;
  if (call && !PushReturnAddress(cpu, n, &new_rsp)) return false;
  uint64_t offset = p.offset & OperandMask(n);
  if (!target64) offset &= 0xFFFFFFFFull;
  if (target64 ? !IsCanonical(offset) : offset > d.limit()) return cpu.Raise(kGP, 0);
  if (!MarkDescriptorAccessed(cpu, p.selector, &d)) return false;
  if (call) cpu.SetStackPointer(new_rsp);
  s.seg[kCs] = CodeSegmentAt(p.selector, d, cpl);
  s.rip = offset;
  cpu.SegmentsChanged();
  return true;
}

template <bool kMem, bool kCall>
bool FarJmpCall(Cpu& cpu, const Insn& i) {
  FarPointer p;
  if (!FetchTarget<kMem>(cpu, i, &p)) return false;
  if (!cpu.s.protected_mode() || cpu.s.virtual_8086()) {
    return RealModeTransfer(cpu, p, i.opsize, kCall);
  }
  return ProtectedTransfer(cpu, p, i.opsize, kCall);
}

// RET far in real-address / virtual-8086 mode.
bool RetFarReal(Cpu& cpu, int n, uint64_t ip, uint64_t cs, uint64_t release) {
  CpuState& s = cpu.s;
  if (ip > s.seg[kCs].limit) return cpu.Raise(kGP, 0);
  cpu.SetStackPointer(s.gpr[kRsp] + 2 * n + release);
  LoadRealModeSegment(s, kCs, static_cast<uint16_t>(cs));
  s.rip = ip;
  cpu.SegmentsChanged();
  return true;
}

// RET far (SDM Vol. 2B RET "Operation"): same privilege, or an outer one with SS:ESP
// popped after the `release` parameter bytes, the parameters released from the outer
// stack too, and data segments the new CPL may not use nulled.
bool RetFar(Cpu& cpu, const Insn& i) {
  CpuState& s = cpu.s;
  const int n = i.opsize;
  const uint64_t release = static_cast<uint16_t>(i.imm);
  uint64_t ip, cs;
  if (!PeekStack(cpu, 0, n, &ip) || !PeekStack(cpu, n, n, &cs)) return false;
  if (!s.protected_mode() || s.virtual_8086()) return RetFarReal(cpu, n, ip, cs, release);

  const uint16_t cs_sel = static_cast<uint16_t>(cs);
  Descriptor csd;
  if (!CheckReturnCodeSegment(cpu, cs_sel, &csd)) return false;
  const int old_cpl = s.cpl(), new_cpl = cs_sel & 3;
  const bool target64 = s.long_mode_active() && csd.ar().l();
  const bool outer = new_cpl > old_cpl;
  uint64_t sp = 0, ss = 0;
  Descriptor ssd;
  bool null_ss = false;
  if (outer) {
    if (!PeekStack(cpu, 2 * n + release, n, &sp) || !PeekStack(cpu, 3 * n + release, n, &ss)) {
      return false;
    }
    // IA-32e: a null SS only back to 64-bit mode at CPL < 3.
    const bool null_ok = target64 && new_cpl != 3;
    if (!CheckReturnStackSegment(cpu, static_cast<uint16_t>(ss), new_cpl, null_ok, &ssd,
                                 &null_ss)) {
      return false;
    }
  }
  if (target64 ? !IsCanonical(ip) : ip > csd.limit()) return cpu.Raise(kGP, 0);
  if (!MarkDescriptorAccessed(cpu, cs_sel, &csd)) return false;
  if (outer && !null_ss && !MarkDescriptorAccessed(cpu, static_cast<uint16_t>(ss), &ssd)) {
    return false;
  }

  if (outer) {
    s.seg[kSs] = null_ss ? NullSegment(static_cast<uint16_t>(ss), new_cpl)
                         : SegmentFromDescriptor(static_cast<uint16_t>(ss), ssd);
    // The parameters are released from the outer stack too, at its address size.
    const uint64_t m = target64 ? ~0ull : s.seg[kSs].ar.db() ? 0xFFFFFFFFull : 0xFFFF;
    s.gpr[kRsp] = (sp & ~m) | ((sp + release) & m);
  } else {
    cpu.SetStackPointer(s.gpr[kRsp] + 2 * n + release);
  }
  s.seg[kCs] = CodeSegmentAt(cs_sel, csd, new_cpl);
  s.rip = ip;
  if (outer) NullSegmentsInvalidAtCpl(s, new_cpl);
  cpu.SegmentsChanged();
  return true;
}

bool IsFar(const DecodeContext& ctx) { return ctx.zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR; }

template <bool kCall>
Handler BindFarJmpCall(const DecodeContext& ctx, Insn*) {
  switch (ctx.kind(0)) {
    case DecodeContext::kPtr:
      // JMP/CALL ptr16:16/32 are invalid in 64-bit mode.
      return ctx.in_64bit_mode() ? &RaiseUd : &FarJmpCall<false, kCall>;
    case DecodeContext::kMem: return &FarJmpCall<true, kCall>;
    default: return nullptr;
  }
}

Handler BindRetFar(const DecodeContext& ctx, Insn* insn) {
  if (ctx.kind(0) != DecodeContext::kImm) insn->imm = 0;
  return &RetFar;
}

}  // namespace

void RegisterFar(BinderTable& t) {
  SharedMnemonic<ZYDIS_MNEMONIC_JMP, &IsFar, &BindFarJmpCall<false>>::Register(t, true);
  SharedMnemonic<ZYDIS_MNEMONIC_CALL, &IsFar, &BindFarJmpCall<true>>::Register(t, true);
  SharedMnemonic<ZYDIS_MNEMONIC_RET, &IsFar, &BindRetFar>::Register(t, true);
}

}  // namespace vmxemu::cpu::isa
