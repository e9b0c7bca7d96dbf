// Small instructions with no better home: NOP (all lengths), ENDBR64/32, PAUSE,
// PUSH/POP of general registers, memory and immediates.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

bool Nop(Cpu&, const Insn&) { return true; }

template <bool kMem, bool kImm>
struct Push {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      T v;
      if constexpr (kImm) {
        v = static_cast<T>(i.imm);
      } else if (!LoadOperand<T, kMem>(cpu, i, i.r0, &v)) {
        return false;
      }
      return cpu.Push<T>(v);
    }
  };
};

template <bool kMem>
struct Pop {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      const uint64_t saved_rsp = cpu.s.gpr[kRsp];
      T v;
      if (!cpu.Pop<T>(&v)) return false;
      if constexpr (kMem) {
        // POP m computes its address after RSP is incremented (SDM Vol. 2B POP).
        if (!cpu.Write<T>(i.seg, cpu.Ea(i), v)) {
          cpu.s.gpr[kRsp] = saved_rsp;
          return false;
        }
      } else {
        cpu.SetReg<T>(i.r0, v);
      }
      return true;
    }
  };
};

bool IsGpr(const DecodeContext& ctx, int k) {
  return ctx.kind(k) == DecodeContext::kReg && GprByteOffset(ctx.ops[k].reg.value) >= 0;
}

Handler BindPush(const DecodeContext& ctx, Insn* insn) {
  const int s = SizeIndex(insn->opsize);
  if (IsGpr(ctx, 0)) return kBySize<Push<false, false>::H>[s];
  if (ctx.kind(0) == DecodeContext::kMem) return kBySize<Push<true, false>::H>[s];
  if (ctx.kind(0) == DecodeContext::kImm) return kBySize<Push<false, true>::H>[s];
  return nullptr;  // segment registers: segment family
}

Handler BindPop(const DecodeContext& ctx, Insn* insn) {
  const int s = SizeIndex(insn->opsize);
  if (IsGpr(ctx, 0)) return kBySize<Pop<false>::H>[s];
  if (ctx.kind(0) == DecodeContext::kMem) return kBySize<Pop<true>::H>[s];
  return nullptr;
}

Handler BindNop(const DecodeContext&, Insn*) { return &Threaded<&Nop>; }

// HLT: privileged (SDM Vol. 2A HLT); the run loop waits for an interrupt, NMI or timer.
bool Hlt(Cpu& cpu, const Insn&) {
  if (cpu.s.cpl() != 0) return cpu.Raise(kGP, 0);
  cpu.s.halted = true;
  return true;
}
Handler BindHlt(const DecodeContext&, Insn*) { return &Hlt; }

}  // namespace

void RegisterMisc(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_NOP, &BindNop);
  t.Set(ZYDIS_MNEMONIC_ENDBR64, &BindNop);
  t.Set(ZYDIS_MNEMONIC_ENDBR32, &BindNop);
  t.Set(ZYDIS_MNEMONIC_PAUSE, &BindNop);
  t.Set(ZYDIS_MNEMONIC_HLT, &BindHlt, true);
  t.Set(ZYDIS_MNEMONIC_PUSH, &BindPush);
  t.Set(ZYDIS_MNEMONIC_POP, &BindPop);
}

}  // namespace vmxemu::cpu::isa
