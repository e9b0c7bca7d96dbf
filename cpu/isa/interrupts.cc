// Software interrupts and interrupt return: INT n, INT3, INTO, INT1 (ICEBP), IRET /
// IRETD / IRETQ (SDM Vol. 2A "INT n/INTO/INT3/INT1", "IRET/IRETD/IRETQ"), and the
// undefined-instruction opcodes UD0/UD1/UD2. Delivery itself is Cpu::DeliverEvent
// (cpu/exceptions.cc); the return address of a software interrupt is the next
// instruction.
#include "cpu/isa/isa.h"
#include "cpu/segments.h"

namespace vmxemu::cpu::isa {
namespace {

using Kind = Cpu::EventKind;

bool IntN(Cpu& cpu, const Insn& i) {
  return cpu.DeliverEvent(static_cast<uint8_t>(i.imm), Kind::kSoftwareInterrupt, false, 0,
                          cpu.s.rip);
}

bool Int3(Cpu& cpu, const Insn&) {
  return cpu.DeliverEvent(kBP, Kind::kSoftwareException, false, 0, cpu.s.rip);
}

// INTO: #OF only when OF = 1 (Zydis rejects CE in 64-bit mode: #UD there).
bool Into(Cpu& cpu, const Insn&) {
  if (!cpu.Of()) return true;
  return cpu.DeliverEvent(kOF, Kind::kSoftwareException, false, 0, cpu.s.rip);
}

// INT1: a #DB trap that sets no DR6 bit and skips the gate-DPL check.
bool Int1(Cpu& cpu, const Insn&) {
  return cpu.DeliverEvent(kDB, Kind::kPrivilegedSoftwareException, false, 0, cpu.s.rip);
}

// The flags IRET loads from the image (SDM IRET "RETURN-TO-SAME-PRIVILEGE-LEVEL"):
// CPL and IOPL are those before the instruction.
uint64_t IretFlagMask(const CpuState& s, int opsize) {
  uint64_t mask = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagTF | kFlagDF |
                  kFlagOF | kFlagNT;
  if (opsize >= 4) mask |= kFlagRF | kFlagAC | kFlagID;
  const int cpl = s.cpl(), iopl = static_cast<int>((s.rflags_base >> 12) & 3);
  if (cpl <= iopl) mask |= kFlagIF;
  if (cpl == 0) {
    mask |= kFlagIOPL;
    if (opsize >= 4) mask |= kFlagVIF | kFlagVIP;
  }
  return mask;
}

// SDM IRET "REAL-ADDRESS-MODE".
bool IretReal(Cpu& cpu, int n) {
  CpuState& s = cpu.s;
  uint64_t ip, cs, fl;
  if (!PeekStack(cpu, 0, n, &ip) || !PeekStack(cpu, n, n, &cs) ||
      !PeekStack(cpu, 2 * n, n, &fl)) {
    return false;
  }
  if (ip > s.seg[kCs].limit) return cpu.Raise(kGP, 0);
  const uint64_t old = s.Rflags();
  const uint64_t flags = n == 4 ? (fl & 0x257FD5) | (old & 0x1A0000)
                                : (old & ~0xFFFFull) | (fl & 0x7FD5);
  cpu.SetStackPointer(s.gpr[kRsp] + 3 * n);
  LoadRealModeSegment(s, kCs, static_cast<uint16_t>(cs));
  s.rip = ip;
  s.SetRflags(flags);
  cpu.SegmentsChanged();
  return true;
}

// SDM IRET "PROTECTED-MODE" and "IA-32e-MODE": the frame is read and every check made
// before anything changes.
bool IretProtected(Cpu& cpu, int n) {
  CpuState& s = cpu.s;
  const bool ia32e = s.long_mode_active();
  if (s.rflags_base & kFlagNT) {
    if (ia32e) return cpu.Raise(kGP, 0);
    return cpu.Stop("IRET with NT=1 (return from a nested task): task switching is not implemented");
  }
  uint64_t ip, cs, fl;
  if (!PeekStack(cpu, 0, n, &ip) || !PeekStack(cpu, n, n, &cs) ||
      !PeekStack(cpu, 2 * n, n, &fl)) {
    return false;
  }
  if (!ia32e && (fl & kFlagVM) && s.cpl() == 0) {
    return cpu.Stop("IRET to virtual-8086 mode is not implemented");
  }
  const uint16_t cs_sel = static_cast<uint16_t>(cs);
  Descriptor csd;
  if (!CheckReturnCodeSegment(cpu, cs_sel, &csd)) return false;
  const int old_cpl = s.cpl(), new_cpl = cs_sel & 3;
  const bool target64 = ia32e && csd.ar().l();
  // 64-bit mode pops SS:RSP even at the same privilege level.
  const bool pop_stack = new_cpl > old_cpl || s.in_64bit_mode();
  uint64_t sp = 0, ss = 0;
  Descriptor ssd;
  bool null_ss = false;
  if (pop_stack) {
    if (!PeekStack(cpu, 3 * n, n, &sp) || !PeekStack(cpu, 4 * n, n, &ss)) return false;
    // IA-32e: a null SS is allowed only back to 64-bit mode at CPL < 3 with RPL = CPL.
    const bool null_ok = target64 && new_cpl != 3 && (ss & 3) == static_cast<uint64_t>(new_cpl);
    if (!CheckReturnStackSegment(cpu, static_cast<uint16_t>(ss), new_cpl, null_ok, &ssd,
                                 &null_ss)) {
      return false;
    }
  }
  if (target64 ? !IsCanonical(ip) : ip > csd.limit()) return cpu.Raise(kGP, 0);
  if (!MarkDescriptorAccessed(cpu, cs_sel, &csd)) return false;
  if (pop_stack && !null_ss && !MarkDescriptorAccessed(cpu, static_cast<uint16_t>(ss), &ssd)) {
    return false;
  }

  const uint64_t mask = IretFlagMask(s, n);
  if (pop_stack) {
    s.seg[kSs] = null_ss ? NullSegment(static_cast<uint16_t>(ss), new_cpl)
                         : SegmentFromDescriptor(static_cast<uint16_t>(ss), ssd);
    s.gpr[kRsp] = sp;
  } else {
    cpu.SetStackPointer(s.gpr[kRsp] + 3 * n);
  }
  s.seg[kCs] = CodeSegmentAt(cs_sel, csd, new_cpl);
  s.rip = ip;
  cpu.SetFlags(mask, fl);
  if (new_cpl > old_cpl) NullSegmentsInvalidAtCpl(s, new_cpl);
  cpu.SegmentsChanged();
  return true;
}

bool Iret(Cpu& cpu, const Insn& i) {
  // IRET ends NMI blocking even when it faults (SDM Vol. 3A 6.7.1); a latched NMI is
  // then taken before the next instruction.
  if (cpu.s.nmi_blocked) {
    cpu.s.nmi_blocked = false;
    cpu.RecheckEvents();
  }
  if (!cpu.s.protected_mode()) return IretReal(cpu, i.opsize);
  if (cpu.s.virtual_8086()) return cpu.Stop("IRET in virtual-8086 mode is not implemented");
  return IretProtected(cpu, i.opsize);
}

template <Handler H>
Handler Bind(const DecodeContext&, Insn*) {
  return H;
}

}  // namespace

void RegisterInterrupts(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_INT, &Bind<&IntN>, true);
  t.Set(ZYDIS_MNEMONIC_INT3, &Bind<&Int3>, true);
  t.Set(ZYDIS_MNEMONIC_INTO, &Bind<&Into>, true);
  t.Set(ZYDIS_MNEMONIC_INT1, &Bind<&Int1>, true);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_IRET, ZYDIS_MNEMONIC_IRETD, ZYDIS_MNEMONIC_IRETQ}) {
    t.Set(m, &Bind<&Iret>, true);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_UD0, ZYDIS_MNEMONIC_UD1, ZYDIS_MNEMONIC_UD2}) {
    t.Set(m, &Bind<&RaiseUd>, true);
  }
}

}  // namespace vmxemu::cpu::isa
