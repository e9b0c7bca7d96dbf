// Exception catchers for CPU tests: every vector 0-31 gets a handler that only halts,
// so a test runs its code and then reads which exception was delivered, with its error
// code and the RIP it was raised at, from the frame the CPU pushed; general registers
// are left as the faulting code had them.
#ifndef VMXEMU_CPU_TESTING_EXCEPTION_CATCHER_H_
#define VMXEMU_CPU_TESTING_EXCEPTION_CATCHER_H_

#include <cstdint>

#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"

namespace vmxemu::cpu::testing {

struct CaughtException {
  RunResult run;            // how the run ended
  int vector = -1;          // -1: no exception reached a catcher
  uint32_t error_code = 0;  // 0 for vectors without one
  uint64_t rip = 0;         // return address in the frame (the faulting instruction)
  uint64_t rflags = 0;      // RFLAGS image in the frame
};

// Installs the catchers as gates in the harness's IDT (long or protected mode) or as
// IVT entries (real mode). Catchers live at 0x1F0000 (real mode: 0x500).
void InstallExceptionCatchers(CpuHarness& h);

// Runs until the CPU stops and decodes which catcher, if any, halted it.
CaughtException RunAndCatch(CpuHarness& h, uint64_t max_instructions = 1'000'000);

// Puts a long-mode harness at CPL 3 directly: CS = 64-bit user code (0x2B), SS = user
// data (0x23), as after an IRETQ to user mode. `iopl` sets RFLAGS.IOPL.
void EnterCpl3(CpuHarness& h, int iopl = 0);

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_EXCEPTION_CATCHER_H_
