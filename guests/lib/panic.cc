#include <stdarg.h>

#include "guests/lib/exit.h"
#include "guests/lib/printf.h"
#include "guests/lib/trap_frame.h"
#include "guests/lib/x86.h"

namespace guest {
namespace {

// Snapshot of the registers inside panic(), shaped like a trap frame so the
// exception dump can print it.
__attribute__((always_inline)) inline void CaptureRegisters(TrapFrame& f) {
#if defined(__x86_64__)
  asm volatile(
      "mov %%rax, %0\n\tmov %%rbx, %1\n\tmov %%rcx, %2\n\tmov %%rdx, %3\n\t"
      "mov %%rsi, %4\n\tmov %%rdi, %5\n\tmov %%rbp, %6\n\tmov %%rsp, %7\n\t"
      "mov %%r8, %8\n\tmov %%r9, %9\n\tmov %%r10, %10\n\tmov %%r11, %11\n\t"
      "mov %%r12, %12\n\tmov %%r13, %13\n\tmov %%r14, %14\n\tmov %%r15, %15"
      : "=m"(f.rax), "=m"(f.rbx), "=m"(f.rcx), "=m"(f.rdx), "=m"(f.rsi),
        "=m"(f.rdi), "=m"(f.rbp), "=m"(f.rsp), "=m"(f.r8), "=m"(f.r9),
        "=m"(f.r10), "=m"(f.r11), "=m"(f.r12), "=m"(f.r13), "=m"(f.r14),
        "=m"(f.r15));
  f.ss = read_ss();
#else
  asm volatile(
      "mov %%eax, %0\n\tmov %%ebx, %1\n\tmov %%ecx, %2\n\tmov %%edx, %3\n\t"
      "mov %%esi, %4\n\tmov %%edi, %5\n\tmov %%ebp, %6"
      : "=m"(f.eax), "=m"(f.ebx), "=m"(f.ecx), "=m"(f.edx), "=m"(f.esi),
        "=m"(f.edi), "=m"(f.ebp));
#endif
  f.cs = read_cs();
#if defined(__x86_64__)
  f.rflags = read_rflags();
#else
  f.eflags = read_rflags();
#endif
}

}  // namespace

void panic(const char* format, ...) {
  TrapFrame frame = {};
  CaptureRegisters(frame);
  // The caller's position is more useful than panic()'s own.
  frame.ip() = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  printf("PANIC: ");
  va_list args;
  va_start(args, format);
  vprintf(format, args);
  va_end(args);
  printf("\n");
  print_registers(frame);
  exit(2);
}

}  // namespace guest
