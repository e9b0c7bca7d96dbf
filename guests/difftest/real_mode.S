// dt_run_real_mode(): leaves the runtime's mode for real-address mode, runs
// a few real-mode instructions whose results it stores in the blob, and
// comes back. The steps follow the SDM Vol. 3A chapter "Processor
// Management and Initialization" (numbered 9 in older editions, 10 in
// newer ones): 9.9.2 "Switching Back to Real-Address Mode", from IA-32e
// mode after 9.8.5.4 "Switching Out of IA-32e Mode Operation"; and on the
// way back 9.9.1 "Switching to Protected Mode" and 9.8.5 "Initializing
// IA-32e Mode":
//   64-bit build: 64-bit mode -> compatibility mode (far return to a 32-bit
//     code segment) -> paging off (IA32_EFER.LMA=0) -> LME=0;
//   32-bit build: paging off;
//   both: far jump to a 16-bit code segment (limit FFFFh), 16-bit data
//     segments everywhere, LIDT of the real-mode IVT, CR0.PE=0, far jump
//     into real mode; back: CR0.PE=1, far jump to the 32-bit code segment,
//     paging (and LME) on again, far jump to 64-bit code.
//
// Real mode can only run below 1 MiB, so the real-mode code is a blob
// (dt_blob_start..dt_blob_end) that modes.cc copies to BLOB_BASE before the
// call; it addresses itself with ABS() only. CS = DS = 0 in real mode.
#include "guests/difftest/system.h"
#include "guests/lib/segments.h"

#define BLOB_BASE 0x8000
#define ABS(label) (BLOB_BASE + ((label) - dt_blob_start))
#define REAL_STACK 0x7C00
#define SEL_CODE16 0x48   // difftest::kCode16
#define SEL_DATA16 0x50   // difftest::kData16
#define MSR_EFER 0xC0000080
#define EFER_LME 0x100
#define CR0_PG 0x80000000

  .section .bss
  .balign 16
saved_sp:
  .skip 8
saved_idtr:
  .skip 16

  .section .text
  .globl dt_run_real_mode
#if defined(__x86_64__)
  .code64
dt_run_real_mode:
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, saved_sp(%rip)
  sidt saved_idtr(%rip)
  push $GUEST_SEL_CODE32
  lea compatibility_mode(%rip), %rax
  push %rax
  lretq

  .code32
compatibility_mode:
  mov %cr0, %eax            // Identity-mapped code: safe to turn paging off.
  and $~CR0_PG, %eax
  mov %eax, %cr0            // IA32_EFER.LMA becomes 0: protected mode.
  mov $MSR_EFER, %ecx
  rdmsr
  and $~EFER_LME, %eax
  wrmsr
  jmp to_16bit_protected_mode
#else
  .code32
dt_run_real_mode:
  push %ebp
  push %ebx
  push %esi
  push %edi
  mov %esp, saved_sp
  sidt saved_idtr
  mov %cr0, %eax
  and $~CR0_PG, %eax
  mov %eax, %cr0
#endif

to_16bit_protected_mode:
  ljmp $SEL_CODE16, $ABS(protected_mode_16)

  .code32
  .globl dt_protected_mode_return
dt_protected_mode_return:
  mov $GUEST_SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %ax, %fs
  mov %ax, %gs
  mov saved_sp, %esp        // Below 4 GiB in both builds.
#if defined(__x86_64__)
  mov $MSR_EFER, %ecx
  rdmsr
  or $EFER_LME, %eax
  wrmsr
  mov %cr0, %eax            // CR3 and CR4.PAE are as the runtime left them.
  or $CR0_PG, %eax
  mov %eax, %cr0            // IA32_EFER.LMA becomes 1: compatibility mode.
  ljmp $GUEST_SEL_CODE64, $long_mode_return

  .code64
long_mode_return:
  // Upper halves of the GPRs are undefined after 32-bit code (SDM Vol. 1
  // 3.4.1.1): RSP and the callee-saved registers come back from memory.
  mov saved_sp(%rip), %rsp
  lidt saved_idtr(%rip)
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
  ret
#else
  mov %cr0, %eax
  or $CR0_PG, %eax
  mov %eax, %cr0
  lidt saved_idtr
  pop %edi
  pop %esi
  pop %ebx
  pop %ebp
  ret
#endif

// ---- The blob: runs at BLOB_BASE, in 16-bit protected and real mode. ----
  .balign 16
  .globl dt_blob_start
  .globl dt_blob_end
  .globl dt_real_mode_results
  .globl dt_real_mode_after_int
  .globl dt_real_mode_divide
  .code16
