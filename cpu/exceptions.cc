// Interrupt and exception delivery (SDM Vol. 3A ch. 6): real-mode IVT, protected-mode
// and IA-32e IDT gates with privilege checks and stack switches, the double-fault rules
// and shutdown.
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

}  // namespace

bool Cpu::DeliverEvent(uint8_t vector, EventKind kind, bool has_error, uint32_t error,
                       uint64_t return_rip) {
  const bool software = kind == EventKind::kSoftwareInterrupt ||
                        kind == EventKind::kSoftwareException;
  const uint32_t ext = software ? 0 : 1;  // error-code EXT bit for faults during delivery
  uint64_t rflags = s.Rflags();
  if (kind == EventKind::kHardwareException && IsFaultClass(vector)) rflags |= kFlagRF;

  if (!s.protected_mode()) {
    // Real mode: 4-byte IVT entries; push FLAGS, CS, IP (Vol. 3A 20.1.4).
    if (vector * 4u + 3 > s.idtr.limit) return Raise(kGP, vector * 8 + 2 + ext);
    uint64_t entry;
    if (!LinearRead(s.idtr.base + vector * 4u, 4, false, &entry)) return false;
    const uint16_t sp0 = static_cast<uint16_t>(s.gpr[kRsp]);
    const uint64_t ss = s.seg[kSs].base;
    const uint16_t frame[3] = {static_cast<uint16_t>(return_rip),
                               s.seg[kCs].selector, static_cast<uint16_t>(rflags)};
    for (int i = 0; i < 3; ++i) {
      const uint16_t sp = static_cast<uint16_t>(sp0 - 2 * (3 - i));
      if (!LinearWrite((ss + sp) & 0xFFFFFFFFull, 2, false, frame[i])) return false;
    }
    s.gpr[kRsp] = (s.gpr[kRsp] & ~0xFFFFull) | static_cast<uint16_t>(sp0 - 6);
    LoadRealModeSegment(s, kCs, static_cast<uint16_t>(entry >> 16));
    s.rip = entry & 0xFFFF;
    SetFlags(kFlagIF | kFlagTF | kFlagAC | kFlagRF, 0);
    SegmentsChanged();
    return true;
  }
  if (s.virtual_8086()) return Stop("interrupt delivery from virtual-8086 mode (not implemented)");

  const bool ia32e = s.long_mode_active();
  const uint32_t idt_err = vector * 8 + 2 + ext;
  const uint32_t gate_size = ia32e ? 16 : 8;
  if (vector * gate_size + gate_size - 1 > s.idtr.limit) return Raise(kGP, idt_err);
  Descriptor gate;
  if (!LinearRead(s.idtr.base + vector * gate_size, 8, false, &gate.lo)) return false;
  if (ia32e && !LinearRead(s.idtr.base + vector * gate_size + 8, 8, false, &gate.hi)) return false;
  const AccessRights gar = gate.ar();
  const uint32_t type = gar.type();
  // Gate types: 32-bit interrupt 0xE / trap 0xF (64-bit in IA-32e); 16-bit 0x6/0x7 and
  // task gates 0x5 only outside IA-32e.
  const bool is_task = !ia32e && type == 0x5;
  const bool is_16 = !ia32e && (type == 0x6 || type == 0x7);
  if (gar.s() || !(type == 0xE || type == 0xF || is_task || is_16)) return Raise(kGP, idt_err);
  if (software && gar.dpl() < s.cpl()) return Raise(kGP, idt_err);
  if (!gar.present()) return Raise(kNP, idt_err);
  if (is_task) return Stop(absl::StrFormat("task gate for vector %d (task switching is not implemented)", vector));
  const bool trap_gate = (type & 1) != 0;

  const uint16_t cs_sel = gate.gate_selector();
  if ((cs_sel & 0xFFFC) == 0) return Raise(kGP, ext);
  Descriptor cs_desc;
  if (!ReadDescriptor(*this, cs_sel, false, ext, &cs_desc)) return false;
  const AccessRights car = cs_desc.ar();
  if (!car.code() || car.dpl() > s.cpl()) return Raise(kGP, (cs_sel & 0xFFFC) | ext);
  if (!car.present()) return Raise(kNP, (cs_sel & 0xFFFC) | ext);
  if (ia32e && (!car.l() || car.db())) return Raise(kGP, (cs_sel & 0xFFFC) | ext);
  const int new_cpl = car.conforming() ? s.cpl() : car.dpl();
  const bool priv_change = new_cpl < s.cpl();

  const uint64_t old_ss = s.seg[kSs].selector, old_rsp = s.gpr[kRsp];
  Segment new_ss = s.seg[kSs];
  uint64_t rsp = old_rsp;
  if (ia32e) {
    // IA-32e: RSP from the 64-bit TSS (IST or RSPn), SS = NULL, 16-byte aligned,
    // every push 8 bytes (Vol. 3A 6.14.2-6.14.5).
    const int ist = gate.gate_ist();
    if (ist != 0 || priv_change) {
      const uint32_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * new_cpl;
      if (off + 7 > s.tr.limit) return Raise(kTS, (s.tr.selector & 0xFFFC) | ext);
      if (!LinearRead(s.tr.base + off, 8, false, &rsp)) return false;
    }
    if (priv_change) {
      new_ss = Segment{.selector = static_cast<uint16_t>(new_cpl), .base = 0, .limit = 0,
                       .ar = {AccessRights::kUnusable | static_cast<uint32_t>(new_cpl << 5)}};
    }
    rsp &= ~0xFull;
    uint64_t frame[6];
    int n = 0;
    if (has_error) frame[n++] = error;
    frame[n++] = return_rip;
    frame[n++] = s.seg[kCs].selector;
    frame[n++] = rflags;
    frame[n++] = old_rsp;
    frame[n++] = old_ss;
    for (int i = 0; i < n; ++i) {
      if (!LinearWrite(rsp - 8 * (n - i), 8, false, frame[i])) return false;
    }
    rsp -= 8 * n;
  } else {
    const int w = is_16 ? 2 : 4;
    uint64_t ss_base = s.seg[kSs].base;
    uint64_t mask = s.seg[kSs].ar.db() ? 0xFFFFFFFFull : 0xFFFF;
    if (priv_change) {
      // 32-bit TSS: SSn at 8+8n, ESPn at 4+8n (Vol. 3A 7.2.1).
      const uint32_t off = 4 + 8 * new_cpl;
      if (off + 5 > s.tr.limit) return Raise(kTS, (s.tr.selector & 0xFFFC) | ext);
      uint64_t esp, ss;
      if (!LinearRead(s.tr.base + off, 4, false, &esp)) return false;
      if (!LinearRead(s.tr.base + off + 4, 2, false, &ss)) return false;
      const uint16_t ss_sel = static_cast<uint16_t>(ss);
      if ((ss_sel & 0xFFFC) == 0) return Raise(kTS, ext);
      Descriptor ssd;
      if (!ReadDescriptor(*this, ss_sel, false, ext, &ssd)) return false;
      if ((ss_sel & 3) != new_cpl || ssd.ar().dpl() != new_cpl || !ssd.ar().writable()) {
        return Raise(kTS, (ss_sel & 0xFFFC) | ext);
      }
      if (!ssd.ar().present()) return Raise(kSS, (ss_sel & 0xFFFC) | ext);
      new_ss = SegmentFromDescriptor(ss_sel, ssd);
      ss_base = new_ss.base;
      mask = new_ss.ar.db() ? 0xFFFFFFFFull : 0xFFFF;
      rsp = esp;
    }
    uint64_t frame[6];
    int n = 0;
    if (has_error) frame[n++] = error;
    frame[n++] = return_rip;
    frame[n++] = s.seg[kCs].selector;
    frame[n++] = rflags;
    if (priv_change) {
      frame[n++] = old_rsp;
      frame[n++] = old_ss;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t sp = (rsp - w * (n - i)) & mask;
      if (!LinearWrite((ss_base + sp) & 0xFFFFFFFFull, w, false, frame[i])) return false;
    }
    rsp = (rsp - w * n) & mask;
    if (mask == 0xFFFF) rsp |= (priv_change ? 0 : old_rsp & ~0xFFFFull);
  }

  // Commit (nothing above changed registers).
  if (!MarkDescriptorAccessed(*this, cs_sel, &cs_desc)) return false;
  s.seg[kCs] = SegmentFromDescriptor(static_cast<uint16_t>((cs_sel & 0xFFFC) | new_cpl), cs_desc);
  if (priv_change) s.seg[kSs] = new_ss;
  s.gpr[kRsp] = rsp;
  s.rip = ia32e ? gate.gate_offset() : (is_16 ? gate.gate_offset() & 0xFFFF : gate.gate_offset() & 0xFFFFFFFFull);
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
