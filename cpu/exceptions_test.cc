// Tests of event delivery (cpu/exceptions.cc): real-mode IVT, protected-mode and IA-32e
// IDT gates, stack switches, error codes, the double-fault rules, NMI and external
// interrupts with their blocking conditions. Expected values come from SDM Vol. 3A
// ch. 6 and Vol. 2A INT n "Operation".
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
using testing::kCodeBase;
using testing::kIdt;
using testing::kStackTop;
using testing::kTss;
using testing::MakeGate;
using testing::Mode;
using testing::SetIdtEntry;
using ::testing::HasSubstr;

constexpr uint64_t kHandler = 0x180000;
constexpr uint64_t kHandler2 = 0x181000;

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

// ---- real mode ------------------------------------------------------------------------

TEST(RealModeDelivery, IntPushesFlagsCsIpAndLoadsTheIvtEntry) {
  CpuHarness h(Mode::kReal16);
  h.WritePhys(0x21 * 4, 0x0800'0100, 4);  // IVT[0x21] = 0800:0100 (linear 0x8100)
  ASSERT_TRUE(h.LoadAsm("hlt", 0x8100).ok());
  ASSERT_TRUE(h.LoadAsm("int 0x21\n hlt", 0x7C00).ok());
  h.cpu.s.gpr[kRsp] = 0x7000;
  h.cpu.SetFlags(kFlagIF | kFlagCF | kFlagTF, kFlagIF | kFlagCF);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, 0x0800);
  EXPECT_EQ(h.cpu.s.seg[kCs].base, 0x8000u);
  EXPECT_EQ(h.cpu.s.rip, 0x0101u);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x6FFAu);
  EXPECT_EQ(h.ReadPhys(0x6FFA, 2), 0x7C02u);  // IP after INT
  EXPECT_EQ(h.ReadPhys(0x6FFC, 2), 0x0000u);  // CS
  EXPECT_EQ(h.ReadPhys(0x6FFE, 2), 0x0203u);  // FLAGS: IF, CF, bit 1
  EXPECT_FALSE(h.cpu.s.Rflags() & kFlagIF);    // IF, TF, AC cleared
}

TEST(RealModeDelivery, IretReturnsAndRestoresFlags) {
  CpuHarness h(Mode::kReal16);
  h.WritePhys(0x21 * 4, 0x0800'0100, 4);
  ASSERT_TRUE(h.LoadAsm("iret", 0x8100).ok());
  ASSERT_TRUE(h.LoadAsm("int 0x21\n hlt", 0x7C00).ok());
  h.cpu.s.gpr[kRsp] = 0x7000;
  h.cpu.SetFlags(kFlagIF | kFlagCF, kFlagIF | kFlagCF);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, 0);
  EXPECT_EQ(h.cpu.s.rip, 0x7C03u);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x7000u);
  EXPECT_EQ(h.cpu.s.Rflags() & (kFlagIF | kFlagCF), kFlagIF | kFlagCF);
}

TEST(RealModeDelivery, VectorBeyondIvtLimitRaisesGp) {
  // IVT limit 0x3F covers vectors 0-15: INT 0x21 raises #GP, whose vector 13 lies
  // within; its IVT entry points at a HLT.
  CpuHarness h(Mode::kReal16);
  h.cpu.s.idtr.limit = 0x3F;
  h.WritePhys(13 * 4, 0x0000'8100, 4);
  ASSERT_TRUE(h.LoadAsm("hlt", 0x8100).ok());
  ASSERT_TRUE(h.LoadAsm("int 0x21\n hlt", 0x7C00).ok());
  h.cpu.s.gpr[kRsp] = 0x7000;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, 0x8101u);
  EXPECT_EQ(h.ReadPhys(0x6FFA, 2), 0x7C00u);  // the faulting INT; no error code pushed
  EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x6FFAu);
}

// ---- 32-bit protected mode ------------------------------------------------------------

