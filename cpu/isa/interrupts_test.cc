// Tests of INT n, INT3, INTO, INT1, IRET/IRETD/IRETQ and UD0-UD2 (cpu/isa/interrupts.cc).
// Expected values from SDM Vol. 2A "INT n/INTO/INT3/INT1", "IRET/IRETD/IRETQ".
#include <cstdint>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/segment_setup.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCode32Sel;
using testing::kCode64Sel;
using testing::kCodeBase;
using testing::kDataSel;
using testing::kStackTop;
using testing::kUserCode32Sel;
using testing::kUserCode64Sel;
using testing::kUserData32Sel;
using testing::Mode;
using ::testing::HasSubstr;

constexpr uint64_t kHandler = 0x180000;
constexpr uint64_t kTarget = 0x100800;  // where IRET frames return to (a HLT or a loop)
constexpr uint64_t kFrame = 0x6F000;    // RSP when the IRET executes

// Writes `values` as consecutive stack slots of `width` bytes from kFrame up.
void WriteFrame(CpuHarness& h, int width, const std::vector<uint64_t>& values) {
  for (size_t i = 0; i < values.size(); ++i) h.WritePhys(kFrame + width * i, values[i], width);
  h.cpu.s.gpr[kRsp] = kFrame;
}

uint64_t Slot(CpuHarness& h, int n) {
  const int w = h.mode == Mode::kLong64 ? 8 : 4;
  return h.ReadPhys(h.cpu.s.gpr[kRsp] + w * n, w);
}

TEST(Int, IntoTrapsOnlyWhenOfIsSet) {
  for (bool of : {false, true}) {
    SCOPED_TRACE(of ? "OF=1" : "OF=0");
    CpuHarness h(Mode::kProtected32);
    h.SetInterruptGate(kOF, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm("into\n hlt").ok());
    h.cpu.SetFlags(kFlagOF, of ? kFlagOF : 0);
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    if (of) {
      EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
      EXPECT_EQ(Slot(h, 0), kCodeBase + 1);  // a trap: the next instruction
    } else {
      EXPECT_EQ(h.cpu.s.rip, kCodeBase + 2);
    }
  }
}

TEST(Int, IntoIsInvalidIn64BitMode) {
  CpuHarness h;
  h.SetInterruptGate(kUD, kHandler);
  ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
  h.LoadBytes({0xCE});
  h.cpu.SetFlags(kFlagOF, kFlagOF);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(Slot(h, 0), kCodeBase);
}

TEST(Int, UndefinedOpcodesRaiseUd) {
  for (const char* code : {"ud2", "ud1 eax, dword ptr [rax]", "ud0 eax, dword ptr [rax]"}) {
    SCOPED_TRACE(code);
    CpuHarness h;
    h.SetInterruptGate(kUD, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm(std::string("nop\n ") + code).ok());
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(Slot(h, 0), kCodeBase + 1);  // a fault: the UD instruction itself
  }
}

TEST(Int, SystemCallRoundTripThroughCpl0) {
  // User code calls a DPL-3 gate, the kernel handler returns with IRETQ, the user code
  // then calls a second gate whose handler halts.
  CpuHarness h;
  testing::SetRsp0(h);
  h.SetInterruptGate(0x80, kHandler, 3);
  h.SetInterruptGate(0x81, kHandler + 0x100, 3);
  ASSERT_TRUE(h.LoadAsm("inc rcx\n iretq", kHandler).ok());
  ASSERT_TRUE(h.LoadAsm("hlt", kHandler + 0x100).ok());
  ASSERT_TRUE(h.LoadAsm("int 0x80\n inc rbx\n int 0x81").ok());
  testing::EnterUserMode(h, 0x60000);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 1u);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 1u);
  EXPECT_EQ(h.cpu.s.rip, kHandler + 0x101);
  EXPECT_EQ(Slot(h, 0), kCodeBase + 7);  // after INT 0x81
  EXPECT_EQ(Slot(h, 1), kUserCode64Sel);
  EXPECT_EQ(Slot(h, 3), 0x60000u);       // the user stack as it was before INT 0x80
  EXPECT_EQ(Slot(h, 4), kUserData32Sel);
}

// ---- IRET ----------------------------------------------------------------------------

struct IretCase {
  const char* name;
  Mode mode;
  const char* code;             // the IRET form
  bool user;                    // executed at CPL 3
  int width;                    // frame slot size
  std::vector<uint64_t> frame;  // IP, CS, FLAGS[, SP, SS]
  uint16_t cs;
  uint16_t ss;
  uint64_t rsp;
  uint64_t flags;  // expected RFLAGS
  bool data_nulled;
  int code_size;
};

