// Interrupt and exception delivery (SDM Vol. 3A ch. 6): real-mode IVT, protected-mode
// and IA-32e IDT gates with privilege checks and stack switches, the double-fault rules
// and shutdown. The checks and their error codes follow SDM Vol. 2A INT n "Operation",
// which applies to every event (external interrupts, NMI, exceptions): EXT (bit 0 of
// an error code) is 0 only while delivering INT n, INT3 or INTO.
#include <cstdio>

#include "absl/strings/str_format.h"
#include "cpu/cpu.h"
#include "cpu/segments.h"

namespace vmxemu::cpu {
namespace {

// SDM Vol. 3A 6.15 (interrupt 8), Table 6-4.
enum class ExceptionClass { kBenign, kContributory, kPageFault, kDoubleFault };

ExceptionClass ClassOf(uint8_t v) {
  switch (v) {
    case kDE: case kTS: case kNP: case kSS: case kGP: return ExceptionClass::kContributory;
    case kPF: case kVE: return ExceptionClass::kPageFault;
    case kDF: return ExceptionClass::kDoubleFault;
    default: return ExceptionClass::kBenign;
  }
}

// Faults (as opposed to traps) push RF=1 (SDM Vol. 3B 17.3.1.1).
bool IsFaultClass(uint8_t v) {
  switch (v) {
    case kDE: case kBR: case kUD: case kNM: case kTS: case kNP: case kSS: case kGP:
    case kPF: case kMF: case kAC: case kXM: case kVE: return true;
    default: return false;
  }
}

// The values an event pushes, lowest address first.
struct Frame {
  uint64_t v[6];
  int n = 0;
  void Add(uint64_t x) { v[n++] = x; }
};

// Where a protected-mode / IA-32e event goes, from its gate and code segment.
struct Target {
  Descriptor cs_desc;
  uint16_t cs_sel = 0;
  uint64_t rip = 0;   // the gate's offset (16 bits for a 16-bit gate)
  int new_cpl = 0;
  bool priv_change = false;
  int width = 4;      // bytes per push: 2 (16-bit gate), 4 (32-bit), 8 (IA-32e)
  int ist = 0;
};

Frame BuildFrame(const CpuState& s, bool has_error, uint32_t error, uint64_t return_rip,
                 uint64_t rflags, bool push_stack) {
  Frame f;
  if (has_error) f.Add(error);
  f.Add(return_rip);
  f.Add(s.seg[kCs].selector);
  f.Add(rflags);
  if (push_stack) {
    f.Add(s.gpr[kRsp]);
    f.Add(s.seg[kSs].selector);
  }
  return f;
}

// SDM Vol. 2A INT n "REAL-ADDRESS-MODE": 4-byte IVT entries; push FLAGS, CS, IP.
bool DeliverRealMode(Cpu& cpu, uint8_t vector, uint64_t rflags, uint64_t return_rip) {
  CpuState& s = cpu.s;
  if (vector * 4u + 3 > s.idtr.limit) return cpu.Raise(kGP, 0);
  uint64_t entry;
  if (!cpu.LinearRead(s.idtr.base + vector * 4u, 4, false, &entry)) return false;
  const uint16_t sp0 = static_cast<uint16_t>(s.gpr[kRsp]);
  const uint64_t ss = s.seg[kSs].base;
  const uint16_t frame[3] = {static_cast<uint16_t>(return_rip), s.seg[kCs].selector,
                             static_cast<uint16_t>(rflags)};
  for (int i = 2; i >= 0; --i) {
    const uint16_t sp = static_cast<uint16_t>(sp0 - 2 * (3 - i));
    if (!cpu.LinearWrite((ss + sp) & 0xFFFFFFFFull, 2, false, frame[i])) return false;
  }
  s.gpr[kRsp] = (s.gpr[kRsp] & ~0xFFFFull) | static_cast<uint16_t>(sp0 - 6);
  LoadRealModeSegment(s, kCs, static_cast<uint16_t>(entry >> 16));
  s.rip = entry & 0xFFFF;
  cpu.SetFlags(kFlagIF | kFlagTF | kFlagAC, 0);
  cpu.SegmentsChanged();
  return true;
}

// Reads and checks the IDT gate and its code segment ("PROTECTED-MODE", "IA-32e-MODE",
// "TRAP-OR-INTERRUPT-GATE"). Sets *trap_gate.
bool ResolveGate(Cpu& cpu, uint8_t vector, bool software, uint32_t ext, Target* t,
                 bool* trap_gate) {
  const CpuState& s = cpu.s;
  const bool ia32e = s.long_mode_active();
  const uint32_t idt_err = vector * 8 + 2 + ext;
  const uint32_t gate_size = ia32e ? 16 : 8;
  if (vector * gate_size + gate_size - 1 > s.idtr.limit) return cpu.Raise(kGP, idt_err);
  Descriptor gate;
  if (!cpu.LinearRead(s.idtr.base + vector * gate_size, 8, false, &gate.lo)) return false;
  if (ia32e && !cpu.LinearRead(s.idtr.base + vector * gate_size + 8, 8, false, &gate.hi)) {
    return false;
  }
  const AccessRights gar = gate.ar();
  const uint32_t type = gar.type();
  // Interrupt 0xE / trap 0xF gates (64-bit ones in IA-32e mode); 16-bit gates 0x6/0x7
  // and task gates 0x5 only outside IA-32e mode.
  const bool is_task = !ia32e && type == 0x5;
  const bool is_16 = !ia32e && (type == 0x6 || type == 0x7);
  if (gar.s() || !(type == 0xE || type == 0xF || is_task || is_16)) {
    return cpu.Raise(kGP, idt_err);
  }
  // The gate DPL applies to INT n, INT3 and INTO only (not INT1, not hardware events);
  // its error code has EXT = 0.
  if (software && gar.dpl() < s.cpl()) return cpu.Raise(kGP, vector * 8 + 2);
  if (!gar.present()) return cpu.Raise(kNP, idt_err);
  if (is_task) {
    return cpu.Stop(absl::StrFormat(
        "task gate for vector %d: task switching is not implemented", vector));
  }
  *trap_gate = (type & 1) != 0;
  t->width = ia32e ? 8 : is_16 ? 2 : 4;
  t->ist = ia32e ? gate.gate_ist() : 0;
  t->rip = ia32e ? gate.gate_offset() : gate.gate_offset() & (is_16 ? 0xFFFF : 0xFFFFFFFFull);

  t->cs_sel = gate.gate_selector();
  const uint32_t cs_err = (t->cs_sel & 0xFFFC) | ext;
  if ((t->cs_sel & 0xFFFC) == 0) return cpu.Raise(kGP, ext);
  if (!ReadDescriptor(cpu, t->cs_sel, false, ext, &t->cs_desc)) return false;
  const AccessRights car = t->cs_desc.ar();
  if (!car.code() || car.dpl() > s.cpl()) return cpu.Raise(kGP, cs_err);
  if (!car.present()) return cpu.Raise(kNP, cs_err);
  if (ia32e && (!car.l() || car.db())) return cpu.Raise(kGP, cs_err);
  t->new_cpl = car.conforming() ? s.cpl() : car.dpl();
  t->priv_change = t->new_cpl < s.cpl();
  return true;
}

// IA-32e frame (SDM Vol. 3A 6.14.2-6.14.5): RSP from the TSS's IST slot or RSPn, or the
// current one; aligned to 16 bytes; SS:RSP always pushed; every push 8 bytes.
bool PushIa32eFrame(Cpu& cpu, const Target& t, uint32_t ext, const Frame& f,
                    uint64_t* new_rsp) {
  const CpuState& s = cpu.s;
  uint64_t rsp = s.gpr[kRsp];
  if (t.ist != 0 || t.priv_change) {
    const uint32_t off = t.ist ? (t.ist << 3) + 28 : (t.new_cpl << 3) + 4;
    if (off + 7 > s.tr.limit) return cpu.Raise(kTS, (s.tr.selector & 0xFFFC) | ext);
    if (!cpu.LinearRead(s.tr.base + off, 8, false, &rsp)) return false;
  }
  rsp &= ~0xFull;
  const uint64_t bottom = rsp - 8 * f.n;
  if (!IsCanonical(rsp - 1) || !IsCanonical(bottom)) return cpu.Raise(kSS, ext);
  if (!IsCanonical(t.rip)) return cpu.Raise(kGP, ext);
  // Highest slot first, the order of the pushes (a fault names the first one).
  for (int i = f.n - 1; i >= 0; --i) {
    if (!cpu.LinearWrite(bottom + 8 * i, 8, t.new_cpl == 3, f.v[i])) return false;
  }
  *new_rsp = bottom;
  return true;
}

// The inner stack of a legacy-mode privilege change: SSn:ESPn from the 32-bit TSS
// (SDM Vol. 2A INT n "INTER-PRIVILEGE-LEVEL-INTERRUPT", Vol. 3A 7.2.1).
bool InnerStack(Cpu& cpu, const Target& t, uint32_t ext, Segment* ss, Descriptor* ssd,
                uint64_t* esp) {
  const CpuState& s = cpu.s;
  if ((s.tr.ar.type() & 0x8) == 0) {
    return cpu.Stop("interrupt stack switch through a 16-bit TSS (not implemented)");
  }
  const uint32_t off = (t.new_cpl << 3) + 4;
  if (off + 5 > s.tr.limit) return cpu.Raise(kTS, (s.tr.selector & 0xFFFC) | ext);
  uint64_t sel;
  if (!cpu.LinearRead(s.tr.base + off, 4, false, esp)) return false;
  if (!cpu.LinearRead(s.tr.base + off + 4, 2, false, &sel)) return false;
  const uint16_t ss_sel = static_cast<uint16_t>(sel);
  const uint32_t ss_err = (ss_sel & 0xFFFC) | ext;
  if ((ss_sel & 0xFFFC) == 0) return cpu.Raise(kTS, ext);
  if ((ss_sel & 3) != t.new_cpl) return cpu.Raise(kTS, ss_err);
  if (!ReadDescriptor(cpu, ss_sel, false, ext, ssd, kTS)) return false;
  if (ssd->ar().dpl() != t.new_cpl || !ssd->ar().writable()) return cpu.Raise(kTS, ss_err);
  if (!ssd->ar().present()) return cpu.Raise(kSS, ss_err);
  *ss = SegmentFromDescriptor(ss_sel, *ssd);
  return true;
}

// Legacy protected-mode frame: 2- or 4-byte pushes, SS:ESP pushed on a privilege change.
bool PushLegacyFrame(Cpu& cpu, const Target& t, uint32_t ext, const Frame& f,
                     Segment* new_ss, uint64_t* new_rsp) {
  const CpuState& s = cpu.s;
  Segment ss = s.seg[kSs];
  Descriptor ssd;
  uint64_t base_rsp = s.gpr[kRsp];
  if (t.priv_change && !InnerStack(cpu, t, ext, &ss, &ssd, &base_rsp)) return false;
  const uint64_t mask = ss.ar.db() ? 0xFFFFFFFFull : 0xFFFF;
  const uint32_t ss_err = t.priv_change ? (ss.selector & 0xFFFC) | ext : ext;
  const int w = t.width;
  for (int i = 0; i < f.n; ++i) {
    if (!WithinLimit(ss, (base_rsp - w * (f.n - i)) & mask, w)) return cpu.Raise(kSS, ss_err);
  }
  if (t.rip > t.cs_desc.limit()) return cpu.Raise(kGP, ext);
  for (int i = f.n - 1; i >= 0; --i) {
    const uint64_t sp = (base_rsp - w * (f.n - i)) & mask;
    if (!cpu.LinearWrite((ss.base + sp) & 0xFFFFFFFFull, w, t.new_cpl == 3, f.v[i])) {
      return false;
    }
  }
  if (t.priv_change && !MarkDescriptorAccessed(cpu, ss.selector, &ssd)) return false;
  if (t.priv_change) ss = SegmentFromDescriptor(ss.selector, ssd);
  *new_ss = ss;
  *new_rsp = (base_rsp & ~mask) | ((base_rsp - w * f.n) & mask);
  return true;
}

}  // namespace

bool Cpu::DeliverEvent(uint8_t vector, EventKind kind, bool has_error, uint32_t error,
                       uint64_t return_rip) {
  const bool software = kind == EventKind::kSoftwareInterrupt ||
                        kind == EventKind::kSoftwareException;
  const uint32_t ext = software ? 0 : 1;  // error-code EXT bit for faults during delivery
  uint64_t rflags = s.Rflags();
  if (kind == EventKind::kHardwareException && IsFaultClass(vector)) rflags |= kFlagRF;

  if (!s.protected_mode()) return DeliverRealMode(*this, vector, rflags, return_rip);
  if (s.virtual_8086()) {
    return Stop("interrupt delivery from virtual-8086 mode (not implemented)");
  }
  Target t;
  bool trap_gate = false;
  if (!ResolveGate(*this, vector, software, ext, &t, &trap_gate)) return false;

  const bool ia32e = s.long_mode_active();
  const Frame f = BuildFrame(s, has_error, error, return_rip, rflags, ia32e || t.priv_change);
  Segment new_ss = s.seg[kSs];
  uint64_t new_rsp;
  if (ia32e) {
    if (!PushIa32eFrame(*this, t, ext, f, &new_rsp)) return false;
    // A privilege change loads SS with a null selector whose RPL is the new CPL.
    if (t.priv_change) new_ss = NullSegment(static_cast<uint16_t>(t.new_cpl), t.new_cpl);
  } else if (!PushLegacyFrame(*this, t, ext, f, &new_ss, &new_rsp)) {
    return false;
  }

  // Commit (nothing above changed registers).
  if (!MarkDescriptorAccessed(*this, t.cs_sel, &t.cs_desc)) return false;
  s.seg[kCs] = CodeSegmentAt(t.cs_sel, t.cs_desc, t.new_cpl);
  s.seg[kSs] = new_ss;
  s.gpr[kRsp] = new_rsp;
  s.rip = t.rip;
  uint64_t clear = kFlagTF | kFlagNT | kFlagRF | kFlagVM;
  if (!trap_gate) clear |= kFlagIF;
  SetFlags(clear, 0);
  if (kind == EventKind::kNmi) s.nmi_blocked = true;
  SegmentsChanged();
  return true;
}

void Cpu::EnterShutdown(std::string why) {
  shutdown_ = true;
  shutdown_message_ = absl::StrFormat(
      "triple fault (shutdown): %s\n  RIP=%016x RSP=%016x RFLAGS=%08x CS=%04x SS=%04x\n"
      "  CR0=%08x CR2=%016x CR3=%016x CR4=%08x EFER=%x\n"
      "  RAX=%016x RBX=%016x RCX=%016x RDX=%016x\n  RSI=%016x RDI=%016x RBP=%016x",
      why, s.rip, s.gpr[kRsp], s.Rflags(), s.seg[kCs].selector, s.seg[kSs].selector, s.cr0,
      s.cr2, s.cr3, s.cr4, s.msr.efer, s.gpr[kRax], s.gpr[kRbx], s.gpr[kRcx], s.gpr[kRdx],
      s.gpr[kRsi], s.gpr[kRdi], s.gpr[kRbp]);
}

void Cpu::DeliverFault() {
  Fault f = fault_;
  fault_pending_ = false;
  // The double-fault rules (SDM Vol. 3A Table 6-5): a second exception while delivering
  // the first either is handled serially, becomes #DF, or (during #DF) shuts down.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const bool push_error = f.has_error_code && s.protected_mode();
    if (DeliverEvent(f.vector, EventKind::kHardwareException, push_error, f.error_code, s.rip)) {
      return;
    }
    if (error_ || !fault_pending_) return;
    const Fault second = fault_;
    fault_pending_ = false;
    const ExceptionClass a = ClassOf(f.vector), b = ClassOf(second.vector);
    if (a == ExceptionClass::kDoubleFault) {
      EnterShutdown(absl::StrFormat("vector %d while delivering #DF", second.vector));
      return;
    }
    const bool df = (a == ExceptionClass::kContributory && b == ExceptionClass::kContributory) ||
                    (a == ExceptionClass::kPageFault &&
                     (b == ExceptionClass::kContributory || b == ExceptionClass::kPageFault));
    f = df ? Fault{kDF, true, 0} : second;
  }
  EnterShutdown("exception delivery did not converge");
}

