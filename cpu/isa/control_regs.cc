// Control and debug registers: MOV to/from CR0, CR2, CR3, CR4, CR8 and DR0-DR7; CLTS,
// LMSW, SMSW, INVLPG, WBINVD, INVD (SDM Vol. 2A/2B; Vol. 3A 2.5 "Control Registers",
// 4.1.1, 4.4.1, 9.8.5 "Initializing IA-32e Mode"; Vol. 3B 17.2 "Debug Registers").
//
// Writes that change the paging mode or the operating mode re-derive the cached state
// and flush the TLB (cpu.StateChanged()); every write to a control or debug register
// ends the block (they are serializing).
//
// Not implemented: hardware breakpoints (a DR7 write enabling any of L0-L3/G0-G3 stops
// the run), PCIDs, and every CR4 feature CPUID does not offer (see kCr4Supported).
#include "absl/strings/str_format.h"
#include "cpu/isa/isa.h"
#include "cpu/isa/privilege.h"
#include "cpu/isa/shared_mnemonic.h"

namespace vmxemu::cpu::isa {
namespace {

// CR0 flags that exist (SDM Vol. 3A 2.5, Figure 2-7). Setting another bit of CR0[31:0]
// is ignored; CR0[63:32] must be 0 (#GP). ET is hardwired to 1 on P6 and later.
constexpr uint64_t kCr0Defined = cr0::kPE | cr0::kMP | cr0::kEM | cr0::kTS | cr0::kET |
                                 cr0::kNE | cr0::kWP | cr0::kAM | cr0::kNW | cr0::kCD |
                                 cr0::kPG;

// CR4 flags this processor implements; every other bit is reserved (#GP), because the
// feature is not offered by CPUID: VME/PVI (virtual-8086 extensions), OSFXSR/OSXMMEXCPT
// (no FXSR/SSE), UMIP, LA57, SMXE, FSGSBASE, PCIDE, OSXSAVE, KL, SMEP, SMAP, PKE, CET,
// PKS. VMXE (bit 13) is reserved too until VMX is offered (the next issue adds it here
// together with CPUID.01H:ECX.VMX). PCE is kept: RDPMC faults for every counter anyway.
constexpr uint64_t kCr4Supported = cr4::kTSD | cr4::kDE | cr4::kPSE | cr4::kPAE | cr4::kMCE |
                                   cr4::kPGE | cr4::kPCE;

// PAE paging: CR0.PG = 1, CR4.PAE = 1, IA32_EFER.LMA = 0 (SDM Vol. 3A 4.1.1).
bool PaePaging(uint64_t cr0_value, uint64_t cr4_value, uint64_t efer_value) {
  return (cr0_value & cr0::kPG) && (cr4_value & cr4::kPAE) && !(efer_value & efer::kLMA);
}

// MOV to CR0 (also LMSW): SDM Vol. 2B MOV CR "Protected Mode Exceptions", Vol. 3A 9.8.5.
bool WriteCr0(Cpu& cpu, uint64_t value) {
  CpuState& s = cpu.s;
  if (value >> 32) return cpu.Raise(kGP, 0);
  const uint64_t v = (value & kCr0Defined) | cr0::kET;
  if ((v & cr0::kPG) && !(v & cr0::kPE)) return cpu.Raise(kGP, 0);
  if ((v & cr0::kNW) && !(v & cr0::kCD)) return cpu.Raise(kGP, 0);
  const uint64_t changed = v ^ s.cr0;
  uint64_t efer = s.msr.efer;
  if ((changed & cr0::kPG) && (v & cr0::kPG) && (efer & efer::kLME)) {
    // Enabling paging with LME = 1 activates IA-32e mode: PAE must be on, and CS must
    // not be a 64-bit segment nor TR a 16-bit TSS (types 1 and 3).
    if (!(s.cr4 & cr4::kPAE) || s.seg[kCs].ar.l()) return cpu.Raise(kGP, 0);
    if (s.tr.ar.type() == 1 || s.tr.ar.type() == 3) return cpu.Raise(kGP, 0);
    efer |= efer::kLMA;
  } else if ((changed & cr0::kPG) && !(v & cr0::kPG) && (efer & efer::kLMA)) {
    // Leaving IA-32e mode is allowed only from compatibility mode.
    if (s.in_64bit_mode()) return cpu.Raise(kGP, 0);
    efer &= ~efer::kLMA;
  }
  // SDM Vol. 3A 4.4.1: the PDPTEs are loaded when PAE paging will be in use and CD,
  // NW or PG changes.
  if (PaePaging(v, s.cr4, efer) && (changed & (cr0::kCD | cr0::kNW | cr0::kPG)) &&
      !cpu.LoadPdptes(s.cr3)) {
    return cpu.Raise(kGP, 0);
  }
  s.cr0 = v;
  s.msr.efer = efer;
  // The mode (PE, PG and with it LMA) and write protection shape the decode mode and
  // the TLB; TS, MP, EM, NE, AM, CD and NW are not cached anywhere.
  if (changed & (cr0::kPE | cr0::kPG | cr0::kWP)) cpu.StateChanged();
  return true;
}

bool WriteCr3(Cpu& cpu, uint64_t value) {
  CpuState& s = cpu.s;
  // CR3[63:MAXPHYADDR] are reserved (bit 63 too: PCIDs are not offered). Only 64-bit
  // mode can supply them; elsewhere the operand is 32 bits.
  if (value & ~kPhysAddrMask) return cpu.Raise(kGP, 0);
  // Bits 11:0 are kept: paging ignores them without PCIDs (SDM Vol. 3A Table 4-12),
  // and PAE paging takes its table address from bits 31:5.
  if (PaePaging(s.cr0, s.cr4, s.msr.efer) && !cpu.LoadPdptes(value)) return cpu.Raise(kGP, 0);
  s.cr3 = value;
  cpu.FlushTlb();  // global pages included: the TLB keeps no global entries
  return true;
}

bool WriteCr4(Cpu& cpu, uint64_t value) {
  CpuState& s = cpu.s;
  if (value & ~kCr4Supported) return cpu.Raise(kGP, 0);
  // Clearing PAE in IA-32e mode would leave it: #GP.
  if ((s.msr.efer & efer::kLMA) && !(value & cr4::kPAE)) return cpu.Raise(kGP, 0);
  const uint64_t changed = value ^ s.cr4;
  if (PaePaging(s.cr0, value, s.msr.efer) && (changed & (cr4::kPAE | cr4::kPGE | cr4::kPSE)) &&
      !cpu.LoadPdptes(s.cr3)) {
    return cpu.Raise(kGP, 0);
  }
  s.cr4 = value;
  // Paging-structure bits change translations (SDM Vol. 3A 4.10.4.1); TSD, DE, MCE and
  // PCE are read where they apply.
  if (changed & (cr4::kPSE | cr4::kPAE | cr4::kPGE)) cpu.StateChanged();
  return true;
}

// CR8 is TPR[7:4] (SDM Vol. 3A 10.8.6.1); CR8[63:4] are reserved.
bool WriteCr8(Cpu& cpu, uint64_t value) {
  if (value & ~0xFull) return cpu.Raise(kGP, 0);
  cpu.s.cr8 = static_cast<uint8_t>(value);
  cpu.RecheckEvents();  // a lower priority class may unblock a pending interrupt
  return true;
}

uint64_t ReadCr(const CpuState& s, int cr) {
  switch (cr) {
    case 0: return s.cr0;
    case 2: return s.cr2;
    case 3: return s.cr3;
    case 4: return s.cr4;
    default: return s.cr8;
  }
}

// MOV CR: the GPR is 64 bits in 64-bit mode and 32 bits elsewhere, whatever the
// operand-size prefix (SDM Vol. 2B MOV CR "Description").
template <int kCr, bool k64>
struct MovToCr {
  static bool Run(Cpu& cpu, const Insn& i) {
    if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
    const uint64_t v = k64 ? cpu.GetReg<uint64_t>(i.r1) : cpu.GetReg<uint32_t>(i.r1);
    switch (kCr) {
      case 0: return WriteCr0(cpu, v);
      case 2: cpu.s.cr2 = v; return true;
      case 3: return WriteCr3(cpu, v);
      case 4: return WriteCr4(cpu, v);
      default: return WriteCr8(cpu, v);
    }
  }
};

template <int kCr, bool k64>
struct MovFromCr {
  static bool Run(Cpu& cpu, const Insn& i) {
    if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
    const uint64_t v = ReadCr(cpu.s, kCr);
    if (k64) {
      cpu.SetReg<uint64_t>(i.r0, v);
    } else {
      cpu.SetReg<uint32_t>(i.r0, static_cast<uint32_t>(v));
    }
    return true;
  }
};

// ---- debug registers (SDM Vol. 3B 17.2, Vol. 2B MOV DR) ----

constexpr uint64_t kDr6Fixed = 0xFFFF0FF0;  // reads as 1 (no RTM, no bus-lock detect)
constexpr uint64_t kDr6Writable = 0xE00F;   // B0-B3, BD, BS, BT
constexpr uint64_t kDr6Bd = 1ull << 13;
constexpr uint64_t kDr7Gd = 1ull << 13;
constexpr uint64_t kDr7Enables = 0xFF;       // L0, G0, ..., L3, G3
// Settable: enables, LE, GE, GD, R/W and LEN fields; bit 10 reads 1, bits 11, 12, 14
// and 15 read 0.
constexpr uint64_t kDr7Writable = 0xFFFF23FF;
constexpr uint64_t kDr7Fixed = 0x400;

// The checks every MOV DR makes, in Bochs' order: DR4/DR5 with CR4.DE = 1 is #UD; with
// DR7.GD = 1 the access is a debug-exception fault that sets DR6.BD and clears DR7.GD
// (17.2.4); then the privilege check.
bool CheckDrAccess(Cpu& cpu, int dr) {
  CpuState& s = cpu.s;
  if ((dr == 4 || dr == 5) && (s.cr4 & cr4::kDE)) return cpu.Raise(kUD);
  if (s.dr[7] & kDr7Gd) {
    s.dr[6] |= kDr6Bd;
    s.dr[7] &= ~kDr7Gd;
    return cpu.Raise(kDB);
  }
  if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
  return true;
}

// With CR4.DE = 0, DR4 and DR5 are aliases of DR6 and DR7.
constexpr int Alias(int dr) { return dr == 4 || dr == 5 ? dr + 2 : dr; }

template <int kDr, bool k64>
struct MovToDr {
  static bool Run(Cpu& cpu, const Insn& i) {
    if (!CheckDrAccess(cpu, kDr)) return false;
    const uint64_t v = k64 ? cpu.GetReg<uint64_t>(i.r1) : cpu.GetReg<uint32_t>(i.r1);
    constexpr int dr = Alias(kDr);
    if constexpr (dr < 4) {
      cpu.s.dr[dr] = v;  // no check of the address (17.2.1)
      return true;
    }
    if (v >> 32) return cpu.Raise(kGP, 0);  // DR6/DR7[63:32] (64-bit mode only)
    if constexpr (dr == 6) {
      cpu.s.dr[6] = (v & kDr6Writable) | kDr6Fixed;
    } else {
      if (v & kDr7Enables) {
        return cpu.Stop(absl::StrFormat(
            "hardware breakpoints (DR7=0x%x enables L/G bits 0x%x) are not implemented", v,
            v & kDr7Enables));
      }
      cpu.s.dr[7] = (v & kDr7Writable) | kDr7Fixed;
    }
    return true;
  }
};

template <int kDr, bool k64>
struct MovFromDr {
  static bool Run(Cpu& cpu, const Insn& i) {
    if (!CheckDrAccess(cpu, kDr)) return false;
    const uint64_t v = cpu.s.dr[Alias(kDr)];
    if (k64) {
      cpu.SetReg<uint64_t>(i.r0, v);
    } else {
      cpu.SetReg<uint32_t>(i.r0, static_cast<uint32_t>(v));
    }
    return true;
  }
};

template <template <int, bool> class H, bool k64>
Handler CrHandler(int cr) {
  switch (cr) {
    case 0: return &H<0, k64>::Run;
    case 2: return &H<2, k64>::Run;
    case 3: return &H<3, k64>::Run;
    case 4: return &H<4, k64>::Run;
    case 8: return &H<8, k64>::Run;
    default: return nullptr;  // CR1, CR5-CR7, CR9-CR15: Zydis reports #UD
  }
}

template <template <int, bool> class H, bool k64>
Handler DrHandler(int dr) {
  switch (dr) {
    case 0: return &H<0, k64>::Run;
    case 1: return &H<1, k64>::Run;
    case 2: return &H<2, k64>::Run;
    case 3: return &H<3, k64>::Run;
    case 4: return &H<4, k64>::Run;
    case 5: return &H<5, k64>::Run;
    case 6: return &H<6, k64>::Run;
    case 7: return &H<7, k64>::Run;
    default: return nullptr;
  }
}

// MOV with a control or debug register operand (the other MOV forms belong to mov.cc
// and segment_regs.cc; see shared_mnemonic.h).
bool IsCrOrDr(const DecodeContext& ctx, int k) {
  if (ctx.kind(k) != DecodeContext::kReg) return false;
  const ZydisRegisterClass cls = ZydisRegisterGetClass(ctx.ops[k].reg.value);
  return cls == ZYDIS_REGCLASS_CONTROL || cls == ZYDIS_REGCLASS_DEBUG;
}

bool HasCrOrDrOperand(const DecodeContext& ctx) { return IsCrOrDr(ctx, 0) || IsCrOrDr(ctx, 1); }

Handler BindMovCrDr(const DecodeContext& ctx, Insn* insn) {
  const bool to = IsCrOrDr(ctx, 0);  // operand 0 is the destination
  const ZydisRegister reg = ctx.ops[to ? 0 : 1].reg.value;
  const int n = ZydisRegisterGetId(reg);
  if (to) insn->flags |= Insn::kEndsBlock;  // serializing; may change the mode
  const bool k64 = ctx.in_64bit_mode();
  if (ZydisRegisterGetClass(reg) == ZYDIS_REGCLASS_CONTROL) {
    if (k64) return to ? CrHandler<MovToCr, true>(n) : CrHandler<MovFromCr, true>(n);
    return to ? CrHandler<MovToCr, false>(n) : CrHandler<MovFromCr, false>(n);
  }
  if (k64) return to ? DrHandler<MovToDr, true>(n) : DrHandler<MovFromDr, true>(n);
  return to ? DrHandler<MovToDr, false>(n) : DrHandler<MovFromDr, false>(n);
}

// ---- CLTS, LMSW, SMSW, INVLPG, WBINVD, INVD ----

// SDM Vol. 2A CLTS: clears CR0.TS; CPL 0 only.
bool Clts(Cpu& cpu, const Insn&) {
  if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
  cpu.s.cr0 &= ~cr0::kTS;
  return true;
}

// SDM Vol. 2A LMSW: loads CR0[3:0] (PE, MP, EM, TS) from the 16-bit source; it can set
// PE but not clear it.
template <bool kMem>
bool Lmsw(Cpu& cpu, const Insn& i) {
  if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
  uint16_t msw;
  if (!LoadOperand<uint16_t, kMem>(cpu, i, i.r0, &msw)) return false;
  const uint64_t cr0_value = cpu.s.cr0;
  return WriteCr0(cpu, (cr0_value & ~0xFull) | (msw & 0xF) | (cr0_value & cr0::kPE));
}

// SDM Vol. 2B SMSW: not privileged (UMIP is not offered). A register destination gets
// CR0 at the operand size (CR0[31:0] zero-extended for 32 bits), memory gets CR0[15:0].
template <int kBits>
struct SmswReg {
  static bool Run(Cpu& cpu, const Insn& i) {
    cpu.SetReg<UInt<kBits>>(i.r0, static_cast<UInt<kBits>>(cpu.s.cr0));
    return true;
  }
};

bool SmswMem(Cpu& cpu, const Insn& i) {
  return cpu.Write<uint16_t>(i.seg, cpu.Ea(i), static_cast<uint16_t>(cpu.s.cr0));
}

// SDM Vol. 2A INVLPG: invalidates the TLB entries for the page of the linear address of
// the memory operand (a non-canonical address invalidates nothing).
bool Invlpg(Cpu& cpu, const Insn& i) {
  if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
  const Segment& sg = cpu.s.seg[i.seg];
  const uint64_t ea = cpu.Ea(i);
  const uint64_t lin = cpu.code_size() == 8
                           ? ea + (i.seg == kFs || i.seg == kGs ? sg.base : 0)
                           : (ea + sg.base) & 0xFFFFFFFFull;
  cpu.FlushTlbPage(lin);
  return true;
}

// SDM Vol. 2A INVD/WBINVD: there are no caches to write back or invalidate.
bool CacheFlush(Cpu& cpu, const Insn&) {
  if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
  return true;
}

Handler BindClts(const DecodeContext&, Insn*) { return &Clts; }
Handler BindCacheFlush(const DecodeContext&, Insn*) { return &CacheFlush; }

Handler BindLmsw(const DecodeContext& ctx, Insn*) {
  return ctx.kind(0) == DecodeContext::kMem ? &Lmsw<true> : &Lmsw<false>;
}

Handler BindSmsw(const DecodeContext& ctx, Insn* insn) {
  if (ctx.kind(0) == DecodeContext::kMem) return &SmswMem;
  switch (insn->opsize) {
    case 2: return &SmswReg<16>::Run;
    case 4: return &SmswReg<32>::Run;
    default: return &SmswReg<64>::Run;
  }
}

Handler BindInvlpg(const DecodeContext& ctx, Insn*) {
  return ctx.kind(0) == DecodeContext::kMem ? &Invlpg : nullptr;
}

}  // namespace

void RegisterControlRegs(BinderTable& t) {
  // Blocks end after the writes only (BindMovCrDr marks them).
  SharedMnemonic<ZYDIS_MNEMONIC_MOV, &HasCrOrDrOperand, &BindMovCrDr>::Register(t, false);
  t.Set(ZYDIS_MNEMONIC_CLTS, &BindClts, true);
  t.Set(ZYDIS_MNEMONIC_LMSW, &BindLmsw, true);
  t.Set(ZYDIS_MNEMONIC_SMSW, &BindSmsw);
  t.Set(ZYDIS_MNEMONIC_INVLPG, &BindInvlpg, true);
  t.Set(ZYDIS_MNEMONIC_WBINVD, &BindCacheFlush, true);
  t.Set(ZYDIS_MNEMONIC_INVD, &BindCacheFlush, true);
}

}  // namespace vmxemu::cpu::isa