TEST(Iret, ReturnsByMode) {
  const uint64_t u = kUserData32Sel;
  const IretCase cases[] = {
      {"IRETQ same privilege pops SS:RSP", Mode::kLong64, "iretq", false, 8,
       {kTarget, kCode64Sel, 0x203, 0x6E000, kDataSel}, kCode64Sel, kDataSel, 0x6E000, 0x203, false, 8},
      {"IRETQ to CPL 3, 64-bit", Mode::kLong64, "iretq", false, 8,
       {kTarget, kUserCode64Sel, 0x3202, 0x60000, u}, kUserCode64Sel, kUserData32Sel, 0x60000, 0x3202, true, 8},
      {"IRETQ to CPL 3, compatibility mode", Mode::kLong64, "iretq", false, 8,
       {kTarget, kUserCode32Sel, 0x202, 0x60000, u}, kUserCode32Sel, kUserData32Sel, 0x60000, 0x202, true, 4},
      {"IRETD in 64-bit mode pops 4-byte slots and SS:ESP", Mode::kLong64, "iretd", false, 4,
       {kTarget, kCode64Sel, 0x202, 0x6E000, kDataSel}, kCode64Sel, kDataSel, 0x6E000, 0x202, false, 8},
      {"IRETQ with a null SS at CPL 0", Mode::kLong64, "iretq", false, 8,
       {kTarget, kCode64Sel, 0x2, 0x6E000, 0}, kCode64Sel, 0, 0x6E000, 0x2, false, 8},
      {"IRETD same privilege pops 3 slots", Mode::kProtected32, "iretd", false, 4,
       {kTarget, kCode32Sel, 0x203}, kCode32Sel, kDataSel, kFrame + 12, 0x203, false, 4},
      {"IRETD to CPL 3", Mode::kProtected32, "iretd", false, 4,
       {kTarget, kUserCode32Sel, 0x202, 0x60000, u}, kUserCode32Sel, kUserData32Sel, 0x60000, 0x202, true, 4},
      {"IRETD to a 16-bit code segment", Mode::kProtected32, "iretd", false, 4,
       {0x0800, testing::kCode16Sel, 0x2}, testing::kCode16Sel, kDataSel, kFrame + 12, 0x2, false, 2},
      {"16-bit IRET", Mode::kProtected32, "iretw", false, 2,
       {0x0800, kCode32Sel, 0x0202}, kCode32Sel, kDataSel, kFrame + 6, 0x202, false, 4},
  };
  for (const IretCase& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    WriteFrame(h, c.width, c.frame);
    RunResult r = h.Run(1);
    ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
    EXPECT_EQ(h.cpu.s.rip, c.frame[0]);
    EXPECT_EQ(h.cpu.s.seg[kCs].selector, c.cs);
    EXPECT_EQ(h.cpu.s.cpl(), c.cs & 3);
    EXPECT_EQ(h.cpu.s.seg[kSs].selector, c.ss);
    EXPECT_EQ(h.cpu.s.gpr[kRsp], c.rsp);
    EXPECT_EQ(h.cpu.s.Rflags(), c.flags);
    EXPECT_EQ(h.cpu.code_size(), c.code_size);
    for (int seg : {kDs, kEs, kFs, kGs}) {
      EXPECT_EQ(h.cpu.s.seg[seg].selector, c.data_nulled ? 0 : kDataSel) << "segment " << seg;
      EXPECT_EQ(h.cpu.s.seg[seg].ar.unusable(), c.data_nulled);
    }
  }
}

TEST(Iret, FlagRulesDependOnCplAndIopl) {
  // SDM IRET: IF is loaded only when CPL <= IOPL, IOPL only at CPL 0, VIF/VIP only at
  // CPL 0; RF, AC, ID with 32/64-bit operand size. The image asks for all of them.
  const uint64_t image = 0x3202 | kFlagAC | kFlagID | kFlagVIF | kFlagVIP | kFlagRF | kFlagCF;
  struct Case {
    const char* name;
    bool user;
    uint64_t iopl;
    uint64_t expected;
  } cases[] = {
      {"CPL 0", false, 0, image},
      {"CPL 3, IOPL 0", true, 0, kFlagAC | kFlagID | kFlagRF | kFlagCF | 0x2},
      {"CPL 3, IOPL 3", true, 3, 0x3202 | kFlagAC | kFlagID | kFlagRF | kFlagCF},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm("iretq").ok());
    const uint64_t cs = c.user ? kUserCode64Sel : kCode64Sel;
    const uint64_t ss = c.user ? kUserData32Sel : kDataSel;
    if (c.user) testing::EnterUserMode(h, kFrame);
    h.cpu.SetFlags(kFlagIOPL, c.iopl << 12);
    WriteFrame(h, 8, {kTarget, cs, image, 0x60000, ss});
    RunResult r = h.Run(1);
    ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
    EXPECT_EQ(h.cpu.s.Rflags(), c.expected);
  }
}

