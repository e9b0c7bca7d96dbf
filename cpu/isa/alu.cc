// Two-operand integer ALU: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST; and the unary
// INC, DEC, NEG, NOT (SDM Vol. 2). Flags are lazy (cpu/flags.h).
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

enum class Op : uint8_t { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp, kTest };

template <Op kOp, int kBits>
inline uint64_t Compute(Cpu& cpu, uint64_t a, uint64_t b) {
  LazyFlags& f = cpu.s.flags;
  uint64_t r;
  switch (kOp) {
    case Op::kAdd: r = a + b; f.Set<kBits>(FlagOp::kAdd, r, b); break;
    case Op::kSub:
    case Op::kCmp: r = a - b; f.Set<kBits>(FlagOp::kSub, r, b); break;
    case Op::kAdc: {
      const uint64_t c = cpu.Cf();
      r = a + b + c;
      f.Set<kBits>(FlagOp::kAdc, r, b);
      f.aux = c;
      break;
    }
    case Op::kSbb: {
      const uint64_t c = cpu.Cf();
      r = a - b - c;
      f.Set<kBits>(FlagOp::kSbb, r, b);
      f.aux = c;
      break;
    }
    case Op::kAnd:
    case Op::kTest: r = a & b; f.Set<kBits>(FlagOp::kLogic, r, 0); break;
    case Op::kOr: r = a | b; f.Set<kBits>(FlagOp::kLogic, r, 0); break;
    case Op::kXor: r = a ^ b; f.Set<kBits>(FlagOp::kLogic, r, 0); break;
  }
  return r;
}

constexpr bool Writes(Op op) { return op != Op::kCmp && op != Op::kTest; }

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
          // Probe before the flags change so a faulting store leaves no effect.
          if (!cpu.ProbeWrite(i.seg, ea, sizeof(T))) return false;
          const T r = static_cast<T>(Compute<kOp, kBits>(cpu, a, b));
          return cpu.Write<T>(i.seg, ea, r);
        } else {
          Compute<kOp, kBits>(cpu, a, b);
        }
      }
      return true;
    }
  };
};

template <Op kOp>
Handler BindAlu(const DecodeContext& ctx, Insn* insn) {
  Form form;
  if (!GetForm(ctx, &form)) return nullptr;
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
  const int s = SizeIndex(insn->opsize);
  switch (form) {
    case Form::kRR: return kBySize<Alu<Op::kTest, Form::kRR>::template H>[s];
    case Form::kMR: return kBySize<Alu<Op::kTest, Form::kMR>::template H>[s];
    case Form::kRI: return kBySize<Alu<Op::kTest, Form::kRI>::template H>[s];
    case Form::kMI: return kBySize<Alu<Op::kTest, Form::kMI>::template H>[s];
    default: return nullptr;
  }
}

// ---- unary: INC, DEC, NEG, NOT -------------------------------------------------------

enum class Unary : uint8_t { kInc, kDec, kNeg, kNot };

template <Unary kOp, int kBits>
inline uint64_t ComputeUnary(Cpu& cpu, uint64_t a) {
  LazyFlags& f = cpu.s.flags;
  switch (kOp) {
    case Unary::kInc:
    case Unary::kDec: {
      const uint64_t cf = cpu.Cf();  // INC/DEC leave CF alone
      const uint64_t r = kOp == Unary::kInc ? a + 1 : a - 1;
      f.Set<kBits>(kOp == Unary::kInc ? FlagOp::kInc : FlagOp::kDec, r, 1);
      f.aux = cf;
      return r;
    }
    case Unary::kNeg: {
      const uint64_t r = 0 - a;
      f.Set<kBits>(FlagOp::kNeg, r, a);
      return r;
    }
    case Unary::kNot: return ~a;  // no flags
  }
  return 0;
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
        if (!cpu.ProbeWrite(i.seg, ea, sizeof(T))) return false;
        return cpu.Write<T>(i.seg, ea, static_cast<T>(ComputeUnary<kOp, kBits>(cpu, a)));
      }
    }
  };
};

template <Unary kOp>
Handler BindUnary(const DecodeContext& ctx, Insn* insn) {
  const int s = SizeIndex(insn->opsize);
  if (ctx.Is(DecodeContext::kReg)) return kBySize<UnaryOp<kOp, false>::template H>[s];
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
