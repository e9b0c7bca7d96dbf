// Flag instructions: CLC, STC, CMC, CLD, STD, LAHF, SAHF. SDM Vol. 2A "CLC", "CLD",
// "CMC", "LAHF", Vol. 2B "SAHF", "STC", "STD". (CLI/STI/PUSHF/POPF: flags_sys.cc.
// SALC is undocumented and not bound: it stops as unimplemented.)
//
// LAHF/SAHF in 64-bit mode need CPUID.80000001H:ECX.LAHF-SAHF[bit 0], which this CPU
// advertises, so they run in every mode.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

// The flags LAHF/SAHF move: SF:ZF:0:AF:0:PF:1:CF.
inline constexpr uint64_t kAhFlags = kFlagSF | kFlagZF | kFlagAF | kFlagPF | kFlagCF;
inline constexpr uint8_t kAh = kRax * 8 + 1;

bool Clc(Cpu& cpu, const Insn&) {
  cpu.SetFlags(kFlagCF, 0);
  return true;
}
bool Stc(Cpu& cpu, const Insn&) {
  cpu.SetFlags(kFlagCF, kFlagCF);
  return true;
}
bool Cmc(Cpu& cpu, const Insn&) {
  cpu.SetFlags(kFlagCF, cpu.Cf() ? 0 : kFlagCF);
  return true;
}
// DF is not an arithmetic flag: it lives in rflags_base whatever the lazy state.
bool Cld(Cpu& cpu, const Insn&) {
  cpu.s.rflags_base &= ~kFlagDF;
  return true;
}
bool Std(Cpu& cpu, const Insn&) {
  cpu.s.rflags_base |= kFlagDF;
  return true;
}
bool Lahf(Cpu& cpu, const Insn&) {
  cpu.SetReg<uint8_t>(kAh, static_cast<uint8_t>((cpu.s.Rflags() & kAhFlags) | 0x2));
  return true;
}
bool Sahf(Cpu& cpu, const Insn&) {
  cpu.SetFlags(kAhFlags, cpu.GetReg<uint8_t>(kAh));
  return true;
}

template <Handler kHandler>
Handler Bind(const DecodeContext&, Insn*) {
  return kHandler;
}

}  // namespace

void RegisterFlagOps(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_CLC, &Bind<&Clc>);
  t.Set(ZYDIS_MNEMONIC_STC, &Bind<&Stc>);
  t.Set(ZYDIS_MNEMONIC_CMC, &Bind<&Cmc>);
  t.Set(ZYDIS_MNEMONIC_CLD, &Bind<&Cld>);
  t.Set(ZYDIS_MNEMONIC_STD, &Bind<&Std>);
  t.Set(ZYDIS_MNEMONIC_LAHF, &Bind<&Lahf>);
  t.Set(ZYDIS_MNEMONIC_SAHF, &Bind<&Sahf>);
}

}  // namespace vmxemu::cpu::isa
