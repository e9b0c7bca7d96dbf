// The privilege rule of the system instructions (MOV CR/DR, RDMSR/WRMSR, LGDT, CLTS,
// INVLPG, ...): CPL 0, or real-address mode (SDM Vol. 2 "Protected Mode Exceptions: #GP(0) If
// the current privilege level is not 0"). Virtual-8086 mode runs at CPL 3.
#ifndef VMXEMU_CPU_ISA_PRIVILEGE_H_
#define VMXEMU_CPU_ISA_PRIVILEGE_H_

#include "cpu/cpu.h"

namespace vmxemu::cpu::isa {

inline bool Privileged(const Cpu& cpu) { return !cpu.s.protected_mode() || cpu.s.cpl() == 0; }

}  // namespace vmxemu::cpu::isa

#endif  // VMXEMU_CPU_ISA_PRIVILEGE_H_
