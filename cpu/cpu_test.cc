// End-to-end tests of the core: decode cache, run loop, memory path, faults.
#include "cpu/cpu.h"

#include "cpu/testing/cpu_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCodeBase;
using testing::kDataBase;
using testing::Mode;
using ::testing::HasSubstr;

TEST(CpuTest, FiveInstructionLoopComputesAndHalts) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(R"(
      mov ecx, 1000
      xor eax, eax
      mov ebx, 3
    1:
      add rax, rbx
      xor rdx, rax
      add rbx, 1
      dec ecx
      jnz 1b
      hlt
  )").ok());
  RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kHalted) << r.message;
  // sum_{k=3}^{1002} k = (1002*1003/2) - 3
  EXPECT_EQ(h.cpu.s.gpr[kRax], 1002u * 1003 / 2 - 3);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 1003u);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
  EXPECT_EQ(h.cpu.retired(), 3u + 5 * 1000 + 1);
  EXPECT_EQ(h.cpu.s.rip, kCodeBase + h.code_size);  // just after the final HLT
}

TEST(CpuTest, FlagsAfterSubtractAndCompare) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("mov eax, 5\n cmp eax, 7\n hlt").ok());
  h.Run();
  const uint64_t f = h.cpu.s.Rflags();
  // 5 - 7 = -2: CF (borrow), SF, AF (5-7 borrows from bit 4), not ZF/OF; PF of 0xFE: 7 bits -> odd -> 0.
  EXPECT_TRUE(f & kFlagCF);
  EXPECT_TRUE(f & kFlagSF);
  EXPECT_TRUE(f & kFlagAF);
  EXPECT_FALSE(f & kFlagZF);
  EXPECT_FALSE(f & kFlagOF);
  EXPECT_FALSE(f & kFlagPF);
}

TEST(CpuTest, MemoryOperandsAndStack) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(R"(
      mov rdi, 0x200000
      mov qword ptr [rdi], 40
      add qword ptr [rdi], 2
      mov rax, [rdi]
      push rax
      call 1f
      jmp 2f
    1:
      pop rbx
      push rbx
      ret
    2:
      pop rcx
      hlt
  )").ok());
  RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRax], 42u);
  EXPECT_EQ(h.ReadPhys(kDataBase, 8), 42u);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 42u);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], testing::kStackTop);
}

TEST(CpuTest, PageFaultDeliveredWithErrorCodeAndCr2) {
  CpuHarness h;
  // Unmap the 2 MiB page at 0x400000, then write to it; the #PF handler halts.
  h.WritePhys(0x3000 + 8 * 2, 0, 8);
  ASSERT_TRUE(h.LoadAsm(R"(
      mov rax, 0x400010
      mov dword ptr [rax], 1
      hlt
  )").ok());
  ASSERT_TRUE(h.LoadAsm("pop rbx\n hlt", 0x180000).ok());
  h.cpu.s.rip = kCodeBase;
  h.SetInterruptGate(kPF, 0x180000);
  RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.cr2, 0x400010u);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 2u);  // error code: not present, write, supervisor
  EXPECT_EQ(h.cpu.s.rip, 0x180002u);
}

TEST(CpuTest, UnimplementedInstructionStopsNamingItAndTheRip) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("nop\n fld1\n hlt").ok());
  RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kError);
  EXPECT_THAT(r.message, HasSubstr("fld1"));
  EXPECT_THAT(r.message, HasSubstr("RIP=0x100001"));
}

TEST(CpuTest, SelfModifyingCodeIsSeen) {
  CpuHarness h;
  // The loop rewrites the immediate of its own "mov eax, imm32" each iteration.
  ASSERT_TRUE(h.LoadAsm(R"(
      mov ecx, 3
    1:
      mov eax, 0x11111111
      lea rdi, [rip + 1b]
      mov dword ptr [rdi + 1], 0x22222222
      dec ecx
      jnz 1b
      hlt
  )").ok());
  RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0x22222222u);
}

TEST(CpuTest, BudgetStopsExactly) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("1: inc rax\n jmp 1b").ok());
  RunResult r = h.Run(1001);
  EXPECT_EQ(r.reason, StopReason::kBudget);
  EXPECT_EQ(h.cpu.retired(), 1001u);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 501u);
}

}  // namespace
}  // namespace vmxemu::cpu
