// Near-branch target checks shared by branch.cc and the fused compare-and-branch
// handlers (fusion.cc).
#ifndef VMXEMU_CPU_ISA_BRANCH_UTIL_H_
#define VMXEMU_CPU_ISA_BRANCH_UTIL_H_

#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {

inline bool IsCanonical(uint64_t a) { return static_cast<uint64_t>(static_cast<int64_t>(a << 16) >> 16) == a; }

// Sets RIP to a branch target of the given operand size, with the SDM's checks: in
// 64-bit mode a non-canonical target is #GP(0); elsewhere the target must be within the
// CS limit (SDM Vol. 2A JMP "Operation").
inline bool BranchTo(Cpu& cpu, uint64_t target, int opsize) {
  if (opsize == 8) {
    if (!IsCanonical(target)) return cpu.Raise(kGP, 0);
  } else {
    target &= opsize == 4 ? 0xFFFFFFFFull : 0xFFFF;
    if (target > cpu.s.seg[kCs].limit) return cpu.Raise(kGP, 0);
  }
  cpu.s.rip = target;
  return true;
}

}  // namespace vmxemu::cpu::isa

#endif  // VMXEMU_CPU_ISA_BRANCH_UTIL_H_
