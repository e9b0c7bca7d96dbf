// Sign extension within the accumulator and byte swaps: CBW, CWDE, CDQE, CWD, CDQ, CQO,
// BSWAP. SDM Vol. 2A "CBW/CWDE/CDQE", "CWD/CDQ/CQO", "BSWAP". No flags change.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

// CBW/CWDE/CDQE: rAX := sign extension of its lower half (kBits = operand size).
template <int kBits>
struct ExtendAcc {
  static bool Run(Cpu& cpu, const Insn&) {
    const uint64_t half = cpu.GetReg<UInt<kBits / 2>>(kRax * 8);
    cpu.SetReg<UInt<kBits>>(kRax * 8, static_cast<UInt<kBits>>(SignExtend<kBits / 2>(half)));
    return true;
  }
};

// CWD/CDQ/CQO: rDX := copies of the sign bit of rAX.
template <int kBits>
struct SignToDx {
  static bool Run(Cpu& cpu, const Insn&) {
    const UInt<kBits> a = cpu.GetReg<UInt<kBits>>(kRax * 8);
    cpu.SetReg<UInt<kBits>>(kRdx * 8, (a >> (kBits - 1)) ? static_cast<UInt<kBits>>(~0ull) : 0);
    return true;
  }
};

template <int kBits>
struct Bswap {
  static bool Run(Cpu& cpu, const Insn& i) {
    if constexpr (kBits == 16) {
      // Undefined by the SDM for 16-bit operands; Intel (and AMD) processors clear the
      // 16-bit register, and so does this (QEMU instead swaps the low 32 bits).
      cpu.SetReg<uint16_t>(i.r0, 0);
    } else if constexpr (kBits == 32) {
      cpu.SetReg<uint32_t>(i.r0, __builtin_bswap32(cpu.GetReg<uint32_t>(i.r0)));
    } else {
      cpu.SetReg<uint64_t>(i.r0, __builtin_bswap64(cpu.GetReg<uint64_t>(i.r0)));
    }
    return true;
  }
};

// The operand size selects the form (CBW/CWDE/CDQE share opcode 98, CWD/CDQ/CQO 99).
template <template <int> class H>
Handler BindAcc(const DecodeContext&, Insn* insn) {
  switch (insn->opsize) {
    case 2: return &H<16>::Run;
    case 4: return &H<32>::Run;
    case 8: return &H<64>::Run;
    default: return nullptr;
  }
}

Handler BindBswap(const DecodeContext& ctx, Insn* insn) {
  if (!ctx.Is(DecodeContext::kReg)) return nullptr;
  return BindAcc<Bswap>(ctx, insn);
}

}  // namespace

void RegisterConvert(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_CBW, &BindAcc<ExtendAcc>);
  t.Set(ZYDIS_MNEMONIC_CWDE, &BindAcc<ExtendAcc>);
  t.Set(ZYDIS_MNEMONIC_CDQE, &BindAcc<ExtendAcc>);
  t.Set(ZYDIS_MNEMONIC_CWD, &BindAcc<SignToDx>);
  t.Set(ZYDIS_MNEMONIC_CDQ, &BindAcc<SignToDx>);
  t.Set(ZYDIS_MNEMONIC_CQO, &BindAcc<SignToDx>);
  t.Set(ZYDIS_MNEMONIC_BSWAP, &BindBswap);
}

}  // namespace vmxemu::cpu::isa
