// Probing one instruction that may fault: DT_PROBE(insn) wraps insn in
// inline asm that records its address (dt_probe_site), where to resume
// (dt_probe_resume, right after it) and the stack pointer before it
// (dt_probe_sp, restored on resumption, so a faulting CALL or PUSH leaves no
// trace). The handler CatchTraps() installs records the trap in last_trap
// and resumes there. Works at CPL 0 and CPL 3, in both builds.
//
//   asm volatile(DT_PROBE("movl (%[p]), %%eax") : : [p] "r"(address)
//                : DT_PROBE_CLOBBERS, "eax");
#ifndef GUESTS_DIFFTEST_PROBE_H_
#define GUESTS_DIFFTEST_PROBE_H_

#include <stdint.h>

#include "guests/lib/trap_frame.h"

extern "C" {
extern uintptr_t dt_probe_site;
extern uintptr_t dt_probe_resume;
extern uintptr_t dt_probe_sp;
}

#if defined(__x86_64__)
#define DT_PROBE(insn)                                            \
  "lea 1f(%%rip), %%r11\n\tmov %%r11, dt_probe_site(%%rip)\n\t"   \
  "lea 2f(%%rip), %%r11\n\tmov %%r11, dt_probe_resume(%%rip)\n\t" \
  "mov %%rsp, dt_probe_sp(%%rip)\n1:\t" insn                      \
  "\n2:\t"                                                        \
  "mov dt_probe_sp(%%rip), %%rsp\n\t"
#define DT_PROBE_CLOBBERS "r11", "memory", "cc"
#else
#define DT_PROBE(insn)                                       \
  "movl $1f, dt_probe_site\n\tmovl $2f, dt_probe_resume\n\t" \
  "movl %%esp, dt_probe_sp\n1:\t" insn                       \
  "\n2:\t"                                                   \
  "movl dt_probe_sp, %%esp\n\t"
#define DT_PROBE_CLOBBERS "memory", "cc"
#endif

namespace difftest {

// What the CPU delivered, relative to the probe where that makes it
// independent of where the kernel was loaded.
struct Trap {
  int count;  // Traps since ResetTrap().
  uint32_t vector;
  uint32_t error_code;
  uintptr_t cr2;
  intptr_t ip_offset;  // Pushed RIP/EIP - dt_probe_site.
  uintptr_t cs;
  uintptr_t flags;     // Pushed RFLAGS/EFLAGS as is (callers mask).
  intptr_t sp_offset;  // Interrupted RSP/ESP - dt_probe_sp.
  uintptr_t ss;        // Interrupted SS.
};
extern Trap last_trap;

// Installs the recording handler for one vector (exception or not).
void CatchTraps(uint8_t vector);
void ResetTrap();

// The interrupted stack pointer and SS of a frame (32-bit frames hold them
// only on a privilege change).
uintptr_t InterruptedSp(const guest::TrapFrame& frame);
uintptr_t InterruptedSs(const guest::TrapFrame& frame);

}  // namespace difftest

#endif  // GUESTS_DIFFTEST_PROBE_H_
