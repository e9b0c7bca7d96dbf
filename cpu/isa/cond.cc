// Conditional set and move: SETcc r/m8 and CMOVcc r, r/m (all 16 conditions).
// SDM Vol. 2B "SETcc", Vol. 2A "CMOVcc". The condition is the low nibble of the opcode
// (0F 90-9F, 0F 40-4F), in the order of cpu/flags.h's Cond.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

template <bool kMem>
bool Setcc(Cpu& cpu, const Insn& i) {
  const uint8_t v = cpu.Condition(i.cond) ? 1 : 0;
  if constexpr (kMem) return cpu.Write<uint8_t>(i.seg, cpu.Ea(i), v);
  cpu.SetReg<uint8_t>(i.r0, v);
  return true;
}

// The source is read (and may fault) whatever the condition. With a false condition a
// 32-bit destination still has bits 63:32 cleared (SDM CMOVcc "Operation"); outside
// IA-32e mode those bits are not visible, so it is done in every mode.
template <bool kMem>
struct Cmovcc {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      T v;
      if (!LoadOperand<T, kMem>(cpu, i, i.r1, &v)) return false;
      if (cpu.Condition(i.cond)) {
        cpu.SetReg<T>(i.r0, v);
      } else if constexpr (kBits == 32) {
        cpu.SetReg<T>(i.r0, cpu.GetReg<T>(i.r0));
      }
      return true;
    }
  };
};

// The two-byte opcodes of SETcc (0F 9x) and CMOVcc (0F 4x) only.
bool IsTwoByteOpcode(const DecodeContext& ctx, uint8_t high_nibble) {
  return ctx.zi.opcode_map == ZYDIS_OPCODE_MAP_0F && (ctx.zi.opcode & 0xF0) == high_nibble;
}

Handler BindSetcc(const DecodeContext& ctx, Insn* insn) {
  if (!IsTwoByteOpcode(ctx, 0x90)) return nullptr;
  insn->cond = ctx.zi.opcode & 0xF;
  if (ctx.Is(DecodeContext::kReg)) return &Setcc<false>;
  if (ctx.Is(DecodeContext::kMem)) return &Setcc<true>;
  return nullptr;
}

Handler BindCmovcc(const DecodeContext& ctx, Insn* insn) {
  if (!IsTwoByteOpcode(ctx, 0x40) || insn->opsize == 1) return nullptr;
  insn->cond = ctx.zi.opcode & 0xF;
  const int s = SizeIndex(insn->opsize);
  if (ctx.Is(DecodeContext::kReg, DecodeContext::kReg)) return kBySize<Cmovcc<false>::H>[s];
  if (ctx.Is(DecodeContext::kReg, DecodeContext::kMem)) return kBySize<Cmovcc<true>::H>[s];
  return nullptr;
}

}  // namespace

void RegisterCond(BinderTable& t) {
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,
                          ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ,
                          ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_SETS,
                          ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
                          ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE,
                          ZYDIS_MNEMONIC_SETNLE}) {
    t.Set(m, &BindSetcc);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,
                          ZYDIS_MNEMONIC_CMOVNB, ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ,
                          ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE, ZYDIS_MNEMONIC_CMOVS,
                          ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
                          ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE,
                          ZYDIS_MNEMONIC_CMOVNLE}) {
    t.Set(m, &BindCmovcc);
  }
}

}  // namespace vmxemu::cpu::isa
