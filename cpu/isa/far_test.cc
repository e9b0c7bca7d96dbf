// Tests of far JMP, CALL and RET (cpu/isa/far.cc) in real, protected and IA-32e mode.
// Expected values from SDM Vol. 2A "CALL", "JMP" and Vol. 2B "RET" ("Operation").
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
using testing::kCode16Sel;
using testing::kCode32Sel;
using testing::kCode64Sel;
using testing::kCodeBase;
using testing::kDataSel;
using testing::kStackTop;
using testing::kUserCode32Sel;
using testing::kUserCode64Sel;
using testing::kUserData32Sel;
using testing::MakeSegmentDescriptor;
using testing::Mode;
using testing::SetGdtEntry;
using ::testing::HasSubstr;

constexpr uint64_t kHandler = 0x180000;
constexpr uint64_t kTarget = 0x100800;
constexpr uint64_t kPointer = 0x200000;  // far pointers in memory

// Extra descriptors for the privilege and type checks.
constexpr uint16_t kConforming32 = 0x58, kCode32Dpl3 = 0x60, kNotPresent32 = 0x68,
                   kLongAndDefault = 0x70, kConforming64 = 0x78, kCallGate = 0x80;

void AddDescriptors(CpuHarness& h) {
  SetGdtEntry(h, kConforming32, MakeSegmentDescriptor(0, 0xFFFFF, 0x9F, 0xC));
  SetGdtEntry(h, kCode32Dpl3, MakeSegmentDescriptor(0, 0xFFFFF, 0xFB, 0xC));
  SetGdtEntry(h, kNotPresent32, MakeSegmentDescriptor(0, 0xFFFFF, 0x1B, 0xC));
  SetGdtEntry(h, kLongAndDefault, MakeSegmentDescriptor(0, 0xFFFFF, 0x9B, 0xE));
  SetGdtEntry(h, kConforming64, MakeSegmentDescriptor(0, 0xFFFFF, 0x9F, 0xA));
  SetGdtEntry(h, kCallGate, testing::MakeGate(kCode32Sel, kTarget, 0xC, 0));
}

uint64_t Slot(CpuHarness& h, int n, int width) {
  return h.ReadPhys(h.cpu.s.gpr[kRsp] + width * n, width);
}

// ---- the mode switches the guest runtime performs -------------------------------------

TEST(FarJmp, RealModeToProtectedMode) {
  CpuHarness h(Mode::kReal16);
  h.cpu.s.cr0 |= cr0::kPE;  // as MOV CR0 would leave it: CS still holds real-mode values
  h.cpu.StateChanged();
  ASSERT_TRUE(h.LoadAsm("data32 jmp 0x18:0x100800", 0x7C00).ok());
  RunResult r = h.Run(1);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, kCode32Sel);
  EXPECT_EQ(h.cpu.s.seg[kCs].base, 0u);
  EXPECT_EQ(h.cpu.s.seg[kCs].limit, 0xFFFFFFFFu);
  EXPECT_EQ(h.cpu.s.rip, kTarget);
  EXPECT_EQ(h.cpu.code_size(), 4);
  EXPECT_TRUE(h.ReadPhys(testing::kGdt + kCode32Sel, 8) & (1ull << 40));  // accessed
}

TEST(FarJmp, CompatibilityModeIntoA64BitCodeSegment) {
  // guests/lib/boot.S: paging and EFER.LME on in 32-bit code, then ljmp to the 64-bit
  // code segment.
  CpuHarness h(Mode::kProtected32);
  CpuState& s = h.cpu.s;
  s.cr3 = testing::kPml4;
  s.cr4 |= cr4::kPAE;
  s.msr.efer = efer::kLME | efer::kLMA;
  s.cr0 |= cr0::kPG;
  h.cpu.StateChanged();
  ASSERT_TRUE(h.LoadAsm("jmp 0x08:0x100800").ok());
  h.LoadBytes({0x48, 0xFF, 0xC0, 0xF4}, kTarget);  // inc rax; hlt (64-bit encodings)
  h.cpu.s.rip = kCodeBase;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, kCode64Sel);
  EXPECT_TRUE(h.cpu.s.in_64bit_mode());
  EXPECT_EQ(h.cpu.code_size(), 8);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 1u);
  EXPECT_EQ(h.cpu.s.rip, kTarget + 4);
}