TEST(ProtectedModeDelivery, SamePrivilegeGateFrameAndIf) {
  for (bool trap : {false, true}) {
    SCOPED_TRACE(trap ? "trap gate" : "interrupt gate");
    CpuHarness h(Mode::kProtected32);
    h.SetInterruptGate(0x30, kHandler, 0, trap);
    Load(h, "int 0x30\n hlt");
    h.cpu.SetFlags(kFlagIF | kFlagCF, kFlagIF | kFlagCF);
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - 12);
    EXPECT_EQ(Slot(h, 0), kCodeBase + 2);
    EXPECT_EQ(Slot(h, 1), testing::kCode32Sel);
    EXPECT_EQ(Slot(h, 2), 0x203u);
    EXPECT_EQ(h.cpu.s.seg[kCs].selector, testing::kCode32Sel);
    EXPECT_EQ(bool(h.cpu.s.Rflags() & kFlagIF), trap);
  }
}

TEST(ProtectedModeDelivery, FromCpl3SwitchesToTheTssStack) {
  CpuHarness h(Mode::kProtected32);
  h.SetInterruptGate(0x30, kHandler, /*dpl=*/3);
  Load(h, "int 0x30");
  testing::EnterUserMode(h, 0x60000);
  h.cpu.SetFlags(kFlagIF, kFlagIF);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.cpl(), 0);
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, testing::kCode32Sel);
  EXPECT_EQ(h.cpu.s.seg[kSs].selector, testing::kDataSel);  // SS0 from the TSS
  EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - 20);               // ESP0 - 5 pushes
  EXPECT_EQ(Slot(h, 0), kCodeBase + 2);
  EXPECT_EQ(Slot(h, 1), testing::kUserCode32Sel);
  EXPECT_EQ(Slot(h, 2), 0x202u);
  EXPECT_EQ(Slot(h, 3), 0x60000u);
  EXPECT_EQ(Slot(h, 4), testing::kUserData32Sel);
  EXPECT_EQ(h.cpu.s.seg[kDs].selector, testing::kUserData32Sel);  // not nulled
}

TEST(ProtectedModeDelivery, InnerStackChecks) {
  // SDM INT n "INTER-PRIVILEGE-LEVEL-INTERRUPT": the TSS and its SS0 are checked before
  // the switch. An external interrupt is used, so the error codes have EXT = 1. The
  // #TS/#SS handlers are reached through a conforming code segment: they stay at CPL 3
  // on the user stack (no second stack switch to fail).
  constexpr uint16_t kConforming = 0x58, kNotPresentData = 0x60;
  struct Case {
    const char* name;
    uint16_t ss0;
    uint32_t tss_limit;
    uint8_t vector;
    uint32_t error;
  } cases[] = {
      {"null SS0", 0, 0x67, kTS, 1},
      {"SS0 RPL != new CPL", testing::kDataSel | 1, 0x67, kTS, testing::kDataSel | 1},
      {"SS0 is code", testing::kCode32Sel, 0x67, kTS, testing::kCode32Sel | 1},
      {"SS0 beyond the GDT", 0x0FF0, 0x67, kTS, 0x0FF1},
      {"SS0 not present", kNotPresentData, 0x67, kSS, kNotPresentData | 1},
      {"TSS limit below SS0", testing::kDataSel, 0x08, kTS, testing::kTssSel | 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(Mode::kProtected32);
    testing::SetGdtEntry(h, kConforming, testing::MakeSegmentDescriptor(0, 0xFFFFF, 0x9F, 0xC));
    testing::SetGdtEntry(h, kNotPresentData, testing::MakeSegmentDescriptor(0, 0xFFFFF, 0x13, 0xC));
    h.SetInterruptGate(0x40, kHandler2);
    SetIdtEntry(h, c.vector, MakeGate(kConforming, kHandler, 0xE, 0));
    ASSERT_TRUE(h.LoadAsm("1: jmp 1b", kHandler).ok());
    h.WritePhys(kTss + 8, c.ss0, 2);
    h.cpu.s.tr.limit = c.tss_limit;
    Load(h, "nop\n hlt", "hlt", kHandler2);
    testing::EnterUserMode(h, 0x60000);
    h.platform.pending_vectors.push_back(0x40);
    h.cpu.SetFlags(kFlagIF, kFlagIF);
    RunResult r = h.Run(100);
    ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
    EXPECT_EQ(h.cpu.s.rip, kHandler);
    EXPECT_EQ(h.cpu.s.cpl(), 3);
    EXPECT_EQ(h.cpu.s.seg[kCs].selector, kConforming | 3);
    EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x60000u - 16);
    EXPECT_EQ(Slot(h, 0), c.error);
    EXPECT_EQ(Slot(h, 1), kCodeBase);
    EXPECT_EQ(Slot(h, 2), testing::kUserCode32Sel);
  }
}

