#include "cpu/isa/fusion.h"

#include <Zydis/Zydis.h>

#include "cpu/isa/alu_ops.h"
#include "cpu/isa/branch_util.h"
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

bool IsJcc(const Insn& i) {
  return i.mnemonic >= ZYDIS_MNEMONIC_JB && i.mnemonic <= ZYDIS_MNEMONIC_JZ &&
         i.mnemonic != ZYDIS_MNEMONIC_JCXZ && i.mnemonic != ZYDIS_MNEMONIC_JECXZ &&
         i.mnemonic != ZYDIS_MNEMONIC_JRCXZ && i.mnemonic != ZYDIS_MNEMONIC_JMP &&
         i.mnemonic != ZYDIS_MNEMONIC_JKNZD && i.mnemonic != ZYDIS_MNEMONIC_JKZD;
}

// Branch-free condition evaluation: a 5-bit flag vector (CF, ZF, SF, OF, PF) indexes a
// per-condition truth table (SDM Vol. 1 Appendix B, Table B-1).
enum : uint32_t { kVecCf = 1, kVecZf = 2, kVecSf = 4, kVecOf = 8, kVecPf = 16 };

constexpr bool CondHolds(int cond, uint32_t v) {
  const bool cf = v & kVecCf, zf = v & kVecZf, sf = v & kVecSf, of = v & kVecOf, pf = v & kVecPf;
  bool r = false;
  switch (cond >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || (sf != of); break;
  }
  return r != (cond & 1);
}

constexpr auto MakeCondTable() {
  struct Table { uint32_t bits[16]; } t{};
  for (int c = 0; c < 16; ++c) {
    for (uint32_t v = 0; v < 32; ++v) t.bits[c] |= (CondHolds(c, v) ? 1u : 0u) << v;
  }
  return t;
}
constexpr auto kCondTable = MakeCondTable();

constexpr Op OpOf(FuseCode c) {
  switch (c) {
    case kFuseAddRR: case kFuseAddRI: return Op::kAdd;
    case kFuseSubRR: case kFuseSubRI: return Op::kSub;
    case kFuseCmpRR: case kFuseCmpRI: return Op::kCmp;
    case kFuseAndRR: case kFuseAndRI: return Op::kAnd;
    default: return Op::kTest;
  }
}

constexpr bool IsRegReg(FuseCode c) {
  return c == kFuseAddRR || c == kFuseSubRR || c == kFuseCmpRR || c == kFuseAndRR ||
         c == kFuseTestRR;
}

// Runs the first instruction exactly as alu.cc does (lazy flags written) and returns
// its flags as a vector, computed from the values at hand.
template <FuseCode kCode, int kBits>
[[gnu::always_inline]] inline uint32_t RunFirst(Cpu& cpu, const Insn& i) {
  using T = UInt<kBits>;
  constexpr uint64_t kSign = uint64_t{1} << (kBits - 1);
  const T a = cpu.GetReg<T>(i.r0);
  T r;
  uint32_t cf = 0, of = 0;
  if constexpr (kCode == kFuseInc || kCode == kFuseDec) {
    constexpr Unary kU = kCode == kFuseInc ? Unary::kInc : Unary::kDec;
    r = static_cast<T>(ComputeUnary<kU, kBits>(cpu, a));
    cpu.SetReg<T>(i.r0, r);
    cf = static_cast<uint32_t>(cpu.s.flags.aux & 1);  // INC/DEC keep CF
    of = kCode == kFuseInc ? r == kSign : r == kSign - 1;
  } else {
    constexpr Op kOp = OpOf(kCode);
    const T b = IsRegReg(kCode) ? cpu.GetReg<T>(i.r1) : static_cast<T>(i.imm);
    r = static_cast<T>(Compute<kOp, kBits>(cpu, a, b));
    if constexpr (Writes(kOp)) cpu.SetReg<T>(i.r0, r);
    if constexpr (kOp == Op::kAdd) {
      cf = r < a;
      of = ((~(a ^ b) & (a ^ r)) & kSign) != 0;
    } else if constexpr (kOp == Op::kSub || kOp == Op::kCmp) {
      cf = a < b;
      of = (((a ^ b) & (a ^ r)) & kSign) != 0;
    }
  }
  const uint32_t zf = r == 0, sf = (r & kSign) != 0;
  const uint32_t pf = !__builtin_parity(static_cast<uint8_t>(r));
  return cf | zf << 1 | sf << 2 | of << 3 | pf << 4;
}

template <FuseCode kCode>
struct Fused {
  template <int kBits>
  struct H {
    static bool Run(Cpu& cpu, const Insn& i) {
      const uint32_t vec = RunFirst<kCode, kBits>(cpu, i);
      // Stepping one at a time (budget, single-step): leave the Jcc to the dispatcher.
      if (cpu.stop_chain_) return true;
      const Insn& j = (&i)[1];
      cpu.pc_ = &j;  // the Jcc is now the current instruction; the first has retired
      cpu.s.rip = j.next_rip;
      if (((kCondTable.bits[j.cond] >> vec) & 1) && !BranchTo(cpu, cpu.s.rip + j.imm, j.opsize)) {
        return false;
      }
      return ContinueAfter(cpu, j);  // the Jcc ends its block: on to the sentinel
    }
  };
};

template <FuseCode kCode>
Handler FusedBySize(int opsize) {
  static constexpr Handler kTable[4] = {&Fused<kCode>::template H<8>::Run,
                                        &Fused<kCode>::template H<16>::Run,
                                        &Fused<kCode>::template H<32>::Run,
                                        &Fused<kCode>::template H<64>::Run};
  return kTable[SizeIndex(opsize)];
}

Handler FusedHandler(FuseCode code, int opsize) {
  switch (code) {
    case kFuseAddRR: return FusedBySize<kFuseAddRR>(opsize);
    case kFuseAddRI: return FusedBySize<kFuseAddRI>(opsize);
    case kFuseSubRR: return FusedBySize<kFuseSubRR>(opsize);
    case kFuseSubRI: return FusedBySize<kFuseSubRI>(opsize);
    case kFuseCmpRR: return FusedBySize<kFuseCmpRR>(opsize);
    case kFuseCmpRI: return FusedBySize<kFuseCmpRI>(opsize);
    case kFuseAndRR: return FusedBySize<kFuseAndRR>(opsize);
    case kFuseAndRI: return FusedBySize<kFuseAndRI>(opsize);
    case kFuseTestRR: return FusedBySize<kFuseTestRR>(opsize);
    case kFuseTestRI: return FusedBySize<kFuseTestRI>(opsize);
    case kFuseInc: return FusedBySize<kFuseInc>(opsize);
    case kFuseDec: return FusedBySize<kFuseDec>(opsize);
    default: return nullptr;
  }
}

}  // namespace

void TryFuse(Insn& first, const Insn& second) {
  if (first.fuse == kFuseNone || first.fuse >= kFuseCount || !IsJcc(second)) return;
  if (Handler h = FusedHandler(static_cast<FuseCode>(first.fuse), first.opsize)) first.fn = h;
}

}  // namespace vmxemu::cpu::isa
