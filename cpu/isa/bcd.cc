// Decimal arithmetic adjustments: DAA, DAS, AAA, AAS, AAM, AAD. SDM Vol. 2A "AAA",
// "AAD", "AAM", "AAS", "DAA", "DAS". All are invalid in 64-bit mode, where the decoder
// does not recognise them and they raise #UD.
//
// Undefined flags follow QEMU/Unicorn (the differential oracle): DAA/DAS clear OF;
// AAA/AAS leave OF, SF, ZF and PF unchanged; AAM/AAD set the flags of a logical
// operation on the new AL (SF, ZF, PF from AL; CF = OF = AF = 0).
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

inline constexpr uint8_t kAl = kRax * 8, kAh = kRax * 8 + 1;

// CF, AF, plus SF, ZF and PF from `al`; OF = 0.
inline void SetDecimalFlags(Cpu& cpu, uint8_t al, bool cf, bool af) {
  const uint64_t f = (cf ? kFlagCF : 0) | (af ? kFlagAF : 0) | (al == 0 ? kFlagZF : 0) |
                     (al & 0x80 ? kFlagSF : 0) | (__builtin_parity(al) ? 0 : kFlagPF);
  cpu.SetFlags(kArithFlags, f);
}

inline bool Af(const Cpu& cpu) { return cpu.s.Rflags() & kFlagAF; }

// SDM DAA "Operation". The carry of AL + 6 is subsumed by the second test: the final CF
// is old_AL > 99H or old CF.
bool Daa(Cpu& cpu, const Insn&) {
  const uint8_t old_al = cpu.GetReg<uint8_t>(kAl);
  const bool old_cf = cpu.Cf();
  uint8_t al = old_al;
  const bool af = (al & 0xF) > 9 || Af(cpu);
  if (af) al = static_cast<uint8_t>(al + 6);
  const bool cf = old_al > 0x99 || old_cf;
  if (cf) al = static_cast<uint8_t>(al + 0x60);
  cpu.SetReg<uint8_t>(kAl, al);
  SetDecimalFlags(cpu, al, cf, af);
  return true;
}

// SDM DAS "Operation": unlike DAA, a borrow from AL - 6 sets CF even when the second
// adjustment is not made.
bool Das(Cpu& cpu, const Insn&) {
  const uint8_t old_al = cpu.GetReg<uint8_t>(kAl);
  const bool old_cf = cpu.Cf();
  uint8_t al = old_al;
  bool cf = false;
  const bool af = (al & 0xF) > 9 || Af(cpu);
  if (af) {
    cf = old_cf || al < 6;
    al = static_cast<uint8_t>(al - 6);
  }
  if (old_al > 0x99 || old_cf) {
    al = static_cast<uint8_t>(al - 0x60);
    cf = true;
  }
  cpu.SetReg<uint8_t>(kAl, al);
  SetDecimalFlags(cpu, al, cf, af);
  return true;
}

// AAA: AX := AX + 106H (the carry out of AL propagates into AH); AAS: AX := AX - 6 and
// AH := AH - 1. Then AL := AL AND 0FH. CF = AF = "adjusted" (SDM AAA/AAS "Operation").
template <bool kSubtract>
bool AsciiAdjust(Cpu& cpu, const Insn&) {
  uint16_t ax = cpu.GetReg<uint16_t>(kAl);
  const bool adjust = (ax & 0xF) > 9 || Af(cpu);
  if (adjust) ax = static_cast<uint16_t>(kSubtract ? ax - 6 - 0x100 : ax + 0x106);
  cpu.SetReg<uint16_t>(kAl, static_cast<uint16_t>(ax & 0xFF0F));
  cpu.SetFlags(kFlagCF | kFlagAF, adjust ? kFlagCF | kFlagAF : 0);
  return true;
}

// AAM imm8: AH := AL / imm8, AL := AL MOD imm8; #DE if imm8 = 0 (SDM AAM "Operation").
bool Aam(Cpu& cpu, const Insn& i) {
  const uint8_t base = static_cast<uint8_t>(i.imm);
  if (base == 0) return cpu.Raise(kDE);
  const uint8_t al = cpu.GetReg<uint8_t>(kAl);
  const uint8_t rem = al % base;
  cpu.SetReg<uint16_t>(kAl, static_cast<uint16_t>((al / base) << 8 | rem));
  cpu.s.flags.Set<8>(FlagOp::kLogic, rem, 0);
  return true;
}

// AAD imm8: AL := (AL + AH * imm8) AND FFH, AH := 0 (SDM AAD "Operation").
bool Aad(Cpu& cpu, const Insn& i) {
  const uint8_t al = static_cast<uint8_t>(cpu.GetReg<uint8_t>(kAl) +
                                          cpu.GetReg<uint8_t>(kAh) * static_cast<uint8_t>(i.imm));
  cpu.SetReg<uint16_t>(kAl, al);
  cpu.s.flags.Set<8>(FlagOp::kLogic, al, 0);
  return true;
}

template <Handler kHandler>
Handler Bind(const DecodeContext&, Insn*) {
  return kHandler;
}

}  // namespace

void RegisterBcd(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_DAA, &Bind<&Daa>);
  t.Set(ZYDIS_MNEMONIC_DAS, &Bind<&Das>);
  t.Set(ZYDIS_MNEMONIC_AAA, &Bind<&AsciiAdjust<false>>);
  t.Set(ZYDIS_MNEMONIC_AAS, &Bind<&AsciiAdjust<true>>);
  t.Set(ZYDIS_MNEMONIC_AAM, &Bind<&Aam>);
  t.Set(ZYDIS_MNEMONIC_AAD, &Bind<&Aad>);
}

}  // namespace vmxemu::cpu::isa
