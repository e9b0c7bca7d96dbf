// SYSCALL, SYSRET, SWAPGS, SYSENTER, SYSEXIT (SDM Vol. 2B "Operation" sections; Vol. 3A
// 5.8.7, 5.8.8). STAR/SYSENTER_CS are chosen to match the harness GDT: kernel CS 0x08,
// SS 0x10; user SS 0x23, CS64 0x2B.
#include <functional>
#include <string>

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
using ::testing::HasSubstr;

constexpr uint64_t kStar = uint64_t{0x1B} << 48 | uint64_t{0x08} << 32;
constexpr uint64_t kKernelEntry = kCodeBase + 0x100;

void ExpectSegment(const Segment& sg, uint16_t selector, uint32_t ar) {
  EXPECT_EQ(sg.selector, selector);
  EXPECT_EQ(sg.base, 0u);
  EXPECT_EQ(sg.limit, 0xFFFFFFFFu);
  EXPECT_EQ(sg.ar.raw, ar);
}

// User code at kCodeBase: SYSCALL, then UD2. Kernel at kKernelEntry: HLT, SYSRETQ.
TEST(SyscallTest, SyscallAndSysretRoundTrip) {
  CpuHarness h;
  InstallExceptionCatchers(h);
  ASSERT_TRUE(h.LoadAsm("syscall\n ud2\n .org 0x100\n hlt\n mov ebx, 0x1234\n sysretq").ok());
  CpuState& s = h.cpu.s;
  s.msr.star = kStar;
  s.msr.lstar = kKernelEntry;
  s.msr.sfmask = kFlagIF | kFlagTF | kFlagDF | kFlagAC;
  s.SetRflags(kFlagIF | kFlagDF | kFlagCF);
  EnterCpl3(h);
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  // SDM Vol. 2B SYSCALL: RCX = next RIP, R11 = RFLAGS, RFLAGS &= ~FMASK, flat CS/SS.
  EXPECT_EQ(s.rip, kKernelEntry + 1);
  EXPECT_EQ(s.gpr[kRcx], kCodeBase + 2);
  EXPECT_EQ(s.gpr[kR11], kFlagIF | kFlagDF | kFlagCF | 2);
  EXPECT_EQ(s.Rflags(), kFlagCF | 2);
  ExpectSegment(s.seg[kCs], 0x08, 0xA09B);  // type 11, S, DPL 0, P, L, G
  ExpectSegment(s.seg[kSs], 0x10, 0xC093);  // type 3, S, DPL 0, P, B, G
  EXPECT_EQ(s.cpl(), 0);

  s.halted = false;
  const CaughtException e = RunAndCatch(h);
  EXPECT_EQ(e.vector, kUD) << e.run.message;
  EXPECT_EQ(e.rip, kCodeBase + 2) << "back after the SYSCALL";
  // R11 restored; RF is set in the frame of the #UD fault (SDM Vol. 3B 17.3.1.1).
  EXPECT_EQ(e.rflags, kFlagIF | kFlagDF | kFlagCF | 2 | kFlagRF);
  EXPECT_EQ(s.gpr[kRbx], 0x1234u);
  EXPECT_EQ(h.ReadPhys(s.gpr[kRsp] + 8, 2), 0x2Bu) << "user CS64 = STAR[63:48] + 16, RPL 3";
}

TEST(SyscallTest, SysretToCompatibilityMode) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("sysretd\n .org 0x100\n .code32\n hlt").ok());
  CpuState& s = h.cpu.s;
  s.msr.star = kStar;
  s.gpr[kRcx] = 0xFFFFFFFF00000000 | kKernelEntry;  // EIP = ECX
  s.gpr[kR11] = ~uint64_t{kFlagTF};                 // RF, VM, reserved bits dropped
  const RunResult r = h.Run(1);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(s.rip, kKernelEntry);
  EXPECT_EQ(s.Rflags(), 0x3C7ED7u);
  ExpectSegment(s.seg[kCs], 0x1B, 0xC0FB);  // DPL 3, D = 1, L = 0
  ExpectSegment(s.seg[kSs], 0x23, 0xC0F3);
  EXPECT_EQ(s.cpl(), 3);
  EXPECT_FALSE(s.in_64bit_mode());
}

struct FaultCase {
  const char* name;
  const char* code;
  std::function<void(CpuHarness&)> setup;
  int vector;
};

void ExpectFault(const FaultCase& c, Mode mode = Mode::kLong64) {
  SCOPED_TRACE(c.name);
  CpuHarness h(mode);
  InstallExceptionCatchers(h);
  ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\n hlt").ok());
  h.cpu.s.msr.star = kStar;
  h.cpu.s.msr.sysenter_cs = 0x08;
  if (c.setup) c.setup(h);
  const Segment cs = h.cpu.s.seg[kCs];
  const CaughtException e = RunAndCatch(h);
  EXPECT_EQ(e.vector, c.vector) << e.run.message;
  EXPECT_EQ(e.error_code, 0u);
  EXPECT_EQ(e.rip, kCodeBase);
  EXPECT_EQ(h.ReadPhys(h.cpu.s.gpr[kRsp] + (c.vector == kGP ? 16 : 8), 2), cs.selector)
      << "CS unchanged";
}