void Cpu::DeliverSingleStepTrap() {
  s.dr[6] |= 1ull << 14;  // DR6.BS (SDM Vol. 3B 17.2.3)
  if (!DeliverEvent(kDB, EventKind::kHardwareException, false, 0, s.rip) && fault_pending_) {
    DeliverFault();
  }
}

bool Cpu::DeliverPendingEvents() {
  if (check_events_) {
    check_events_ = false;
    if (!nmi_latched_ && platform_.TakeNmi()) nmi_latched_ = true;
    irq_line_ = platform_.InterruptPending();
  }
  // NMI first (SDM Vol. 3A 6.9 priorities), blocked until IRET and by MOV SS.
  if (nmi_latched_ && !s.nmi_blocked && !s.mov_ss_shadow) {
    nmi_latched_ = false;
    s.halted = false;
    if (!DeliverEvent(kNMI, EventKind::kNmi, false, 0, s.rip)) {
      if (fault_pending_) DeliverFault();
      return false;
    }
    return true;
  }
  if (irq_line_ && (s.rflags_base & kFlagIF) && !s.sti_shadow && !s.mov_ss_shadow) {
    const uint8_t vector = platform_.AcknowledgeInterrupt();
    check_events_ = true;  // another interrupt may be pending behind this one
    irq_line_ = false;
    s.halted = false;
    if (!DeliverEvent(vector, EventKind::kExternal, false, 0, s.rip)) {
      if (fault_pending_) DeliverFault();
      return false;
    }
  }
  return true;
}

}  // namespace vmxemu::cpu