TEST(Iret, RealModeIretdMasksFlags) {
  // SDM IRET "REAL-ADDRESS-MODE": EFLAGS = (temp AND 257FD5H) OR (EFLAGS AND 1A0000H).
  CpuHarness h(Mode::kReal16);
  ASSERT_TRUE(h.LoadAsm("iretd", 0x7C00).ok());
  h.cpu.SetFlags(kFlagVIF, kFlagVIF);
  h.cpu.s.seg[kSs].selector = 0x6000;  // SS:SP = 6000:F000 = kFrame
  h.cpu.s.seg[kSs].base = 0x60000;
  h.cpu.SegmentsChanged();
  WriteFrame(h, 4, {0x0100, 0x0800, 0x3FFFFF});
  RunResult r = h.Run(1);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(h.cpu.s.seg[kCs].base, 0x8000u);
  EXPECT_EQ(h.cpu.s.rip, 0x0100u);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], kFrame + 12);
  EXPECT_EQ(h.cpu.s.Rflags(), (0x3FFFFFu & 0x257FD5) | kFlagVIF | 0x2);
}

TEST(Iret, FaultsAreCheckedBeforeAnythingChanges) {
  constexpr uint16_t kNotPresentCode = 0x58, kConformingDpl3 = 0x60;
  struct Case {
    const char* name;
    std::vector<uint64_t> frame;
    uint8_t vector;
    uint32_t error;
  } cases[] = {
      {"non-canonical RIP", {0x0000800000000000, kCode64Sel, 2, kFrame, kDataSel}, kGP, 0},
      {"null CS", {kTarget, 0, 2, kFrame, kDataSel}, kGP, 0},
      {"CS beyond the GDT", {kTarget, 0x0FF8, 2, kFrame, kDataSel}, kGP, 0x0FF8},
      {"CS is data", {kTarget, kDataSel, 2, kFrame, kDataSel}, kGP, kDataSel},
      {"CS RPL 3 but DPL 0", {kTarget, kCode64Sel | 3, 2, 0x60000, kUserData32Sel}, kGP, kCode64Sel},
      {"conforming CS with DPL > RPL", {kTarget, kConformingDpl3, 2, kFrame, kDataSel}, kGP, kConformingDpl3},
      {"CS not present", {kTarget, kNotPresentCode, 2, kFrame, kDataSel}, kNP, kNotPresentCode},
      {"null SS back to CPL 3", {kTarget, kUserCode64Sel, 2, 0x60000, 3}, kGP, 0},
      {"null SS with RPL != CPL", {kTarget, kCode64Sel, 2, kFrame, 1}, kGP, 0},
      {"SS RPL != CS RPL", {kTarget, kUserCode64Sel, 2, 0x60000, kDataSel}, kGP, kDataSel},
      {"SS DPL != CS RPL", {kTarget, kUserCode64Sel, 2, 0x60000, kDataSel | 3}, kGP, kDataSel},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    testing::SetGdtEntry(h, kNotPresentCode, testing::MakeSegmentDescriptor(0, 0xFFFFF, 0x1B, 0xA));
    testing::SetGdtEntry(h, kConformingDpl3, testing::MakeSegmentDescriptor(0, 0xFFFFF, 0xFF, 0xA));
    h.SetInterruptGate(c.vector, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm("iretq").ok());
    WriteFrame(h, 8, c.frame);
    h.cpu.s.nmi_blocked = true;
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    ASSERT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(Slot(h, 0), c.error);
    EXPECT_EQ(Slot(h, 1), kCodeBase);  // the IRETQ
    EXPECT_EQ(Slot(h, 4), kFrame);     // RSP untouched by the failed IRET
    EXPECT_FALSE(h.cpu.s.nmi_blocked);  // unblocked even though it faulted
  }
}

TEST(Iret, NestedTaskReturn) {
  // NT = 1: a task return outside IA-32e mode (not implemented), #GP(0) in IA-32e mode.
  {
    CpuHarness h(Mode::kProtected32);
    ASSERT_TRUE(h.LoadAsm("iretd").ok());
    h.cpu.SetFlags(kFlagNT, kFlagNT);
    RunResult r = h.Run();
    EXPECT_EQ(r.reason, StopReason::kError);
    EXPECT_THAT(r.message, HasSubstr("task switching is not implemented"));
  }
  {
    CpuHarness h;
    h.SetInterruptGate(kGP, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm("iretq").ok());
    h.cpu.SetFlags(kFlagNT, kFlagNT);
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(Slot(h, 0), 0u);
  }
}

TEST(Iret, ToVirtual8086ModeStops) {
  CpuHarness h(Mode::kProtected32);
  ASSERT_TRUE(h.LoadAsm("iretd").ok());
  WriteFrame(h, 4, {0x100, 0x800, kFlagVM | 0x2, 0x1000, 0x2000, 0, 0, 0, 0});
  RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kError);
  EXPECT_THAT(r.message, HasSubstr("virtual-8086"));
}

}  // namespace
}  // namespace vmxemu::cpu
