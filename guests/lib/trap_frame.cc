#include "guests/lib/trap_frame.h"

#include "guests/lib/printf.h"
#include "guests/lib/x86.h"

namespace guest {

#if defined(__x86_64__)
void print_registers(const TrapFrame& f) {
  printf("rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f.rax, f.rbx, f.rcx,
         f.rdx);
  printf("rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx\n", f.rsi, f.rdi, f.rbp,
         f.rsp);
  printf("r8 =%016lx r9 =%016lx r10=%016lx r11=%016lx\n", f.r8, f.r9, f.r10,
         f.r11);
  printf("r12=%016lx r13=%016lx r14=%016lx r15=%016lx\n", f.r12, f.r13, f.r14,
         f.r15);
  printf("rip=%016lx rflags=%016lx cs=%04lx ss=%04lx\n", f.rip, f.rflags, f.cs,
         f.ss);
  printf("cr0=%016lx cr2=%016lx cr3=%016lx cr4=%016lx\n", read_cr0(),
         read_cr2(), read_cr3(), read_cr4());
}
#else
void print_registers(const TrapFrame& f) {
  printf("eax=%08x ebx=%08x ecx=%08x edx=%08x\n", f.eax, f.ebx, f.ecx, f.edx);
  printf("esi=%08x edi=%08x ebp=%08x esp=%08x\n", f.esi, f.edi, f.ebp,
         f.interrupted_esp());
  printf("eip=%08x eflags=%08x cs=%04x ss=%04x\n", f.eip, f.eflags, f.cs,
         read_ss());
  printf("cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", read_cr0(), read_cr2(),
         read_cr3(), read_cr4());
}
#endif

}  // namespace guest