TEST(SyscallTest, Faults) {
  const auto compat = [](CpuHarness& h) {
    EnterCpl3(h);
    h.cpu.s.seg[kCs] = Segment{.selector = testing::kUserCode32Sel, .base = 0,
                               .limit = 0xFFFFFFFF, .ar = {0xC0FB}};
    h.cpu.StateChanged();
  };
  const FaultCase cases[] = {
      {"syscall with EFER.SCE = 0", "syscall",
       [](CpuHarness& h) { h.cpu.s.msr.efer &= ~efer::kSCE; }, kUD},
      {"sysret with EFER.SCE = 0", "sysretq",
       [](CpuHarness& h) { h.cpu.s.msr.efer &= ~efer::kSCE; }, kUD},
      {"sysret at cpl3", "sysretq", [](CpuHarness& h) { EnterCpl3(h); }, kGP},
      {"sysretq to non-canonical RCX", "sysretq",
       [](CpuHarness& h) { h.cpu.s.gpr[kRcx] = 0x0000800000000000; }, kGP},
      {"swapgs at cpl3", "swapgs", [](CpuHarness& h) { EnterCpl3(h); }, kGP},
      {"sysenter with SYSENTER_CS = 0", "sysenter",
       [](CpuHarness& h) { h.cpu.s.msr.sysenter_cs = 3; }, kGP},
      {"sysexit at cpl3", "sysexitq", [](CpuHarness& h) { EnterCpl3(h); }, kGP},
      {"sysexit with SYSENTER_CS = 0", "sysexitq",
       [](CpuHarness& h) { h.cpu.s.msr.sysenter_cs = 0; }, kGP},
      {"sysexitq to non-canonical RDX", "sysexitq",
       [](CpuHarness& h) { h.cpu.s.gpr[kRdx] = 0x0000800000000000; }, kGP},
      {"sysexitq with non-canonical RCX", "sysexitq",
       [](CpuHarness& h) { h.cpu.s.gpr[kRcx] = 0x0000800000000000; }, kGP},
  };
  for (const FaultCase& c : cases) ExpectFault(c);
  // SYSCALL is #UD in compatibility mode on Intel processors.
  ExpectFault({"syscall in compatibility mode", ".code32\n syscall", compat, kUD});
}

TEST(SyscallTest, SwapgsExchangesGsBaseAndKernelGsBase) {
  CpuHarness h;
  h.WritePhys(0x200000, 0xABCD, 8);
  ASSERT_TRUE(h.LoadAsm("swapgs\n mov rax, gs:[0]\n hlt").ok());
  h.cpu.s.seg[kGs].base = 0x1234;
  h.cpu.s.msr.kernel_gs_base = 0x200000;
  h.cpu.StateChanged();
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0xABCDu);
  EXPECT_EQ(h.cpu.s.seg[kGs].base, 0x200000u);
  EXPECT_EQ(h.cpu.s.msr.kernel_gs_base, 0x1234u);
}

TEST(SyscallTest, SysenterAndSysexitIn64BitMode) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("sysenter\n .org 0x100\n hlt\n sysexitq\n .org 0x200\n hlt").ok());
  CpuState& s = h.cpu.s;
  s.msr.sysenter_cs = 0x08;
  s.msr.sysenter_esp = 0xFFFF800000060000;
  s.msr.sysenter_eip = kKernelEntry;
  s.SetRflags(kFlagIF | 2);
  EnterCpl3(h);
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(s.rip, kKernelEntry + 1);
  EXPECT_EQ(s.gpr[kRsp], 0xFFFF800000060000u);
  EXPECT_FALSE(s.Rflags() & kFlagIF);
  ExpectSegment(s.seg[kCs], 0x08, 0xA09B);
  ExpectSegment(s.seg[kSs], 0x10, 0xC093);

  s.halted = false;
  s.gpr[kRdx] = kCodeBase + 0x200;
  s.gpr[kRcx] = 0x50000;
  const RunResult r = h.Run(1);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(s.rip, kCodeBase + 0x200);
  EXPECT_EQ(s.gpr[kRsp], 0x50000u);
  ExpectSegment(s.seg[kCs], 0x2B, 0xA0FB);  // SYSENTER_CS + 32, RPL 3
  ExpectSegment(s.seg[kSs], 0x33, 0xC0F3);  // CS + 8
  EXPECT_EQ(s.cpl(), 3);
}

TEST(SyscallTest, SysenterAndSysexitInProtectedMode) {
  CpuHarness h(Mode::kProtected32);
  ASSERT_TRUE(h.LoadAsm("sysenter\n .org 0x100\n hlt\n sysexit").ok());
  CpuState& s = h.cpu.s;
  s.msr.sysenter_cs = testing::kCode32Sel;
  s.msr.sysenter_esp = 0xABCD000000060000;  // only bits 31:0 outside IA-32e mode
  s.msr.sysenter_eip = kKernelEntry;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(s.gpr[kRsp], 0x60000u);
  ExpectSegment(s.seg[kCs], 0x18, 0xC09B);  // D = 1
  ExpectSegment(s.seg[kSs], 0x20, 0xC093);

  s.halted = false;
  s.gpr[kRdx] = kCodeBase;
  s.gpr[kRcx] = 0x50000;
  ASSERT_EQ(h.Run(1).reason, StopReason::kBudget);
  EXPECT_EQ(s.rip, kCodeBase);
  ExpectSegment(s.seg[kCs], 0x2B, 0xC0FB);  // SYSENTER_CS + 16, RPL 3
  ExpectSegment(s.seg[kSs], 0x33, 0xC0F3);
  EXPECT_EQ(s.cpl(), 3);
}

TEST(SyscallTest, SysretIntoAlignmentCheckingStops) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("sysretq").ok());
  h.cpu.s.cr0 |= cr0::kAM;
  h.cpu.s.gpr[kR11] = kFlagAC | 2;
  h.cpu.s.gpr[kRcx] = kCodeBase;
  const RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kError);
  EXPECT_THAT(r.message, HasSubstr("alignment checking"));
}

}  // namespace
}  // namespace vmxemu::cpu
