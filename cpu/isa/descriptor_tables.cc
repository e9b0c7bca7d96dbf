// Descriptor-table registers and descriptor checks: LGDT, LIDT, SGDT, SIDT, LLDT, LTR,
// SLDT, STR, LAR, LSL, VERR, VERW (SDM Vol. 2A/2B; Vol. 3A 3.5 "System Descriptor
// Types", 7.2 "Task Management Data Structures").
//
// LAR, LSL, VERR and VERW never fault on the selector they check: a null selector, an
// index beyond the table limit, an unusable LDT or a descriptor that fails the checks
// clears ZF. Only the operand access (and the descriptor-table read itself, e.g. #PF)
// can fault. UMIP is not offered, so SGDT/SIDT/SLDT/STR work at any CPL.
#include "cpu/isa/isa.h"
#include "cpu/isa/privilege.h"
#include "cpu/segments.h"

namespace vmxemu::cpu::isa {
namespace {

// Protected mode proper: LLDT, LTR, SLDT, STR, LAR, LSL, VERR, VERW are #UD elsewhere.
bool ProtectedNotV86(const Cpu& cpu) { return cpu.s.protected_mode() && !cpu.s.virtual_8086(); }

uint64_t AddressMask(const Insn& i) {
  return i.addrsize == 8 ? ~0ull : i.addrsize == 4 ? 0xFFFFFFFFull : 0xFFFF;
}

// ---- LGDT, LIDT (SDM Vol. 2A): limit, then a 24-bit (16-bit operand size), 32-bit or
// (64-bit mode) 64-bit base. CPL 0; virtual-8086 mode is #GP(0).
template <bool kIdt>
bool LoadTableRegister(Cpu& cpu, const Insn& i) {
  if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
  const uint64_t ea = cpu.Ea(i);
  const uint64_t ea_base = (ea + 2) & AddressMask(i);
  uint16_t limit;
  uint64_t base;
  if (!cpu.Read<uint16_t>(i.seg, ea, &limit)) return false;
  if (i.opsize == 8) {
    if (!cpu.Read<uint64_t>(i.seg, ea_base, &base)) return false;
  } else {
    uint32_t base32;
    if (!cpu.Read<uint32_t>(i.seg, ea_base, &base32)) return false;
    base = i.opsize == 2 ? base32 & 0xFFFFFF : base32;
  }
  (kIdt ? cpu.s.idtr : cpu.s.gdtr) = DescriptorTable{base, limit};
  return true;
}

// ---- SGDT, SIDT (SDM Vol. 2B): limit, then the base: 8 bytes in 64-bit mode, else 4
// (with a 16-bit operand size, 24 bits and a zero byte).
template <bool kIdt>
bool StoreTableRegister(Cpu& cpu, const Insn& i) {
  const DescriptorTable& table = kIdt ? cpu.s.idtr : cpu.s.gdtr;
  const uint64_t ea = cpu.Ea(i);
  const uint64_t ea_base = (ea + 2) & AddressMask(i);
  const int base_size = i.opsize == 8 ? 8 : 4;
  if (!cpu.ProbeWrite(i.seg, ea, 2 + base_size)) return false;
  if (!cpu.Write<uint16_t>(i.seg, ea, static_cast<uint16_t>(table.limit))) return false;
  if (i.opsize == 8) return cpu.Write<uint64_t>(i.seg, ea_base, table.base);
  const uint32_t base = static_cast<uint32_t>(table.base) & (i.opsize == 2 ? 0xFFFFFF : ~0u);
  return cpu.Write<uint32_t>(i.seg, ea_base, base);
}

// ---- LLDT, LTR: the common checks; `*d` receives the descriptor (16 bytes in IA-32e
// mode, SDM Vol. 3A 3.5.2).
bool ReadSystemDescriptor(Cpu& cpu, uint16_t sel, Descriptor* d) {
  if (sel & 4) return cpu.Raise(kGP, sel & 0xFFFC);  // must be in the GDT
  return ReadDescriptor(cpu, sel, cpu.s.long_mode_active(), 0, d);
}

// SDM Vol. 2A LLDT: a null selector marks LDTR unusable; otherwise an LDT descriptor
// (type 2) that is present, with a canonical base in IA-32e mode.
template <bool kMem>
bool Lldt(Cpu& cpu, const Insn& i) {
  if (!ProtectedNotV86(cpu)) return cpu.Raise(kUD);
  if (cpu.s.cpl() != 0) return cpu.Raise(kGP, 0);
  uint16_t sel;
  if (!LoadOperand<uint16_t, kMem>(cpu, i, i.r0, &sel)) return false;
  if ((sel & 0xFFFC) == 0) {
    cpu.s.ldtr.selector = sel;
    cpu.s.ldtr.ar.raw = AccessRights::kUnusable;
    return true;
  }
  const uint32_t err = sel & 0xFFFC;
  Descriptor d;
  if (!ReadSystemDescriptor(cpu, sel, &d)) return false;
  if (d.ar().s() || d.ar().type() != 2) return cpu.Raise(kGP, err);
  if (!d.ar().present()) return cpu.Raise(kNP, err);
  Segment ldt = SegmentFromDescriptor(sel, d);
  if (cpu.s.long_mode_active()) {
    ldt.base = d.base64();
    if (!IsCanonical(ldt.base)) return cpu.Raise(kGP, err);
  }
  cpu.s.ldtr = ldt;
  return true;
}

// SDM Vol. 2A LTR: an available TSS (16- or 32-bit; only the 64-bit TSS, type 9, in
// IA-32e mode), present; the descriptor is marked busy in the GDT and TR loaded.
template <bool kMem>
bool Ltr(Cpu& cpu, const Insn& i) {
  if (!ProtectedNotV86(cpu)) return cpu.Raise(kUD);
  if (cpu.s.cpl() != 0) return cpu.Raise(kGP, 0);
  uint16_t sel;
  if (!LoadOperand<uint16_t, kMem>(cpu, i, i.r0, &sel)) return false;
  if ((sel & 0xFFFC) == 0) return cpu.Raise(kGP, 0);
  const uint32_t err = sel & 0xFFFC;
  const bool ia32e = cpu.s.long_mode_active();
  Descriptor d;
  if (!ReadSystemDescriptor(cpu, sel, &d)) return false;
  const uint32_t type = d.ar().type();
  if (d.ar().s() || !(type == 9 || (type == 1 && !ia32e))) return cpu.Raise(kGP, err);
  // The upper half of a 16-byte descriptor has a type field (bits 44:40) that must be 0.
  if (ia32e && ((d.hi >> 40) & 0x1F)) return cpu.Raise(kGP, err);
  if (!d.ar().present()) return cpu.Raise(kNP, err);
  Segment tr = SegmentFromDescriptor(sel, d);
  if (ia32e) {
    tr.base = d.base64();
    if (!IsCanonical(tr.base)) return cpu.Raise(kGP, err);
  }
  // Set the busy bit (type bit 1) in the descriptor's access byte.
  const uint64_t access = ((d.lo >> 40) & 0xFF) | 0x2;
  if (!cpu.LinearWrite(cpu.s.gdtr.base + (sel & 0xFFF8) + 5, 1, false, access)) return false;
  tr.ar.raw |= 0x2;
  cpu.s.tr = tr;
  return true;
}

// ---- SLDT, STR (SDM Vol. 2B): the selector; a register destination is zero-extended
// to the operand size, memory always gets 16 bits.
template <bool kTr, int kBits>
struct StoreSelector {
  static bool Run(Cpu& cpu, const Insn& i) {
    if (!ProtectedNotV86(cpu)) return cpu.Raise(kUD);
    const uint16_t sel = (kTr ? cpu.s.tr : cpu.s.ldtr).selector;
    if constexpr (kBits == 0) {
      return cpu.Write<uint16_t>(i.seg, cpu.Ea(i), sel);
    } else {
      cpu.SetReg<UInt<kBits>>(i.r0, sel);
      return true;
    }
  }
};

// ---- LAR, LSL, VERR, VERW ----

// The descriptor `sel` names, for the checking instructions. *found is false when
// there is none to check (null selector, beyond the limit, unusable LDT); returns false
// only when the table read faults. In IA-32e mode a system descriptor is 16 bytes and
// must fit in the table.
bool FetchForCheck(Cpu& cpu, uint16_t sel, Descriptor* d, bool* found) {
  const CpuState& s = cpu.s;
  *found = false;
  if ((sel & 0xFFFC) == 0) return true;
  uint64_t base = s.gdtr.base;
  uint32_t limit = s.gdtr.limit;
  if (sel & 4) {
    if (s.ldtr.ar.unusable() || (s.ldtr.selector & 0xFFFC) == 0) return true;
    base = s.ldtr.base;
    limit = s.ldtr.limit;
  }
  const uint32_t offset = sel & 0xFFF8;
  if (offset + 7 > limit) return true;
  *d = Descriptor{};
  if (!cpu.LinearRead(base + offset, 8, false, &d->lo)) return false;
  if (s.long_mode_active() && !d->ar().s()) {
    if (offset + 15 > limit) return true;
    if (!cpu.LinearRead(base + offset + 8, 8, false, &d->hi)) return false;
  }
  *found = true;
  return true;
}

// Non-conforming segments must be visible: CPL <= DPL and RPL <= DPL.
bool Visible(const Cpu& cpu, uint16_t sel, AccessRights ar) {
  return ar.conforming() || (cpu.s.cpl() <= ar.dpl() && (sel & 3) <= ar.dpl());
}

// System types LAR accepts (SDM Vol. 2A LAR, Table "Segment and Gate Types") and LSL
// accepts (LSL, same table): legacy / IA-32e mode.
bool LarType(uint32_t type, bool ia32e) {
  constexpr uint32_t kLegacy = 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 9 |
                               1u << 0xB | 1u << 0xC;
  constexpr uint32_t kIa32e = 1u << 2 | 1u << 9 | 1u << 0xB | 1u << 0xC;
  return ((ia32e ? kIa32e : kLegacy) >> type) & 1;
}
bool LslType(uint32_t type, bool ia32e) {
  constexpr uint32_t kLegacy = 1u << 1 | 1u << 2 | 1u << 3 | 1u << 9 | 1u << 0xB;
  constexpr uint32_t kIa32e = 1u << 2 | 1u << 9 | 1u << 0xB;
  return ((ia32e ? kIa32e : kLegacy) >> type) & 1;
}

enum class Check : uint8_t { kLar, kLsl, kVerr, kVerw };

// Whether the descriptor passes the instruction's checks (ZF).
template <Check kCheck>
bool Passes(const Cpu& cpu, uint16_t sel, const Descriptor& d) {
  const AccessRights ar = d.ar();
  const bool ia32e = cpu.s.long_mode_active();
  switch (kCheck) {
    case Check::kLar:
      if (!ar.s() && !LarType(ar.type(), ia32e)) return false;
      return Visible(cpu, sel, ar);
    case Check::kLsl:
      if (!ar.s() && !LslType(ar.type(), ia32e)) return false;
      return Visible(cpu, sel, ar);
    case Check::kVerr:
      // SDM Vol. 2B VERR: a code or data segment that is readable; conforming code
      // segments skip the privilege check.
      return ar.s() && ar.readable() && Visible(cpu, sel, ar);
    case Check::kVerw:
      return ar.writable() && Visible(cpu, sel, ar);
  }
  return false;
}

// LAR/LSL r, r/m16 and VERR/VERW r/m16. `kBits` is LAR/LSL's operand size.
template <Check kCheck, bool kMem, int kBits>
struct CheckSelector {
  static bool Run(Cpu& cpu, const Insn& i) {
    if (!ProtectedNotV86(cpu)) return cpu.Raise(kUD);
    constexpr bool kVer = kCheck == Check::kVerr || kCheck == Check::kVerw;
    uint16_t sel;
    if (!LoadOperand<uint16_t, kMem>(cpu, i, kVer ? i.r0 : i.r1, &sel)) return false;
    Descriptor d;
    bool found;
    if (!FetchForCheck(cpu, sel, &d, &found)) return false;
    const bool ok = found && Passes<kCheck>(cpu, sel, d);
    cpu.SetFlags(kFlagZF, ok ? kFlagZF : 0);
    if (!ok || kVer) return true;
    if constexpr (kCheck == Check::kLar) {
      // Access rights: bits 23:8 of the descriptor's second dword; with a 16-bit
      // operand bits 15:8 only. Bits 19:16 (undefined) read 0, as in QEMU.
      const uint32_t rights = static_cast<uint32_t>(d.lo >> 32) & (kBits == 16 ? 0xFF00 : 0xF0FF00);
      cpu.SetReg<UInt<kBits>>(i.r0, static_cast<UInt<kBits>>(rights));
    } else {
      cpu.SetReg<UInt<kBits>>(i.r0, static_cast<UInt<kBits>>(d.limit()));  // byte-granular
    }
    return true;
  }
};

template <Check kCheck, bool kMem>
Handler BySize(int opsize) {
  switch (opsize) {
    case 2: return &CheckSelector<kCheck, kMem, 16>::Run;
    case 4: return &CheckSelector<kCheck, kMem, 32>::Run;
    default: return &CheckSelector<kCheck, kMem, 64>::Run;
  }
}

template <Check kCheck>
Handler BindCheck(const DecodeContext& ctx, Insn* insn) {
  constexpr bool kVer = kCheck == Check::kVerr || kCheck == Check::kVerw;
  const bool mem = ctx.kind(kVer ? 0 : 1) == DecodeContext::kMem;
  return mem ? BySize<kCheck, true>(insn->opsize) : BySize<kCheck, false>(insn->opsize);
}

template <bool kIdt>
Handler BindLoadTable(const DecodeContext& ctx, Insn*) {
  return ctx.kind(0) == DecodeContext::kMem ? &LoadTableRegister<kIdt> : nullptr;
}

template <bool kIdt>
Handler BindStoreTable(const DecodeContext& ctx, Insn*) {
  return ctx.kind(0) == DecodeContext::kMem ? &StoreTableRegister<kIdt> : nullptr;
}

Handler BindLldt(const DecodeContext& ctx, Insn*) {
  return ctx.kind(0) == DecodeContext::kMem ? &Lldt<true> : &Lldt<false>;
}

Handler BindLtr(const DecodeContext& ctx, Insn*) {
  return ctx.kind(0) == DecodeContext::kMem ? &Ltr<true> : &Ltr<false>;
}

template <bool kTr>
Handler BindStoreSelector(const DecodeContext& ctx, Insn* insn) {
  if (ctx.kind(0) == DecodeContext::kMem) return &StoreSelector<kTr, 0>::Run;
  switch (insn->opsize) {
    case 2: return &StoreSelector<kTr, 16>::Run;
    case 4: return &StoreSelector<kTr, 32>::Run;
    default: return &StoreSelector<kTr, 64>::Run;
  }
}

}  // namespace

void RegisterDescriptorTables(BinderTable& t) {
  // Loads are serializing (and LIDT changes event delivery): they end the block.
  t.Set(ZYDIS_MNEMONIC_LGDT, &BindLoadTable<false>, true);
  t.Set(ZYDIS_MNEMONIC_LIDT, &BindLoadTable<true>, true);
  t.Set(ZYDIS_MNEMONIC_LLDT, &BindLldt, true);
  t.Set(ZYDIS_MNEMONIC_LTR, &BindLtr, true);
  t.Set(ZYDIS_MNEMONIC_SGDT, &BindStoreTable<false>);
  t.Set(ZYDIS_MNEMONIC_SIDT, &BindStoreTable<true>);
  t.Set(ZYDIS_MNEMONIC_SLDT, &BindStoreSelector<false>);
  t.Set(ZYDIS_MNEMONIC_STR, &BindStoreSelector<true>);
  t.Set(ZYDIS_MNEMONIC_LAR, &BindCheck<Check::kLar>);
  t.Set(ZYDIS_MNEMONIC_LSL, &BindCheck<Check::kLsl>);
  t.Set(ZYDIS_MNEMONIC_VERR, &BindCheck<Check::kVerr>);
  t.Set(ZYDIS_MNEMONIC_VERW, &BindCheck<Check::kVerw>);
}

}  // namespace vmxemu::cpu::isa