TEST(ProtectedModeDelivery, TaskGateStopsAsUnimplemented) {
  CpuHarness h(Mode::kProtected32);
  SetIdtEntry(h, 0x30, MakeGate(testing::kTssSel, 0, 0x5, 0));
  Load(h, "int 0x30");
  RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kError);
  EXPECT_THAT(r.message, HasSubstr("task switching is not implemented"));
}

// ---- IA-32e mode ----------------------------------------------------------------------

TEST(Ia32eDelivery, IstStackIsAlignedAndSsRspPushed) {
  CpuHarness h;
  h.WritePhys(kTss + 0x24, 0x50008, 8);  // IST1, not 16-byte aligned
  h.SetInterruptGate(0x30, kHandler, 0, false, /*ist=*/1);
  Load(h, "int 0x30");
  h.cpu.s.gpr[kRsp] = kStackTop - 8;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x50000u - 40);
  EXPECT_EQ(Slot(h, 0), kCodeBase + 2);
  EXPECT_EQ(Slot(h, 1), testing::kCode64Sel);
  EXPECT_EQ(Slot(h, 2), 0x2u);
  EXPECT_EQ(Slot(h, 3), kStackTop - 8);
  EXPECT_EQ(Slot(h, 4), testing::kDataSel);
  EXPECT_EQ(h.cpu.s.seg[kSs].selector, testing::kDataSel);
}

TEST(Ia32eDelivery, SamePrivilegeAlignsTheCurrentStack) {
  CpuHarness h;
  h.SetInterruptGate(0x30, kHandler);
  Load(h, "int 0x30");
  h.cpu.s.gpr[kRsp] = kStackTop - 0x18;  // 8-byte aligned only
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - 0x20 - 40);
  EXPECT_EQ(Slot(h, 3), kStackTop - 0x18);  // the unaligned RSP is what gets pushed
}

TEST(Ia32eDelivery, FromCpl3UsesRsp0AndLoadsNullSs) {
  CpuHarness h;
  testing::SetRsp0(h, kStackTop + 8);  // aligned down on use
  h.SetInterruptGate(0x30, kHandler, /*dpl=*/3);
  Load(h, "int 0x30");
  testing::EnterUserMode(h, 0x60008);
  h.cpu.SetFlags(kFlagIF, kFlagIF);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.cpl(), 0);
  EXPECT_EQ(h.cpu.s.seg[kSs].selector, 0);  // null selector, RPL = new CPL
  EXPECT_TRUE(h.cpu.s.seg[kSs].ar.unusable());
  EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - 40);
  EXPECT_EQ(Slot(h, 0), kCodeBase + 2);
  EXPECT_EQ(Slot(h, 1), testing::kUserCode64Sel);
  EXPECT_EQ(Slot(h, 2), 0x202u);
  EXPECT_EQ(Slot(h, 3), 0x60008u);
  EXPECT_EQ(Slot(h, 4), testing::kUserData32Sel);
}

// Exceptions in IA-32e mode: error code (if any), the faulting RIP, RF=1 in the image
// for faults and not for traps (SDM Vol. 3B 17.3.1.1).
TEST(Ia32eDelivery, ExceptionFramesErrorCodesAndRf) {
  struct Case {
    const char* name;
    const char* code;
    uint8_t vector;
    bool has_error;
    uint64_t error;
    uint64_t rip_offset;  // pushed RIP - kCodeBase
    bool rf;
  } cases[] = {
      {"#GP non-canonical load", "mov rax, 0x8000000000000000\n mov rbx, [rax]", kGP, true, 0, 10, true},
      {"#PF write to unmapped page", "mov rax, 0x400010\n mov dword ptr [rax], 1", kPF, true, 2, 7, true},
      {"#UD from UD2", "nop\n ud2", kUD, false, 0, 1, true},
      {"#BP from INT3 (trap)", "int3", kBP, false, 0, 1, false},
      {"#DB from INT1 (trap)", "int1", kDB, false, 0, 1, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    h.WritePhys(0x3000 + 8 * 2, 0, 8);  // unmap 0x400000-0x5FFFFF
    h.SetInterruptGate(c.vector, kHandler);
    Load(h, c.code);
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    ASSERT_EQ(h.cpu.s.rip, kHandler + 1);
    const int e = c.has_error ? 1 : 0;
    EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - 40 - 8 * e);
    if (c.has_error) {
      EXPECT_EQ(Slot(h, 0), c.error);
    }
    EXPECT_EQ(Slot(h, e), kCodeBase + c.rip_offset);
    EXPECT_EQ(bool(Slot(h, e + 2) & kFlagRF), c.rf);
    EXPECT_FALSE(h.cpu.s.Rflags() & kFlagRF);  // cleared on delivery
  }
}

