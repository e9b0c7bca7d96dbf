// The registers of an interrupted context as the stubs in isr.S save them.
// Field order is stack order, lowest address first: the GPRs the stub pushes,
// the vector and error code (0 for vectors without one), then what the CPU
// pushed on delivery (SDM Vol. 3A "Exception and Interrupt Handling in 64-bit
// Mode" and "Exception and Interrupt Handling").
#ifndef GUESTS_LIB_TRAP_FRAME_H_
#define GUESTS_LIB_TRAP_FRAME_H_

#include <stdint.h>

namespace guest {

#if defined(__x86_64__)
struct TrapFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  // In IA-32e mode the CPU always pushes SS:RSP.
  uint64_t rip, cs, rflags, rsp, ss;

  // The resume address; a handler may change it, e.g. to skip an instruction.
  uint64_t& ip() { return rip; }
  uint64_t ip() const { return rip; }
};
static_assert(sizeof(TrapFrame) == 22 * 8, "isr.S pushes 22 quadwords");
#else
struct TrapFrame {
  uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;  // PUSHA order.
  uint32_t vector, error_code;
  // Without a privilege change the CPU pushes no SS:ESP; the interrupted ESP
  // is the address just above eflags (see interrupted_esp()).
  uint32_t eip, cs, eflags;

  uint32_t& ip() { return eip; }
  uint32_t ip() const { return eip; }
  uint32_t interrupted_esp() const {
    return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(&eflags + 1));
  }
};
static_assert(sizeof(TrapFrame) == 13 * 4, "isr.S pushes 13 doublewords");
#endif

// Prints the GPRs, instruction pointer, flags, segments and control
// registers, a few lines, to the serial port.
void print_registers(const TrapFrame& frame);

}  // namespace guest

#endif  // GUESTS_LIB_TRAP_FRAME_H_
