// Multiboot v1 entry of every guest kernel.
//
// The loader enters _start in 32-bit protected mode with paging off,
// EAX = 0x2BADB002 and EBX = physical address of the multiboot information
// (Multiboot 0.6.96, 3.2 "Machine state"). GDTR and IDTR may be invalid, so
// the first thing we do is load our own GDT. Then:
//   64-bit build: identity-map 0..4 GiB with 2 MiB pages, enter IA-32e mode
//                 (SDM Vol. 3A "Initializing IA-32e Mode"), jump to 64-bit
//                 code.
//   32-bit build: identity-map 0..4 GiB with 4 MiB pages and stay in 32-bit
//                 protected mode.
// Both end in guest_main_entry(magic, mbinfo_phys), which never returns.
#include "guests/lib/segments.h"

#define MULTIBOOT_MAGIC 0x1BADB002
// Bit 0: align modules on 4 KiB; bit 1: provide mem_lower/mem_upper.
// Bit 16 (a.out kludge) is clear: the loader uses our ELF program headers.
#define MULTIBOOT_FLAGS 0x00000003

#define CR0_PE (1 << 0)
#define CR0_NE (1 << 5)
#define CR0_PG (1 << 31)
#define CR4_PSE (1 << 4)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define PTE_P 0x001
#define PTE_RW 0x002
#define PTE_PS 0x080

#define BOOT_STACK_SIZE 0x8000

// Multiboot 0.6.96, 3.1.1: the header must be 32-bit aligned and lie within
// the first 8192 bytes of the image; kernel.ld puts this section first.
  .section .multiboot, "a"
  .balign 4
multiboot_header:
  .long MULTIBOOT_MAGIC
  .long MULTIBOOT_FLAGS
  .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

  .section .data
  .balign 16
// Descriptor layout: SDM Vol. 3A "Segment Descriptors". The order must match
// segments.h.
  .globl guest_gdt
guest_gdt:
  .quad 0                   // GUEST_SEL_NULL
  .quad 0x00AF9A000000FFFF  // GUEST_SEL_CODE64: P, DPL0, code r/x, L=1, G.
  .quad 0x00CF9A000000FFFF  // GUEST_SEL_CODE32: P, DPL0, code r/x, D=1, G.
  .quad 0x00CF92000000FFFF  // GUEST_SEL_DATA: P, DPL0, data r/w, B=1, G.
  .quad 0, 0                // GUEST_SEL_TSS: written by init_gdt().
guest_gdt_end:
  .balign 4
  .word 0                   // Pads so the pointer's base field is aligned.
gdt_pointer:
  .word guest_gdt_end - guest_gdt - 1
  .long guest_gdt

  .section .bss
  .balign 4096
#if defined(__x86_64__)
boot_pml4:
  .skip 4096
boot_pdpt:
  .skip 4096
boot_pd:
  .skip 4 * 4096            // Four page directories, 1 GiB each.
#else
boot_pd:
  .skip 4096                // 1024 PDEs x 4 MiB = 4 GiB.
#endif
boot_stack:
  .skip BOOT_STACK_SIZE
boot_stack_top:

  .section .text
  .code32
  .globl _start
  .type _start, @function
_start:
  cli
  cld
  // EBP/ESI survive the .bss clearing below (REP STOSB uses EDI, ECX, EAX).
  mov %eax, %ebp
  mov %ebx, %esi

  lgdt gdt_pointer
  ljmp $GUEST_SEL_CODE32, $1f
1:
  mov $GUEST_SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %ax, %fs
  mov %ax, %gs

  // Loaders are meant to zero .bss (the p_memsz > p_filesz part of the ELF
  // segment), but we do not rely on it: the page tables must start empty.
  mov $__bss_start, %edi
  mov $_end, %ecx
  sub %edi, %ecx
  xor %eax, %eax
  rep stosb
  mov $boot_stack_top, %esp

