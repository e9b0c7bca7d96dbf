// Entering and leaving CPL 3 for difftest::RunAtCpl3 (system.cc).
//
// dt_enter_user(ip, sp, cs, ss) saves the callee-saved registers and the
// kernel stack pointer, makes the user function return into dt_user_exit,
// and IRETs to CPL 3 with IF=0 (SDM Vol. 2A IRET, "return to outer
// privilege level"). dt_user_exit raises INT DIFFTEST_USER_RETURN_VECTOR
// through a DPL-3 gate; its handler (system.cc) rewrites the frame so the
// IRET resumes dt_user_return at CPL 0, which restores the kernel stack and
// returns from dt_enter_user.
#include "guests/difftest/system.h"
#include "guests/lib/segments.h"

  .section .bss
  .balign 8
  .globl dt_kernel_sp
dt_kernel_sp:
  .skip 8

  .section .text
  .globl dt_enter_user
  .globl dt_user_exit
  .globl dt_user_return
#if defined(__x86_64__)
dt_enter_user:              // rdi = ip, rsi = sp, rdx = cs, rcx = ss
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, dt_kernel_sp(%rip)
  mov %cx, %ds
  mov %cx, %es
  lea dt_user_exit(%rip), %rax
  sub $8, %rsi
  mov %rax, (%rsi)          // The user function's return address.
  push %rcx                 // SS
  push %rsi                 // RSP
  push $2                   // RFLAGS: IF=0, only the fixed bit.
  push %rdx                 // CS
  push %rdi                 // RIP
  iretq

dt_user_exit:
  int $DIFFTEST_USER_RETURN_VECTOR
  ud2

dt_user_return:
  mov $GUEST_SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %fs
  mov %ax, %gs
  mov dt_kernel_sp(%rip), %rsp
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
  ret

#else   // 32-bit, cdecl arguments on the stack.
dt_enter_user:
  push %ebp
  push %ebx
  push %esi
  push %edi
  mov %esp, dt_kernel_sp
  mov 20(%esp), %eax        // ip
  mov 24(%esp), %esi        // sp
  mov 28(%esp), %edx        // cs
  mov 32(%esp), %ecx        // ss
  // A DPL-3 flat data segment: usable at CPL 3, and by the ring-0 handlers
  // entered from CPL 3 (they keep DS and ES).
  mov %cx, %ds
  mov %cx, %es
  sub $4, %esi
  movl $dt_user_exit, (%esi)
  push %ecx                 // SS
  push %esi                 // ESP
  push $2                   // EFLAGS: IF=0.
  push %edx                 // CS
  push %eax                 // EIP
  iret

dt_user_exit:
  int $DIFFTEST_USER_RETURN_VECTOR
  ud2

dt_user_return:
  mov $GUEST_SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %fs
  mov %ax, %gs
  mov dt_kernel_sp, %esp
  pop %edi
  pop %esi
  pop %ebx
  pop %ebp
  ret
#endif

  .section .note.GNU-stack, "", @progbits
