// Interrupt entry stubs for all 256 vectors, and the common path that saves
// the GPRs as a guest::TrapFrame (trap_frame.h) and calls
// guest_trap_dispatch(TrapFrame*).
//
// Stub n is at guest_isr_stubs + 16 * n (idt.cc relies on the stride). The
// CPU pushes an error code only for vectors 8, 10-14, 17, 21, 29 and 30 (SDM
// Vol. 3A "Exception and Interrupt Reference"); the other stubs push a 0 so
// every frame has the same shape.

#define ISR_STUB_STRIDE 16
#define HAS_ERROR_CODE(v) \
  ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
   (v) == 29 || (v) == 30)

  .section .text
  .balign ISR_STUB_STRIDE
  .globl guest_isr_stubs
guest_isr_stubs:
  .set vector, 0
  .rept 256
  .if HAS_ERROR_CODE(vector) == 0
  push $0
  .endif
  push $vector
  jmp isr_common
  // Pads to the next stub; "attempt to move .org backwards" if a stub grew
  // beyond the stride.
  .org guest_isr_stubs + ISR_STUB_STRIDE * (vector + 1), 0xCC
  .set vector, vector + 1
  .endr

#if defined(__x86_64__)
isr_common:
  push %rax
  push %rbx
  push %rcx
  push %rdx
  push %rsi
  push %rdi
  push %rbp
  push %r8
  push %r9
  push %r10
  push %r11
  push %r12
  push %r13
  push %r14
  push %r15
  cld                       // The SysV ABI wants DF=0 at calls.
  mov %rsp, %rdi            // TrapFrame*
  mov %rsp, %rbx            // Callee-saved: survives the call.
  and $-16, %rsp            // The ABI's 16-byte alignment at the call.
  call guest_trap_dispatch
  mov %rbx, %rsp
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %r11
  pop %r10
  pop %r9
  pop %r8
  pop %rbp
  pop %rdi
  pop %rsi
  pop %rdx
  pop %rcx
  pop %rbx
  pop %rax
  add $16, %rsp             // vector, error code
  iretq

#else   // 32-bit
isr_common:
  pusha
  cld
  mov %esp, %esi            // Callee-saved: survives the call.
  and $-16, %esp
  sub $12, %esp             // Keeps ESP 16-byte aligned at the call.
  push %esi                 // TrapFrame*
  call guest_trap_dispatch
  mov %esi, %esp
  popa
  add $8, %esp              // vector, error code
  iret
#endif

// No executable stack (GNU ld would otherwise assume one).
  .section .note.GNU-stack, "", @progbits
