// A C model of the integer instructions arith.cc runs, from the SDM Vol. 2
// pseudo code and flag tables. It gives the architecturally defined result
// and flags, and which flags are defined at all (the rest are masked out of
// the transcript and the comparison: they may differ between correct CPUs).
#ifndef GUESTS_DIFFTEST_ARITH_REFERENCE_H_
#define GUESTS_DIFFTEST_ARITH_REFERENCE_H_

#include <stdint.h>

namespace difftest {

enum class Op {
  // dest, src.
  kAdd,
  kAdc,
  kSub,
  kSbb,
  kAnd,
  kOr,
  kXor,
  kCmp,
  kTest,
  kBt,
  kBts,
  kBtr,
  kBtc,
  // dest only.
  kInc,
  kDec,
  kNeg,
  kNot,
  // dest, count.
  kShl,
  kShr,
  kSar,
  kRol,
  kRor,
  kRcl,
  kRcr,
};

struct Expected {
  uint64_t value;
  uintptr_t flags;    // Status flags after the instruction.
  uintptr_t defined;  // Which of them the SDM defines.
};

// `b` is the source, the bit offset or the shift count; `flags` the status
// flags before the instruction. `bits` is the operand width.
Expected Reference(Op op, uint64_t a, uint64_t b, uintptr_t flags, int bits);

// SHLD/SHRD dest=a, src=b by count (16-bit counts above 16 excluded).
Expected DoubleShiftReference(bool left, uint64_t a, uint64_t b, uint64_t count,
                              uintptr_t flags, int bits);

// Conditions 0..15 (opcode order) after CMP a, b, as a mask.
uint32_t ConditionReference(uint64_t a, uint64_t b, int bits);

// Helpers for the multiply/divide checks.
uint64_t WidthMask(int bits);
int64_t SignExtend(uint64_t value, int bits);
// n / d and n % d by shift-and-subtract: 64-bit `/` in the 32-bit build
// would call libgcc, which guests do not link.
uint64_t DivideUnsigned(uint64_t n, uint64_t d, uint64_t* remainder);
// Truncates toward zero, like IDIV and C.
int64_t DivideSigned(int64_t n, int64_t d, int64_t* remainder);

}  // namespace difftest

#endif  // GUESTS_DIFFTEST_ARITH_REFERENCE_H_
