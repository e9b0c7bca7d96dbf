// The arithmetic of the ALU family (ADD..CMP, TEST; INC, DEC, NEG, NOT) as templates,
// shared by alu.cc and by the fused compare-and-branch handlers (fusion.cc).
#ifndef VMXEMU_CPU_ISA_ALU_OPS_H_
#define VMXEMU_CPU_ISA_ALU_OPS_H_

#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {

// Two-operand operations, in the order of their /digit encodings.
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

}  // namespace vmxemu::cpu::isa

#endif  // VMXEMU_CPU_ISA_ALU_OPS_H_