// Errors found while reading the IDT gate (SDM INT n "PROTECTED-MODE"/"IA-32e-MODE"):
// error_code(vector, idt=1, EXT) = vector * 8 + 2 + EXT; EXT = 0 only for INT n,
// INT3, INTO.
TEST(Ia32eDelivery, GateErrorsAndTheirErrorCodes) {
  enum Setup { kBeyondLimit, kNotPresent, k16BitGate, kGateDplBelowCpl, kNonCodeTarget };
  struct Case {
    const char* name;
    Setup setup;
    bool external;
    bool from_user;
    uint8_t fault;
    uint64_t error;
  } cases[] = {
      {"INT beyond IDT limit", kBeyondLimit, false, false, kGP, 0x40 * 8 + 2},
      {"external beyond IDT limit", kBeyondLimit, true, false, kGP, 0x40 * 8 + 3},
      {"INT not present", kNotPresent, false, false, kNP, 0x40 * 8 + 2},
      {"external not present", kNotPresent, true, false, kNP, 0x40 * 8 + 3},
      {"16-bit gate in IA-32e", k16BitGate, false, false, kGP, 0x40 * 8 + 2},
      {"INT gate DPL < CPL", kGateDplBelowCpl, false, true, kGP, 0x40 * 8 + 2},
      {"external ignores gate DPL", kGateDplBelowCpl, true, true, 0x40, 0},
      {"gate to data segment", kNonCodeTarget, false, false, kGP, testing::kDataSel},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    h.SetInterruptGate(kGP, kHandler);
    h.SetInterruptGate(kNP, kHandler);
    h.SetInterruptGate(0x40, kHandler2);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler2).ok());
    switch (c.setup) {
      case kBeyondLimit: h.cpu.s.idtr.limit = 16 * 0x40 - 1; break;
      case kNotPresent: SetIdtEntry(h, 0x40, MakeGate(testing::kCode64Sel, kHandler2, 0xE, 0, false)); break;
      case k16BitGate: SetIdtEntry(h, 0x40, MakeGate(testing::kCode64Sel, kHandler2, 0x6, 0)); break;
      case kGateDplBelowCpl: break;  // the gate's DPL is 0
      case kNonCodeTarget: SetIdtEntry(h, 0x40, MakeGate(testing::kDataSel, kHandler2, 0xE, 0)); break;
    }
    Load(h, c.external ? "nop\n hlt" : "int 0x40");
    if (c.from_user) {
      testing::SetRsp0(h);
      testing::EnterUserMode(h, 0x60000);
    }
    if (c.external) {
      h.platform.pending_vectors.push_back(0x40);
      h.cpu.SetFlags(kFlagIF, kFlagIF);
    }
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    if (c.fault == 0x40) {
      EXPECT_EQ(h.cpu.s.rip, kHandler2 + 1);
      continue;
    }
    ASSERT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(Slot(h, 0), c.error);
    EXPECT_EQ(Slot(h, 1), kCodeBase);  // the INT, or the interrupted instruction
  }
}

