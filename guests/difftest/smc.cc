// smc: self-modifying code. Every case stores into code and then executes
// it; the transcript prints what the modified code computed:
//  - an immediate patched inside a running loop;
//  - the next instruction patched by the instruction before it, in the
//    same basic block (P6 and later detect the store to an instruction
//    already fetched, SDM Vol. 3A 11.6);
//  - code written into a fresh page, called, rewritten, called again;
//  - code reached through an alias mapping (two linear addresses of one
//    physical page): written through one, executed through the other (SDM
//    Vol. 3A 8.1.3, option 1: store, then jump to the new code);
//  - an instruction that straddles a page boundary, changed in its second
//    page.
#include <stdint.h>

#include "guests/difftest/report.h"
#include "guests/difftest/x86_bits.h"
#include "guests/lib/boot_info.h"
#include "guests/lib/pmm.h"
#include "guests/lib/printf.h"
#include "guests/lib/x86.h"

namespace difftest {
namespace {

// ADD EAX, imm32 (05 id) whose immediate the loop rewrites each iteration:
// iteration i adds the immediate iteration i-1 stored, i * 11h.
uint32_t PatchImmediateInLoop() {
  uint32_t sum;
  asm volatile(
      "movl $5, 2f(%%rip)\n\t"  // Reset: the code keeps its last patch.
      "xor %%eax, %%eax\n\t"
      "xor %%ecx, %%ecx\n"
      "1:\t.byte 0x05\n"
      "2:\t.long 0\n\t"
      "inc %%ecx\n\t"
      "imul $0x11, %%ecx, %%edx\n\t"
      "mov %%edx, 2b(%%rip)\n\t"
      "cmp $8, %%ecx\n\t"
      "jne 1b"
      : "=a"(sum)
      :
      : "rcx", "rdx", "memory", "cc");
  return sum;
}

// The store right before an instruction changes it: ADD EAX, 1 (83 C0 01)
// becomes ADD EAX, 2, then INC EAX (FF C0) becomes DEC EAX (FF C8).
uint32_t PatchNextInstruction() {
  uint32_t value;
  asm volatile(
      "movb $0x01, 1f+2(%%rip)\n\t"  // Reset both to the original code.
      "movb $0xc0, 2f+1(%%rip)\n\t"
      "mov $0x100, %%eax\n\t"
      "movb $0x02, 1f+2(%%rip)\n"
      "1:\t.byte 0x83, 0xc0, 0x01\n\t"
      "movb $0xc8, 2f+1(%%rip)\n"
      "2:\t.byte 0xff, 0xc0\n\t"
      : "=a"(value)
      :
      : "memory", "cc");
  return value;
}

using Function = uint32_t (*)(uint32_t, uint32_t);

void Emit(volatile uint8_t* code, const uint8_t* bytes, int count) {
  for (int i = 0; i < count; ++i) code[i] = bytes[i];
}

// MOV EAX, imm32; RET.
void EmitMoveImmediate(volatile uint8_t* code, uint32_t immediate) {
  const uint8_t bytes[] = {0xB8,
                           static_cast<uint8_t>(immediate),
                           static_cast<uint8_t>(immediate >> 8),
                           static_cast<uint8_t>(immediate >> 16),
                           static_cast<uint8_t>(immediate >> 24),
                           0xC3};
  Emit(code, bytes, sizeof(bytes));
}

uint32_t Call(uintptr_t address, uint32_t a = 0, uint32_t b = 0) {
  return reinterpret_cast<Function>(address)(a, b);
}

void RunFreshPage() {
  auto* page = static_cast<volatile uint8_t*>(guest::alloc_page());
  uintptr_t entry = reinterpret_cast<uintptr_t>(page);
  uint32_t sum = 0;
  for (uint32_t i = 0; i < 16; ++i) {
    EmitMoveImmediate(page, i * 0x01010101);
    sum += Call(entry);
  }
  guest::printf("fresh page: 16 rewrites, sum=%08x\n", sum);
  Expect(sum == 120 * 0x01010101u, "fresh page sum");
  // LEA EAX, [RDI + RSI*2]; RET, over the old code.
  const uint8_t lea[] = {0x8D, 0x04, 0x77, 0xC3};
  Emit(page, lea, sizeof(lea));
  uint32_t result = Call(entry, 0x1000, 0x30);
  guest::printf("fresh page: new function(0x1000, 0x30)=%x\n", result);
  Expect(result == 0x1060, "fresh page new function");
}

// Maps two consecutive linear pages at 512 GiB (PML4 slot 1, empty in the
// boot map) onto frames of our choosing. Returns the base.
uintptr_t MapAliases(uintptr_t first_frame, uintptr_t second_frame) {
  constexpr uintptr_t kBase = uintptr_t{1} << 39;
  constexpr uint64_t kTable = kPteP | kPteRw;
  auto* pml4 = reinterpret_cast<uint64_t*>(guest::read_cr3() & ~0xFFFul);
  auto* pdpt = static_cast<uint64_t*>(guest::alloc_page());
  auto* pd = static_cast<uint64_t*>(guest::alloc_page());
  auto* pt = static_cast<uint64_t*>(guest::alloc_page());
  pml4[1] = reinterpret_cast<uintptr_t>(pdpt) | kTable;
  pdpt[0] = reinterpret_cast<uintptr_t>(pd) | kTable;
  pd[0] = reinterpret_cast<uintptr_t>(pt) | kTable;
  pt[0] = first_frame | kTable;
  pt[1] = second_frame | kTable;
  guest::write_cr3(guest::read_cr3());
  return kBase;
}

void RunAliases() {
  auto* frame = static_cast<volatile uint8_t*>(guest::alloc_page());
  auto* second = static_cast<volatile uint8_t*>(guest::alloc_page());
  uintptr_t direct = reinterpret_cast<uintptr_t>(frame);
  uintptr_t alias = MapAliases(direct, reinterpret_cast<uintptr_t>(second));
  auto* alias_code = reinterpret_cast<volatile uint8_t*>(alias);

  EmitMoveImmediate(frame, 0x11111111);
  uint32_t first = Call(alias);
  EmitMoveImmediate(frame, 0x22222222);  // Write direct, run the alias.
  uint32_t second_value = Call(alias);
  EmitMoveImmediate(alias_code, 0x33333333);  // Write alias, run direct.
  uint32_t third = Call(direct);
  uint32_t fourth = Call(alias);
  guest::printf("alias: %08x %08x %08x %08x\n", first, second_value, third,
                fourth);
  Expect(first == 0x11111111 && second_value == 0x22222222 &&
             third == 0x33333333 && fourth == 0x33333333,
         "alias mapping");

  // MOV EAX, imm32 at offset FFEh of the first page: opcode and one byte
  // of the immediate there, three bytes and RET in the second.
  uintptr_t straddle = alias + 4096 - 2;
  EmitMoveImmediate(reinterpret_cast<volatile uint8_t*>(straddle), 0xA1B2C3D4);
  uint32_t before = Call(straddle);
  second[2] = 0x55;  // Bits 31:24 of the immediate, via the direct frame.
  uint32_t after = Call(straddle);
  guest::printf("straddling instruction: %08x then %08x\n", before, after);
  Expect(before == 0xA1B2C3D4 && after == 0x55B2C3D4, "straddling");
}

}  // namespace
}  // namespace difftest

int kmain(const guest::BootInfo&) {
  using namespace difftest;
  uint32_t sum = PatchImmediateInLoop();
  guest::printf("patched immediate in loop: sum=%x\n", sum);
  Expect(sum == 5 + 0x11 * 28, "immediate patch");
  uint32_t next = PatchNextInstruction();
  guest::printf("patched next instructions: eax=%x\n", next);
  Expect(next == 0x101, "next-instruction patch: want 101");
  // Twice more: the code starts out patched now and must be reset.
  uint32_t again = PatchImmediateInLoop() + PatchNextInstruction();
  guest::printf("second run: %x\n", again);
  Expect(again == sum + next, "second run");
  RunFreshPage();
  RunAliases();
  return Finish("smc");
}
