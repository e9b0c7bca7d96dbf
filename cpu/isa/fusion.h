// Macro-fusion of an ALU instruction with a following Jcc into one handler (as hardware
// fuses CMP/TEST/ADD/SUB/AND/INC/DEC + Jcc): one dispatch instead of two, and the
// condition computed from values the handler already holds. Both instructions keep
// their architectural effects (the lazy flags are written as usual); only the number
// of dispatches changes.
#ifndef VMXEMU_CPU_ISA_FUSION_H_
#define VMXEMU_CPU_ISA_FUSION_H_

#include "cpu/insn.h"

namespace vmxemu::cpu::isa {

// Fusable first instructions: register or immediate forms only (no memory operand, so
// the fused handler cannot fault before the branch).
enum FuseCode : uint8_t {
  kFuseNone = 0,
  kFuseAddRR, kFuseAddRI, kFuseSubRR, kFuseSubRI, kFuseCmpRR, kFuseCmpRI,
  kFuseAndRR, kFuseAndRI, kFuseTestRR, kFuseTestRI, kFuseInc, kFuseDec,
  kFuseCount,
};

// If `first` is fusable and `second` is a Jcc, makes first's handler the fused one.
// `second` keeps its own handler (used when the dispatcher steps one at a time).
void TryFuse(Insn& first, const Insn& second);

}  // namespace vmxemu::cpu::isa

#endif  // VMXEMU_CPU_ISA_FUSION_H_