dt_blob_start:
protected_mode_16:
  mov $SEL_DATA16, %ax      // 64 KiB, byte granular, expand-up, writable.
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %fs
  mov %ax, %gs
  mov %ax, %ss
  lidt ABS(real_mode_idtr)
  mov %cr0, %eax
  and $~1, %eax             // CR0.PE=0 (PG is already 0).
  mov %eax, %cr0
  ljmp $0, $ABS(real_mode)

real_mode:
  xor %ax, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $REAL_STACK, %sp
  // IVT entries (offset, segment): 60h, our software interrupt; 0, #DE.
  movw $ABS(int60_handler), 0x60 * 4
  movw $0, 0x60 * 4 + 2
  movw $ABS(divide_error_handler), 0
  movw $0, 2

  // Segment arithmetic: linear = selector * 16 + offset, three ways.
  mov $0x0800, %ax
  mov %ax, %es
  movw $0xBEEF, %es:(ABS(scratch) - 0x8000)
  mov ABS(scratch), %ax
  mov %ax, ABS(r_segment_direct)
  mov $0x07FF, %ax
  mov %ax, %es
  mov %es:(ABS(scratch) - 0x7FF0), %ax
  mov %ax, ABS(r_segment_other)
  les ABS(far_pointer), %bx
  mov %es:(%bx), %ax
  mov %ax, ABS(r_les_value)
  mov %es, ABS(r_les_segment)

  // 16-bit ALU and flags, and a 32-bit operation (66h prefix).
  mov $0x7FFF, %ax
  add $1, %ax
  pushf
  pop ABS(r_add_flags)
  mov %ax, ABS(r_add_value)
  xor %ax, %ax
  sub $1, %ax
  pushf
  pop ABS(r_sub_flags)
  mov %ax, ABS(r_sub_value)
  mov $0x1234, %ax
  mov $0x0100, %cx
  mul %cx
  pushf
  pop ABS(r_mul_flags)
  mov %ax, ABS(r_mul_low)
  mov %dx, ABS(r_mul_high)
  mov $0x8001, %ax
  rol $1, %ax
  pushf
  pop ABS(r_rol_flags)
  mov %ax, ABS(r_rol_value)
  mov $0x12345678, %eax
  add $0x0FEDCBA9, %eax
  mov %eax, ABS(r_add32)

  // INT 60h through the IVT: the handler records the pushed IP, CS, FLAGS.
  pushw $0x08D7             // All status flags set, IF=0.
  popf
  mov $0x1111, %ax
  int $0x60
dt_real_mode_after_int:
  pushf
  pop ABS(r_flags_after_iret)
  mov %ax, ABS(r_ax_after_int)

  // #DE in real mode: delivered through IVT[0]; the handler skips DIV CL.
  mov $0x0100, %ax
  xor %cl, %cl
dt_real_mode_divide:
  div %cl
  mov %ax, ABS(r_ax_after_divide)

  // Back to protected mode.
  cli
  mov %cr0, %eax
  or $1, %eax
  mov %eax, %cr0
  ljmpl $GUEST_SEL_CODE32, $dt_protected_mode_return

int60_handler:
  push %bp
  mov %sp, %bp
  mov 2(%bp), %bx
  mov %bx, ABS(r_int_ip)
  mov 4(%bp), %bx
  mov %bx, ABS(r_int_cs)
  mov 6(%bp), %bx
  mov %bx, ABS(r_int_flags)
  pushf
  pop ABS(r_handler_flags)
  add $0x3131, %ax          // Changes the flags too; IRET restores them.
  pop %bp
  iret

divide_error_handler:
  push %bp
  mov %sp, %bp
  mov 2(%bp), %bx
  mov %bx, ABS(r_divide_ip)
  addw $2, 2(%bp)           // DIV CL is F6 F1.
  pop %bp
  iret

  .balign 4
real_mode_idtr:
  .word 0x3FF               // 256 vectors x 4 bytes, at linear 0.
  .long 0
far_pointer:
  .word ABS(scratch) - 0x7F00, 0x07F0
scratch:
  .word 0
// Must match RealModeResults in modes.cc.
dt_real_mode_results:
r_segment_direct: .word 0
r_segment_other: .word 0
r_les_value: .word 0
r_les_segment: .word 0
r_add_value: .word 0
r_add_flags: .word 0
r_sub_value: .word 0
r_sub_flags: .word 0
r_mul_low: .word 0
r_mul_high: .word 0
r_mul_flags: .word 0
r_rol_value: .word 0
r_rol_flags: .word 0
r_int_ip: .word 0
r_int_cs: .word 0
r_int_flags: .word 0
r_handler_flags: .word 0
r_flags_after_iret: .word 0
r_ax_after_int: .word 0
r_divide_ip: .word 0
r_ax_after_divide: .word 0
r_add32: .long 0
dt_blob_end:

  .section .note.GNU-stack, "", @progbits
