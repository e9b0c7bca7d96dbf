// Tests of NMI and external-interrupt delivery (cpu/exceptions.cc): when the run loop
// takes them (IF, NMI blocking until IRET, the STI and MOV SS/POP SS shadows, HLT).
// Expected behaviour from SDM Vol. 3A 6.7.1, 6.8.1 and 6.8.3.
#include <string>

#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/segment_setup.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCodeBase;
using testing::kStackTop;
using testing::Mode;
using ::testing::HasSubstr;

constexpr uint64_t kHandler = 0x180000;

// The n-th stack slot above RSP (8 bytes in IA-32e mode, 4 otherwise).
uint64_t Slot(CpuHarness& h, int n) {
  const int w = h.mode == Mode::kLong64 ? 8 : 4;
  return h.ReadPhys(h.cpu.s.gpr[kRsp] + w * n, w);
}

void Load(CpuHarness& h, const std::string& main_code, const std::string& handler = "hlt",
          uint64_t handler_at = kHandler) {
  ASSERT_TRUE(h.LoadAsm(handler, handler_at).ok());
  ASSERT_TRUE(h.LoadAsm(main_code).ok());
}

// ---- NMI and external interrupts (SDM Vol. 3A 6.7.1, 6.8) ---------------------------

TEST(NmiDelivery, BlockedUntilIretThenDeliveredAtOnce) {
  CpuHarness h;
  h.SetInterruptGate(kNMI, kHandler);
  // The handler counts in RBX and records RCX (the main loop's progress) per NMI; the
  // port write makes the CPU poll its event lines.
  Load(h, "1: inc rcx\n cmp rcx, 1000\n jne 1b\n hlt",
       "inc rbx\n mov [rbx * 8 + 0x200000], rcx\n out 0x80, al\n iretq");
  h.platform.nmi = true;
  RunResult r = h.Run(1);  // delivery, then the handler's INC
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 1u);
  EXPECT_TRUE(h.cpu.s.nmi_blocked);
  h.platform.nmi = true;  // a second NMI while the first is being handled
  r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 2u);
  EXPECT_EQ(h.ReadPhys(0x200008, 8), 0u);
  EXPECT_EQ(h.ReadPhys(0x200010, 8), 0u);  // taken right after the IRETQ, before the loop ran
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 1000u);
  EXPECT_FALSE(h.cpu.s.nmi_blocked);
}

TEST(NmiDelivery, NotMaskedByIf) {
  CpuHarness h;
  h.SetInterruptGate(kNMI, kHandler);
  Load(h, "hlt");
  h.platform.nmi = true;  // IF = 0
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(Slot(h, 0), kCodeBase);
}

TEST(ExternalInterrupts, DeliveredBeforeTheNextInstructionWhenIfIsSet) {
  CpuHarness h;
  h.SetInterruptGate(0x40, kHandler);
  Load(h, "inc rbx\n hlt");
  h.platform.pending_vectors.push_back(0x40);
  h.cpu.SetFlags(kFlagIF, kFlagIF);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 0u);
  EXPECT_EQ(Slot(h, 0), kCodeBase);
  EXPECT_EQ(Slot(h, 2), 0x202u);
  EXPECT_FALSE(h.cpu.s.Rflags() & kFlagIF);
  EXPECT_TRUE(h.platform.pending_vectors.empty());
}

TEST(ExternalInterrupts, HeldWhileIfIsClear) {
  CpuHarness h;
  h.SetInterruptGate(0x40, kHandler);
  Load(h, "inc rbx\n hlt");
  h.platform.pending_vectors.push_back(0x40);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_THAT(r.message, HasSubstr("interrupts disabled"));
  EXPECT_EQ(h.cpu.s.rip, kCodeBase + 4);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 1u);
  EXPECT_EQ(h.platform.pending_vectors.size(), 1u);
}

TEST(ExternalInterrupts, ShadowsDelayDeliveryByAnInstruction) {
  // SDM Vol. 3A 6.8.3: after STI (IF was 0) or MOV SS/POP SS, no interrupt is taken
  // before the next instruction completes. The interrupt is raised just after the
  // shadowing instruction.
  struct Case {
    const char* name;
    const char* code;
    bool sti_shadow;   // set directly, as STI (IF was 0) would
    uint64_t before;   // instructions to run before raising the interrupt
    uint64_t inc_at;   // offset of the INC the shadow lets run
  } cases[] = {{"STI shadow", "inc ebx\n hlt", true, 0, 0},
               {"MOV SS shadow", "mov ss, ax\n inc ebx\n hlt", false, 1, 2},
               {"POP SS shadow", "push 0x10\n pop ss\n inc ebx\n hlt", false, 2, 3}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(Mode::kProtected32);
    h.SetInterruptGate(0x40, kHandler);
    Load(h, c.code);
    h.cpu.s.gpr[kRax] = testing::kDataSel;
    h.cpu.SetFlags(kFlagIF, kFlagIF);
    if (c.before > 0) {
      ASSERT_EQ(h.Run(c.before).reason, StopReason::kBudget);
    }
    h.cpu.s.sti_shadow = c.sti_shadow;
    h.platform.pending_vectors.push_back(0x40);
    h.cpu.platform();  // the board changed: the CPU polls its lines again
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(h.cpu.s.gpr[kRbx], 1u);             // the shadowed instruction ran
    EXPECT_GT(Slot(h, 0), kCodeBase + c.inc_at);  // the interrupt came after it
  }
}

TEST(ExternalInterrupts, StiHltIdiomTakesTheInterruptAfterHlt) {
  // "sti; hlt" with an interrupt pending: the STI shadow covers the HLT, so the CPU
  // halts and the interrupt wakes it with the return address after the HLT.
  CpuHarness h;
  h.SetInterruptGate(0x40, kHandler);
  Load(h, "sti\n hlt\n inc rbx\n hlt", "inc rcx\n iretq");
  h.platform.pending_vectors.push_back(0x40);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 1u);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 1u);
  EXPECT_EQ(h.ReadPhys(kStackTop - 40, 8), kCodeBase + 2);  // pushed RIP: after the HLT
  EXPECT_EQ(h.cpu.s.rip, kCodeBase + 6);
}

TEST(ExternalInterrupts, WakeHltAndReturnAfterIt) {
  CpuHarness h;
  h.SetInterruptGate(0x40, kHandler);
  Load(h, "hlt\n inc rbx\n hlt", "inc rcx\n iretq");
  h.cpu.s.sti_shadow = true;  // as after "sti; hlt": the HLT runs first
  h.platform.pending_vectors.push_back(0x40);
  h.cpu.SetFlags(kFlagIF, kFlagIF);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 1u);  // the handler ran once
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 1u);  // and returned to the instruction after HLT
  EXPECT_EQ(h.cpu.s.rip, kCodeBase + 5);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop);
}

}  // namespace
}  // namespace vmxemu::cpu