TEST(Ia32eDelivery, SoftwareInterruptDplCheckSkipsInt1) {
  // INT3 and INT n check the gate DPL; INT1 does not (SDM INT n "Description").
  struct Case {
    const char* code;
    uint8_t vector;
    bool delivered;
  } cases[] = {{"int3", kBP, false}, {"int 0x30", 0x30, false}, {"int1", kDB, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    CpuHarness h;
    h.SetInterruptGate(c.vector, kHandler2);  // DPL 0
    h.SetInterruptGate(kGP, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler2).ok());
    Load(h, c.code);
    testing::SetRsp0(h);
    testing::EnterUserMode(h, 0x60000);
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    if (c.delivered) {
      EXPECT_EQ(h.cpu.s.rip, kHandler2 + 1);
      EXPECT_EQ(Slot(h, 0), kCodeBase + 1);
    } else {
      EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
      EXPECT_EQ(Slot(h, 0), c.vector * 8u + 2);
      EXPECT_EQ(Slot(h, 1), kCodeBase);
    }
  }
}

TEST(Ia32eDelivery, NonCanonicalGateOffsetIsGpWithExt) {
  CpuHarness h;
  h.SetInterruptGate(kGP, kHandler);
  SetIdtEntry(h, 0x40, MakeGate(testing::kCode64Sel, 0, 0xE, 0), 0x80000000);
  Load(h, "nop\n hlt");
  h.platform.pending_vectors.push_back(0x40);
  h.cpu.SetFlags(kFlagIF, kFlagIF);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(Slot(h, 0), 1u);  // #GP(EXT)
}

// ---- double faults and shutdown (SDM Vol. 3A 6.15, Tables 6-4 and 6-5) --------------

TEST(DoubleFault, ContributoryDuringContributoryBecomesDoubleFault) {
  CpuHarness h;
  SetIdtEntry(h, kGP, MakeGate(testing::kCode64Sel, kHandler2, 0xE, 0, /*present=*/false));
  h.SetInterruptGate(kDF, kHandler);
  Load(h, "mov rax, 0x8000000000000000\n mov rbx, [rax]");
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(Slot(h, 0), 0u);  // #DF error code
  EXPECT_EQ(Slot(h, 1), kCodeBase + 10);
}

TEST(DoubleFault, BenignThenContributoryIsSerial) {
  // #UD (benign) whose gate is not present: #NP is delivered, not #DF.
  CpuHarness h;
  SetIdtEntry(h, kUD, MakeGate(testing::kCode64Sel, kHandler2, 0xE, 0, false));
  h.SetInterruptGate(kNP, kHandler);
  h.SetInterruptGate(kDF, kHandler2);
  Load(h, "ud2");
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(Slot(h, 0), kUD * 8u + 3);
}

TEST(DoubleFault, PageFaultDeliveringPageFaultBecomesDoubleFault) {
  CpuHarness h;
  h.WritePhys(0x3000 + 8 * 2, 0, 8);  // unmap 0x400000-0x5FFFFF: the stack's page
  h.WritePhys(kTss + 0x24, 0x50000, 8);
  h.SetInterruptGate(kPF, kHandler2);
  h.SetInterruptGate(kDF, kHandler, 0, false, /*ist=*/1);
  Load(h, "mov qword ptr [rsp], 1");
  h.cpu.s.gpr[kRsp] = 0x400100;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x50000u - 48);
  EXPECT_EQ(Slot(h, 0), 0u);
  EXPECT_EQ(Slot(h, 1), kCodeBase);
  EXPECT_EQ(Slot(h, 4), 0x400100u);
  EXPECT_EQ(h.cpu.s.cr2, 0x4000F8u);  // the first push of the #PF frame (SS)
}

TEST(DoubleFault, FaultDeliveringDoubleFaultShutsDownWithRegisterDump) {
  CpuHarness h;
  h.WritePhys(0x3000 + 8 * 2, 0, 8);
  h.SetInterruptGate(kPF, kHandler2);
  h.SetInterruptGate(kDF, kHandler);  // no IST: its frame faults too
  Load(h, "mov qword ptr [rsp], 1");
  h.cpu.s.gpr[kRsp] = 0x400100;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kShutdown) << r.message;
  EXPECT_THAT(r.message, HasSubstr("triple fault"));
  EXPECT_THAT(r.message, HasSubstr("RIP=0000000000100000"));
  EXPECT_THAT(r.message, HasSubstr("RSP=0000000000400100"));
}

}  // namespace
}  // namespace vmxemu::cpu