#if defined(__x86_64__)
  // SDM Vol. 2A CPUID: leaf 80000001h EDX bit 29 = Intel 64, bit 20 = NX.
  mov $0x80000000, %eax
  cpuid
  cmp $0x80000001, %eax
  jb no_long_mode
  mov $0x80000001, %eax
  cpuid
  bt $29, %edx
  jnc no_long_mode
  mov %edx, %ebx            // Keep the NX bit for the EFER write.

  // 4-level paging (SDM Vol. 3A "4-Level Paging and 5-Level Paging"):
  // PML4[0] -> PDPT, PDPT[0..3] -> four page directories whose 2048 PDEs map
  // 2 MiB pages (PS=1) 1:1. No 1 GiB pages: not every CPU model has them.
  movl $(boot_pdpt + PTE_P + PTE_RW), boot_pml4
  mov $boot_pdpt, %edi
  mov $(boot_pd + PTE_P + PTE_RW), %eax
  mov $4, %ecx
2:
  mov %eax, (%edi)          // The high dword stays zero from the clear.
  add $4096, %eax
  add $8, %edi
  loop 2b

  mov $boot_pd, %edi
  mov $(PTE_P + PTE_RW + PTE_PS), %eax
  mov $2048, %ecx
3:
  mov %eax, (%edi)          // Even 2047 << 21 fits in the low dword.
  add $0x200000, %eax
  add $8, %edi
  loop 3b

  mov $boot_pml4, %eax
  mov %eax, %cr3
  mov %cr4, %eax
  or $CR4_PAE, %eax
  mov %eax, %cr4

  mov $MSR_EFER, %ecx
  rdmsr
  or $EFER_LME, %eax
  bt $20, %ebx
  jnc 4f
  or $EFER_NXE, %eax        // Only if present: setting it otherwise is #GP.
4:
  wrmsr

  // CR0.NE too: VMX operation requires it (SDM Vol. 3C "VMX-Fixed Bits in
  // CR0"), and it is the native x87 error mode anyway.
  mov %cr0, %eax
  or $(CR0_PE + CR0_NE + CR0_PG), %eax
  mov %eax, %cr0            // EFER.LMA becomes 1 here.
  ljmp $GUEST_SEL_CODE64, $long_mode_entry

no_long_mode:
  // No C++ runtime yet: print by polling COM1, then exit like guest::panic.
  mov $no_long_mode_message, %esi
1:
  lodsb
  test %al, %al
  jz 3f
  mov %al, %bl
  mov $0x3FD, %dx           // LSR: wait for THRE (bit 5).
2:
  in %dx, %al
  test $0x20, %al
  jz 2b
  mov $0x3F8, %dx
  mov %bl, %al
  out %al, %dx
  jmp 1b
3:
  mov $0xF4, %dx            // isa-debug-exit, code 2 as in guest::panic.
  mov $2, %eax
  out %eax, %dx
4:
  cli
  hlt
  jmp 4b

  .code64
long_mode_entry:
  mov $GUEST_SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %ax, %fs
  mov %ax, %gs
  // Upper halves of GPRs are undefined after the mode switch (SDM Vol. 1
  // "General-Purpose Registers in 64-Bit Mode"); 32-bit moves zero-extend.
  mov $boot_stack_top, %esp
  mov %ebp, %edi            // magic
  mov %esi, %esi            // mbinfo_phys
  call guest_main_entry
5:
  cli
  hlt
  jmp 5b

  .section .rodata
no_long_mode_message:
  .asciz "PANIC: CPU lacks long mode (CPUID 80000001h EDX bit 29)\n"

#else   // 32-bit
  // 32-bit paging with 4 MiB pages (SDM Vol. 3A "32-Bit Paging", needs
  // CR4.PSE): PDE i maps physical i << 22.
  mov $boot_pd, %edi
  mov $(PTE_P + PTE_RW + PTE_PS), %eax
  mov $1024, %ecx
2:
  mov %eax, (%edi)
  add $0x400000, %eax
  add $4, %edi
  loop 2b

  mov $boot_pd, %eax
  mov %eax, %cr3
  mov %cr4, %eax
  or $CR4_PSE, %eax
  mov %eax, %cr4
  // CR0.NE: see the 64-bit path.
  mov %cr0, %eax
  or $(CR0_PE + CR0_NE + CR0_PG), %eax
  mov %eax, %cr0

  sub $8, %esp              // i386 psABI: ESP 16-byte aligned at the call.
  push %esi                 // mbinfo_phys
  push %ebp                 // magic
  call guest_main_entry
3:
  cli
  hlt
  jmp 3b
#endif

// No executable stack (GNU ld would otherwise assume one).
  .section .note.GNU-stack, "", @progbits
