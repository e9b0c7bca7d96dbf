// Two-operand integer ALU: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST; and the unary
// INC, DEC, NEG, NOT (SDM Vol. 2). Flags are lazy (cpu/flags.h).
#include "cpu/isa/alu_ops.h"
#include "cpu/isa/fusion.h"
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

template <Op kOp, Form kForm>
struct Alu {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      // Immediates are sign-extended to the operand size by the decoder.
      if constexpr (kForm == Form::kRR || kForm == Form::kRI) {
        const T a = cpu.GetReg<T>(i.r0);
        const T b = kForm == Form::kRR ? cpu.GetReg<T>(i.r1) : static_cast<T>(i.imm);
        const T r = static_cast<T>(Compute<kOp, kBits>(cpu, a, b));
        if constexpr (Writes(kOp)) cpu.SetReg<T>(i.r0, r);
      } else if constexpr (kForm == Form::kRM) {
        T b;
        if (!cpu.Read<T>(i.seg, cpu.Ea(i), &b)) return false;
        const T r = static_cast<T>(Compute<kOp, kBits>(cpu, cpu.GetReg<T>(i.r0), b));
        if constexpr (Writes(kOp)) cpu.SetReg<T>(i.r0, r);
      } else {
        const uint64_t ea = cpu.Ea(i);
        T a;
        if (!cpu.Read<T>(i.seg, ea, &a)) return false;
        const T b = kForm == Form::kMR ? cpu.GetReg<T>(i.r1) : static_cast<T>(i.imm);
        if constexpr (Writes(kOp)) {
          // A faulting store must leave the flags as they were (faults are precise):
          // put the lazy flag state back rather than probe (a page walk) every time.
          const LazyFlags saved = cpu.s.flags;
          const T r = static_cast<T>(Compute<kOp, kBits>(cpu, a, b));
          if (!cpu.Write<T>(i.seg, ea, r)) {
            cpu.s.flags = saved;
            return false;
          }
        } else {
          Compute<kOp, kBits>(cpu, a, b);
        }
      }
      return true;
    }
  };
};

// The fusion code of a register/immediate ALU form (fusion.h), or kFuseNone.
constexpr uint8_t FuseCodeOf(Op op, Form form) {
  const bool rr = form == Form::kRR;
  if (form != Form::kRR && form != Form::kRI) return kFuseNone;
  switch (op) {
    case Op::kAdd: return rr ? kFuseAddRR : kFuseAddRI;
    case Op::kSub: return rr ? kFuseSubRR : kFuseSubRI;
    case Op::kCmp: return rr ? kFuseCmpRR : kFuseCmpRI;
    case Op::kAnd: return rr ? kFuseAndRR : kFuseAndRI;
    case Op::kTest: return rr ? kFuseTestRR : kFuseTestRI;
    default: return kFuseNone;
  }
}

template <Op kOp>
Handler BindAlu(const DecodeContext& ctx, Insn* insn) {
  Form form;
  if (!GetForm(ctx, &form)) return nullptr;
  insn->fuse = FuseCodeOf(kOp, form);
  const int s = SizeIndex(insn->opsize);
  switch (form) {
    case Form::kRR: return kBySize<Alu<kOp, Form::kRR>::template H>[s];
    case Form::kRM: return kBySize<Alu<kOp, Form::kRM>::template H>[s];
    case Form::kMR: return kBySize<Alu<kOp, Form::kMR>::template H>[s];
    case Form::kRI: return kBySize<Alu<kOp, Form::kRI>::template H>[s];
    case Form::kMI: return kBySize<Alu<kOp, Form::kMI>::template H>[s];
  }
  return nullptr;
}

// TEST r/m, r lists the memory operand first (there is no TEST r, m form).
Handler BindTest(const DecodeContext& ctx, Insn* insn) {
  Form form;
  if (!GetForm(ctx, &form)) return nullptr;
  insn->fuse = FuseCodeOf(Op::kTest, form);
  const int s = SizeIndex(insn->opsize);
  switch (form) {
    case Form::kRR: return kBySize<Alu<Op::kTest, Form::kRR>::template H>[s];
    case Form::kMR: return kBySize<Alu<Op::kTest, Form::kMR>::template H>[s];
    case Form::kRI: return kBySize<Alu<Op::kTest, Form::kRI>::template H>[s];
    case Form::kMI: return kBySize<Alu<Op::kTest, Form::kMI>::template H>[s];
    default: return nullptr;
  }
}

template <Unary kOp, bool kMem>
struct UnaryOp {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      if constexpr (!kMem) {
        cpu.SetReg<T>(i.r0, static_cast<T>(ComputeUnary<kOp, kBits>(cpu, cpu.GetReg<T>(i.r0))));
        return true;
      } else {
        const uint64_t ea = cpu.Ea(i);
        T a;
        if (!cpu.Read<T>(i.seg, ea, &a)) return false;
        const LazyFlags saved = cpu.s.flags;  // restored if the store faults
        if (!cpu.Write<T>(i.seg, ea, static_cast<T>(ComputeUnary<kOp, kBits>(cpu, a)))) {
          cpu.s.flags = saved;
          return false;
        }
        return true;
      }
    }
  };
};

template <Unary kOp>
Handler BindUnary(const DecodeContext& ctx, Insn* insn) {
  const int s = SizeIndex(insn->opsize);
  if (ctx.Is(DecodeContext::kReg)) {
    if (kOp == Unary::kInc) insn->fuse = kFuseInc;
    if (kOp == Unary::kDec) insn->fuse = kFuseDec;
    return kBySize<UnaryOp<kOp, false>::template H>[s];
  }
  if (ctx.Is(DecodeContext::kMem)) return kBySize<UnaryOp<kOp, true>::template H>[s];
  return nullptr;
}

}  // namespace

void RegisterAlu(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_ADD, &BindAlu<Op::kAdd>);
  t.Set(ZYDIS_MNEMONIC_OR, &BindAlu<Op::kOr>);
  t.Set(ZYDIS_MNEMONIC_ADC, &BindAlu<Op::kAdc>);
  t.Set(ZYDIS_MNEMONIC_SBB, &BindAlu<Op::kSbb>);
  t.Set(ZYDIS_MNEMONIC_AND, &BindAlu<Op::kAnd>);
  t.Set(ZYDIS_MNEMONIC_SUB, &BindAlu<Op::kSub>);
  t.Set(ZYDIS_MNEMONIC_XOR, &BindAlu<Op::kXor>);
  t.Set(ZYDIS_MNEMONIC_CMP, &BindAlu<Op::kCmp>);
  t.Set(ZYDIS_MNEMONIC_TEST, &BindTest);
  t.Set(ZYDIS_MNEMONIC_INC, &BindUnary<Unary::kInc>);
  t.Set(ZYDIS_MNEMONIC_DEC, &BindUnary<Unary::kDec>);
  t.Set(ZYDIS_MNEMONIC_NEG, &BindUnary<Unary::kNeg>);
  t.Set(ZYDIS_MNEMONIC_NOT, &BindUnary<Unary::kNot>);
}

}  // namespace vmxemu::cpu::isa
