// CLI, STI, PUSHF, POPF: the CPL/IOPL rules of SDM Vol. 2A CLI/STI and Vol. 2B POPF
// (Table 4-15, "Effect of POPF/POPFD on the EFLAGS Register").
#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/exception_catcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CaughtException;
using testing::CpuHarness;
using testing::EnterCpl3;
using testing::InstallExceptionCatchers;
using testing::kCodeBase;
using testing::Mode;
using testing::RunAndCatch;

constexpr uint64_t kIopl3 = 3ull << 12;

// POPFQ of `pushed` at the given CPL and IOPL with IF = 1 before; the code stores the
// resulting RFLAGS in RAX and ends with UD2 (caught), so CPL 3 needs no HLT.
struct PopfCase {
  const char* name;
  int cpl;
  int iopl;
  uint64_t pushed;
  uint64_t expected;  // RFLAGS after POPFQ
};

TEST(FlagsSysTest, PopfqFollowsCplAndIoplRules) {
  const PopfCase cases[] = {
      // The required case: CPL 3, IOPL 0 clearing IF neither faults nor changes IF.
      {"cpl3 iopl0 clear IF: IF kept", 3, 0, 0x2, 0x202},
      {"cpl0 iopl0 clear IF: IF cleared", 0, 0, 0x2, 0x2},
      {"cpl3 iopl3 clear IF: IF cleared, IOPL kept", 3, 3, 0x2, 0x3002},
      {"cpl3 iopl0 set IOPL: kept", 3, 0, 0x3202, 0x202},
      {"cpl0 sets IOPL", 0, 0, 0x3202, 0x3202},
      {"cpl0 lowers IOPL", 0, 3, 0x202, 0x202},
      // All bits but TF set: VM, RF, VIF, VIP and reserved bits are never loaded; AC,
      // ID, NT and the arithmetic flags are.
      {"cpl0 all ones", 0, 0, ~uint64_t{kFlagTF}, 0x247ED7},
      {"cpl3 iopl0 all ones", 3, 0, ~uint64_t{kFlagTF}, 0x244ED7},
  };
  for (const PopfCase& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    InstallExceptionCatchers(h);
    ASSERT_TRUE(h.LoadAsm(R"(
        mov rbx, rcx
        push rbx
        popfq
        pushfq
        pop rax
        ud2
    )").ok());
    h.cpu.s.gpr[kRcx] = c.pushed;
    h.cpu.s.SetRflags(kFlagIF | static_cast<uint64_t>(c.iopl) << 12);
    if (c.cpl == 3) EnterCpl3(h, c.iopl);
    const CaughtException e = RunAndCatch(h);
    EXPECT_EQ(e.vector, kUD) << e.run.message;
    EXPECT_EQ(h.cpu.s.gpr[kRax], c.expected);
  }
}

TEST(FlagsSysTest, PopfWith16BitOperandKeepsUpperFlags) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(R"(
      push 0x40000    # AC
      popfq
      pushw 0x0ED7
      popfw
      pushfq
      pop rax
      hlt
  )").ok());
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0x40ED7u);  // AC from before, low 16 bits from the pop
}

TEST(FlagsSysTest, PopfClearsRfAndPushfHidesRfAndVm) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(R"(
      pushfq
      pop rbx
      push 0x10002     # RF
      popfq
      pushfq
      pop rax
      hlt
  )").ok());
  h.cpu.s.SetRflags(kFlagRF | 0x2);
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 0x2u) << "PUSHF stores RF as 0";
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0x2u) << "POPF never sets RF";
}

TEST(FlagsSysTest, RealModePopfChangesIoplAndIf) {
  CpuHarness h(Mode::kReal16);
  ASSERT_TRUE(h.LoadAsm(R"(
      push 0x3202
      popf
      pushf
      pop ax
      cli
      hlt
  )", 0x8000).ok());
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRax] & 0xFFFF, 0x3202u);
}

// CLI/STI: protected mode needs IOPL >= CPL, else #GP(0) with RIP at the instruction
// and IF unchanged.
struct IfCase {
  const char* name;
  const char* insn;
  int cpl;
  int iopl;
  bool if_before;
  int vector;  // kUD = completed (the UD2 after it), kGP = faulted
  bool if_after;
};

TEST(FlagsSysTest, CliStiPrivilege) {
  const IfCase cases[] = {
      {"cli cpl0", "cli", 0, 0, true, kUD, false},
      {"sti cpl0", "sti", 0, 0, false, kUD, true},
      {"cli cpl3 iopl0", "cli", 3, 0, true, kGP, true},
      {"sti cpl3 iopl0", "sti", 3, 0, false, kGP, false},
      {"cli cpl3 iopl3", "cli", 3, 3, true, kUD, false},
      {"sti cpl3 iopl3", "sti", 3, 3, false, kUD, true},
  };
  for (const IfCase& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    InstallExceptionCatchers(h);
    ASSERT_TRUE(h.LoadAsm(std::string(c.insn) + "\n ud2").ok());
    h.cpu.s.SetRflags((c.if_before ? kFlagIF : 0) | static_cast<uint64_t>(c.iopl) << 12);
    if (c.cpl == 3) EnterCpl3(h, c.iopl);
    const CaughtException e = RunAndCatch(h);
    EXPECT_EQ(e.vector, c.vector) << e.run.message;
    if (c.vector == kGP) {
      EXPECT_EQ(e.error_code, 0u);
      EXPECT_EQ(e.rip, kCodeBase);
    } else {
      EXPECT_EQ(e.rip, kCodeBase + 1);  // the UD2
    }
    EXPECT_EQ((e.rflags & kFlagIF) != 0, c.if_after);
  }
}

TEST(FlagsSysTest, StiBlocksInterruptsOnlyWhenItSetsIf) {
  for (const bool if_before : {false, true}) {
    SCOPED_TRACE(if_before ? "IF was 1" : "IF was 0");
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm("sti\n nop").ok());
    h.cpu.s.SetRflags(if_before ? kFlagIF | 0x2 : 0x2);
    h.Run(1);
    EXPECT_EQ(h.cpu.s.sti_shadow, !if_before);
    EXPECT_TRUE(h.cpu.s.Rflags() & kFlagIF);
  }
}

TEST(FlagsSysTest, InterruptAfterStiWaitsOneInstruction) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("sti\n mov eax, 1\n hlt").ok());
  ASSERT_TRUE(h.LoadAsm("mov ecx, eax\n hlt", 0x180000).ok());
  h.cpu.s.rip = kCodeBase;
  h.SetInterruptGate(0x40, 0x180000);
  h.platform.pending_vectors.push_back(0x40);
  h.cpu.s.SetRflags(0x2);
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, 0x180000u + 3) << "the handler ran to its HLT";
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 1u) << "the instruction after STI ran first";
}

TEST(FlagsSysTest, PushfPopfInRealModeUse16Bits) {
  CpuHarness h(Mode::kReal16);
  ASSERT_TRUE(h.LoadAsm(R"(
      mov sp, 0x7000
      pushf
      mov ax, sp
      hlt
  )", 0x8000).ok());
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRax] & 0xFFFF, 0x6FFEu);
}

}  // namespace
}  // namespace vmxemu::cpu