TEST(FarRet, RetfqReloadsCsIn64BitMode) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("push 0x08\n push 0x100800\n retfq").ok());
  RunResult r = h.Run(3);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, kCode64Sel);
  EXPECT_EQ(h.cpu.s.rip, kTarget);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop);
}

TEST(FarRet, RetfqToCompatibilityModeAndBack) {
  CpuHarness h;
  // 64-bit: retfq to 0x18:kTarget (32-bit code), which does a ljmp back to 0x08:kTarget+0x100.
  ASSERT_TRUE(h.LoadAsm("push 0x18\n push 0x100800\n retfq").ok());
  h.LoadBytes({0xEA, 0x00, 0x09, 0x10, 0x00, 0x08, 0x00}, kTarget);  // jmp 0x08:0x100900
  h.LoadBytes({0xF4}, kTarget + 0x100);
  h.cpu.s.rip = kCodeBase;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, kCode64Sel);
  EXPECT_EQ(h.cpu.s.rip, kTarget + 0x101);
}

// ---- checks on code-segment targets ---------------------------------------------------

TEST(FarJmp, CodeSegmentTargetChecks) {
  struct Case {
    const char* name;
    Mode mode;
    bool user;
    uint16_t selector;
    uint64_t offset;
    uint8_t vector;  // 0: the jump succeeds
    uint32_t error;
    uint16_t cs;     // CS after a successful jump
  } cases[] = {
      {"same DPL", Mode::kProtected32, false, kCode32Sel, kTarget, 0, 0, kCode32Sel},
      {"RPL < CPL is fine, RPL becomes CPL", Mode::kProtected32, true, kCode32Dpl3 & ~3, kTarget, 0, 0, kCode32Dpl3 | 3},
      {"conforming DPL 0 from CPL 3 keeps CPL 3", Mode::kProtected32, true, kConforming32, kTarget, 0, 0, kConforming32 | 3},
      {"non-conforming DPL 3 from CPL 0", Mode::kProtected32, false, kCode32Dpl3, kTarget, kGP, kCode32Dpl3, 0},
      {"non-conforming DPL 0 from CPL 3", Mode::kProtected32, true, kCode32Sel | 3, kTarget, kGP, kCode32Sel, 0},
      {"RPL > CPL to non-conforming", Mode::kProtected32, false, kCode32Sel | 3, kTarget, kGP, kCode32Sel, 0},
      {"data segment", Mode::kProtected32, false, kDataSel, kTarget, kGP, kDataSel, 0},
      {"null selector", Mode::kProtected32, false, 0, kTarget, kGP, 0, 0},
      {"beyond the GDT", Mode::kProtected32, false, 0x0FF8, kTarget, kGP, 0x0FF8, 0},
      {"not present", Mode::kProtected32, false, kNotPresent32, kTarget, kNP, kNotPresent32, 0},
      {"offset beyond the limit", Mode::kProtected32, false, kCode16Sel, 0x10000, kGP, 0, 0},
      {"IA-32e: L=1 and D=1", Mode::kLong64, false, kLongAndDefault, kTarget, kGP, kLongAndDefault, 0},
      {"IA-32e: conforming 64-bit", Mode::kLong64, true, kConforming64, kTarget, 0, 0, kConforming64 | 3},
      {"IA-32e: to 16-bit code", Mode::kLong64, false, kCode16Sel, 0x0800, 0, 0, kCode16Sel},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    AddDescriptors(h);
    const int w = c.mode == Mode::kLong64 ? 8 : 4;
    h.SetInterruptGate(kGP, kHandler);
    h.SetInterruptGate(kNP, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    h.WritePhys(kPointer, c.offset, 4);
    h.WritePhys(kPointer + 4, c.selector, 2);
    ASSERT_TRUE(h.LoadAsm(w == 8 ? "jmp fword ptr [0x200000]" : "jmp fword ptr ds:[0x200000]").ok());
    if (c.user) {
      testing::SetRsp0(h);
      if (c.mode == Mode::kProtected32) h.WritePhys(testing::kTss + 8, kDataSel, 2);
      testing::EnterUserMode(h, 0x60000);
    }
    RunResult r = h.Run(1);
    if (c.vector == 0) {
      ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
      EXPECT_EQ(h.cpu.s.seg[kCs].selector, c.cs);
      EXPECT_EQ(h.cpu.s.rip, c.offset);
      EXPECT_EQ(h.cpu.s.cpl(), c.user ? 3 : 0);
      continue;
    }
    r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    ASSERT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(Slot(h, 0, w), c.error);
    EXPECT_EQ(Slot(h, 1, w), kCodeBase);
  }
}

TEST(FarJmp, SystemTargetsStopOrFault) {
  struct Case {
    const char* name;
    Mode mode;
    uint64_t descriptor;
    const char* message;  // nullptr: #GP(selector)
  } cases[] = {
      {"task gate", Mode::kProtected32, testing::MakeGate(testing::kTssSel, 0, 0x5, 0), "task switching is not implemented"},
      {"TSS", Mode::kProtected32, MakeSegmentDescriptor(testing::kTss, 0x67, 0x89, 0), "task switching is not implemented"},
      {"IA-32e TSS", Mode::kLong64, MakeSegmentDescriptor(testing::kTss, 0x67, 0x89, 0), nullptr},
      {"LDT descriptor", Mode::kProtected32, MakeSegmentDescriptor(0x7000, 0xFF, 0x82, 0), nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    SetGdtEntry(h, kCallGate, c.descriptor);
    if (c.mode == Mode::kLong64) SetGdtEntry(h, kCallGate + 8, 0);
    h.SetInterruptGate(kGP, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    h.WritePhys(kPointer, kTarget, 4);
    h.WritePhys(kPointer + 4, kCallGate, 2);
    ASSERT_TRUE(h.LoadAsm(c.mode == Mode::kLong64 ? "call fword ptr [0x200000]"
                                                  : "call fword ptr ds:[0x200000]").ok());
    RunResult r = h.Run();
    if (c.message != nullptr) {
      EXPECT_EQ(r.reason, StopReason::kError);
      EXPECT_THAT(r.message, HasSubstr(c.message));
    } else {
      ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
      EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
      EXPECT_EQ(Slot(h, 0, c.mode == Mode::kLong64 ? 8 : 4), kCallGate);
    }
  }
}

// ---- CALL and RET ---------------------------------------------------------------------

TEST(FarCall, PushesCsAndReturnAddressAtTheOperandSize) {
  struct Case {
    const char* name;
    Mode mode;
    const char* code;
    int width;
    uint64_t pointer_bytes;  // offset size in the m16:xx operand
    uint64_t return_offset;  // return address - kCodeBase
  } cases[] = {
      {"32-bit ptr16:32", Mode::kProtected32, "call 0x18:0x100800", 4, 0, 7},
      {"32-bit m16:32", Mode::kProtected32, "call fword ptr ds:[0x200000]", 4, 4, 6},
      {"32-bit m16:16", Mode::kProtected32, ".byte 0x66, 0xFF, 0x1D, 0x00, 0x00, 0x20, 0x00", 2, 2, 7},
      {"64-bit m16:32", Mode::kLong64, "call fword ptr [0x200000]", 4, 4, 7},
      {"64-bit m16:64", Mode::kLong64, ".byte 0x48\n call fword ptr [0x200000]", 8, 8, 8},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    const uint16_t cs = c.mode == Mode::kLong64 ? kCode64Sel : kCode32Sel;
    h.WritePhys(kPointer, kTarget & 0xFFFF, 2);
    if (c.pointer_bytes > 2) h.WritePhys(kPointer, kTarget, static_cast<int>(c.pointer_bytes));
    h.WritePhys(kPointer + c.pointer_bytes, cs, 2);
    h.WritePhys(kStackTop - 16, ~0ull, 8);  // the slots start as all ones
    h.WritePhys(kStackTop - 8, ~0ull, 8);
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    RunResult r = h.Run(1);
    ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
    EXPECT_EQ(h.cpu.s.rip, c.width == 2 ? kTarget & 0xFFFF : kTarget);
    EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - 2 * c.width);
    EXPECT_EQ(Slot(h, 0, c.width), (kCodeBase + c.return_offset) & (c.width == 2 ? 0xFFFF : ~0u));
    EXPECT_EQ(Slot(h, 1, c.width), cs);  // zero-extended, as QEMU and Bochs do
  }
}

TEST(FarRet, SamePrivilegeWithParameterRelease) {
  struct Case {
    const char* name;
    Mode mode;
    const char* code;
    int width;
    uint16_t cs;
    uint64_t release;
  } cases[] = {
      {"32-bit retf", Mode::kProtected32, "retf", 4, kCode32Sel, 0},
      {"32-bit retf 12", Mode::kProtected32, "retf 12", 4, kCode32Sel, 12},
      {"64-bit retf (32-bit slots)", Mode::kLong64, "retf", 4, kCode64Sel, 0},
      {"64-bit retfq 16", Mode::kLong64, "retfq 16", 8, kCode64Sel, 16},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    const uint64_t sp = kStackTop - 0x100;
    h.WritePhys(sp, kTarget, c.width);
    h.WritePhys(sp + c.width, c.cs, c.width);
    h.cpu.s.gpr[kRsp] = sp;
    RunResult r = h.Run(1);
    ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
    EXPECT_EQ(h.cpu.s.rip, kTarget);
    EXPECT_EQ(h.cpu.s.seg[kCs].selector, c.cs);
    EXPECT_EQ(h.cpu.s.gpr[kRsp], sp + 2 * c.width + c.release);
  }
}

TEST(FarRet, ToOuterPrivilegePopsSsEspAndNullsDataSegments) {
  struct Case {
    const char* name;
    Mode mode;
    const char* code;
    int width;
    uint16_t cs;
    uint64_t release;
    int code_size;
  } cases[] = {
      {"32-bit retf 8 to CPL 3", Mode::kProtected32, "retf 8", 4, kUserCode32Sel, 8, 4},
      {"64-bit retfq to CPL 3", Mode::kLong64, "retfq", 8, kUserCode64Sel, 0, 8},
      {"64-bit retf to compatibility mode at CPL 3", Mode::kLong64, "retf 4", 4, kUserCode32Sel, 4, 4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    h.cpu.s.seg[kFs] = h.cpu.s.seg[kDs];
    h.cpu.s.seg[kGs] = Segment{.selector = kUserData32Sel, .base = 0, .limit = 0xFFFFFFFF, .ar = {0xC0F3}};
    const uint64_t sp = kStackTop - 0x100;
    // [IP, CS, (release bytes), SP, SS]
    h.WritePhys(sp, kTarget, c.width);
    h.WritePhys(sp + c.width, c.cs, c.width);
    h.WritePhys(sp + 2 * c.width + c.release, 0x60000, c.width);
    h.WritePhys(sp + 3 * c.width + c.release, kUserData32Sel, c.width);
    h.cpu.s.gpr[kRsp] = sp;
    RunResult r = h.Run(1);
    ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
    EXPECT_EQ(h.cpu.s.rip, kTarget);
    EXPECT_EQ(h.cpu.s.seg[kCs].selector, c.cs);
    EXPECT_EQ(h.cpu.s.cpl(), 3);
    EXPECT_EQ(h.cpu.s.seg[kSs].selector, kUserData32Sel);
    EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x60000 + c.release);  // released on the outer stack too
    EXPECT_EQ(h.cpu.code_size(), c.code_size);
    EXPECT_EQ(h.cpu.s.seg[kDs].selector, 0);  // DPL 0 data: nulled
    EXPECT_TRUE(h.cpu.s.seg[kDs].ar.unusable());
    EXPECT_EQ(h.cpu.s.seg[kFs].selector, 0);
    EXPECT_EQ(h.cpu.s.seg[kGs].selector, kUserData32Sel);  // DPL 3 data: kept
  }
}

TEST(FarRet, ReturnChecks) {
  struct Case {
    const char* name;
    uint64_t cs;
    uint64_t ss;
    uint64_t ip;
    uint8_t vector;
    uint32_t error;
  } cases[] = {
      {"to CPL 3 with a null SS", kUserCode64Sel, 3, kTarget, kGP, 0},
      {"to CPL 3 with SS RPL != 3", kUserCode64Sel, kDataSel, kTarget, kGP, kDataSel},
      {"return CS RPL < CPL", kCode64Sel, 0, kTarget, kGP, kCode64Sel},
      {"non-canonical RIP", kUserCode64Sel, kUserData32Sel, 0x0000800000000000, kGP, 0},
      {"null CS", 0, 0, kTarget, kGP, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    testing::SetRsp0(h);
    h.SetInterruptGate(kGP, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm("retfq").ok());
    const bool from_user = c.cs == kCode64Sel;  // tests RPL < CPL at CPL 3
    const uint64_t sp = 0x60000;
    h.WritePhys(sp, c.ip, 8);
    h.WritePhys(sp + 8, c.cs, 8);
    h.WritePhys(sp + 16, 0x5F000, 8);
    h.WritePhys(sp + 24, c.ss, 8);
    if (from_user) testing::EnterUserMode(h, sp);
    h.cpu.s.gpr[kRsp] = sp;
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    ASSERT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(Slot(h, 0, 8), c.error);
    EXPECT_EQ(Slot(h, 1, 8), kCodeBase);
    EXPECT_EQ(Slot(h, 4, 8), sp);
  }
}

// ---- real mode ----------------------------------------------------------------------

TEST(FarCall, RealModeCallAndRetf) {
  CpuHarness h(Mode::kReal16);
  ASSERT_TRUE(h.LoadAsm("inc bx\n retf", 0x8100).ok());  // 0800:0100
  ASSERT_TRUE(h.LoadAsm("call 0x0800:0x0100\n hlt", 0x7C00).ok());
  h.cpu.s.gpr[kRsp] = 0x7000;
  RunResult r = h.Run(2);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, 0x0800);
  EXPECT_EQ(h.cpu.s.seg[kCs].base, 0x8000u);
  EXPECT_EQ(h.cpu.s.rip, 0x0101u);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x6FFCu);
  EXPECT_EQ(h.ReadPhys(0x6FFC, 2), 0x7C05u);  // IP after the 5-byte CALL
  EXPECT_EQ(h.ReadPhys(0x6FFE, 2), 0u);       // CS
  r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, 0);
  EXPECT_EQ(h.cpu.s.rip, 0x7C06u);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x7000u);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 1u);
}

TEST(FarJmp, RealModeOffsetBeyondCsLimitFaults) {
  CpuHarness h(Mode::kReal16);
  h.WritePhys(13 * 4, 0x0000'8100, 4);
  ASSERT_TRUE(h.LoadAsm("hlt", 0x8100).ok());
  ASSERT_TRUE(h.LoadAsm("data32 jmp 0x0800:0x10000", 0x7C00).ok());
  h.cpu.s.gpr[kRsp] = 0x7000;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, 0x8101u);
  EXPECT_EQ(h.ReadPhys(0x6FFA, 2), 0x7C00u);
}

}  // namespace
}  // namespace vmxemu::cpu
