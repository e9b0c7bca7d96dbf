// The MSR table (SDM Vol. 4 Table 2-2) through ReadMsr/WriteMsr, and the instructions
// RDMSR, WRMSR, RDTSC, RDTSCP, RDPMC (SDM Vol. 2B).
#include "cpu/msr.h"

#include <string>

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
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

constexpr uint64_t kNonCanonical = 0x0000800000000000;

struct WriteCase {
  const char* name;
  uint32_t index;
  uint64_t value;
  MsrStatus status;
};

TEST(MsrTest, WriteChecks) {
  const WriteCase cases[] = {
      // Not offered: #GP.
      {"MTRRcap (no MTRRs)", 0xFE, 0, MsrStatus::kFault},
      {"IA32_TSC_ADJUST (not enumerated)", 0x3B, 0, MsrStatus::kFault},
      {"IA32_VMX_BASIC (no VMX yet)", 0x480, 0, MsrStatus::kFault},
      {"IA32_MCG_STATUS (no MCA)", 0x17A, 0, MsrStatus::kFault},
      {"no such MSR", 0x12345678, 0, MsrStatus::kFault},
      // Read-only.
      {"IA32_PLATFORM_ID", msr::kPlatformId, 0, MsrStatus::kFault},
      {"IA32_MCG_CAP", msr::kMcgCap, 0, MsrStatus::kFault},
      // IA32_EFER: bits other than SCE, LME, LMA, NXE are reserved; LME cannot change
      // while paging is on (the harness runs in IA-32e mode).
      {"EFER bit 1", msr::kEfer, efer::kLME | efer::kLMA | 2, MsrStatus::kFault},
      {"EFER bit 9", msr::kEfer, efer::kLME | efer::kLMA | 1 << 9, MsrStatus::kFault},
      {"EFER clears LME with paging on", msr::kEfer, efer::kLMA | efer::kNXE, MsrStatus::kFault},
      {"EFER clears SCE and NXE", msr::kEfer, efer::kLME | efer::kLMA, MsrStatus::kOk},
      // Addresses must be canonical.
      {"FS_BASE", msr::kFsBase, kNonCanonical, MsrStatus::kFault},
      {"GS_BASE", msr::kGsBase, kNonCanonical, MsrStatus::kFault},
      {"KERNEL_GS_BASE", msr::kKernelGsBase, kNonCanonical, MsrStatus::kFault},
      {"LSTAR", msr::kLstar, kNonCanonical, MsrStatus::kFault},
      {"CSTAR", msr::kCstar, kNonCanonical, MsrStatus::kFault},
      {"SYSENTER_ESP", msr::kSysenterEsp, kNonCanonical, MsrStatus::kFault},
      {"SYSENTER_EIP", msr::kSysenterEip, kNonCanonical, MsrStatus::kFault},
      {"LSTAR canonical high", msr::kLstar, 0xFFFF800000000000, MsrStatus::kOk},
      {"TSC_AUX bit 32", msr::kTscAux, 1ull << 32, MsrStatus::kFault},
      {"TSC_AUX low", msr::kTscAux, 0xFFFFFFFF, MsrStatus::kOk},
      // IA32_PAT: memory types 2, 3 and above 7 are reserved (SDM Vol. 3A 11.12.2).
      {"PAT type 2", msr::kPat, 0x0007040600070402, MsrStatus::kFault},
      {"PAT type 3", msr::kPat, 0x0307040600070406, MsrStatus::kFault},
      {"PAT type 8", msr::kPat, 0x0007040600080406, MsrStatus::kFault},
      {"PAT all valid types", msr::kPat, 0x0706050401000706, MsrStatus::kOk},
      // IA32_APIC_BASE: bits 7:0 and 9 reserved, 10 (x2APIC) not offered, >= MAXPHYADDR.
      {"APIC_BASE bit 0", msr::kApicBase, 0xFEE00901, MsrStatus::kFault},
      {"APIC_BASE bit 9", msr::kApicBase, 0xFEE00B00, MsrStatus::kFault},
      {"APIC_BASE x2APIC", msr::kApicBase, 0xFEE00D00, MsrStatus::kFault},
      {"APIC_BASE bit 40", msr::kApicBase, 0x10000FEE00900, MsrStatus::kFault},
      {"APIC_BASE disable", msr::kApicBase, 0xFEE00100, MsrStatus::kOk},
      {"APIC_BASE relocate", msr::kApicBase, 0xFED00900, MsrStatus::kUnimplemented},
      // IA32_FEATURE_CONTROL: only the lock bit until VMX is offered.
      {"FEATURE_CONTROL VMX outside SMX", msr::kFeatureControl, 5, MsrStatus::kFault},
      {"FEATURE_CONTROL lock", msr::kFeatureControl, 1, MsrStatus::kOk},
      // IA32_MISC_ENABLE: fast strings only; the fixed bits must be written as read.
      {"MISC_ENABLE limit CPUID maxval", msr::kMiscEnable, 0x401801, MsrStatus::kFault},
      {"MISC_ENABLE XD disable", msr::kMiscEnable, 0x400001801, MsrStatus::kFault},
      {"MISC_ENABLE clear BTS unavailable", msr::kMiscEnable, 0x1001, MsrStatus::kFault},
      {"MISC_ENABLE clear fast strings", msr::kMiscEnable, 0x1800, MsrStatus::kOk},
      // IA32_DEBUGCTL: reserved bits #GP, LBR/BTF not implemented.
      {"DEBUGCTL bit 2", msr::kDebugCtl, 4, MsrStatus::kFault},
      {"DEBUGCTL BTS (no DS)", msr::kDebugCtl, 1 << 7, MsrStatus::kFault},
      {"DEBUGCTL LBR", msr::kDebugCtl, 1, MsrStatus::kUnimplemented},
      {"DEBUGCTL BTF", msr::kDebugCtl, 2, MsrStatus::kUnimplemented},
      {"DEBUGCTL 0", msr::kDebugCtl, 0, MsrStatus::kOk},
      {"BIOS_SIGN_ID 0", msr::kBiosSignId, 0, MsrStatus::kOk},
  };
  for (const WriteCase& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    uint64_t before = 0;
    const bool readable = ReadMsr(h.cpu, c.index, &before) == MsrStatus::kOk;
    std::string what;
    EXPECT_EQ(WriteMsr(h.cpu, c.index, c.value, &what), c.status);
    uint64_t after = 0;
    if (readable) {
      EXPECT_EQ(ReadMsr(h.cpu, c.index, &after), MsrStatus::kOk);
      if (c.status != MsrStatus::kOk) {
        EXPECT_EQ(after, before) << "a failed write changes nothing";
      }
    }
    if (c.status == MsrStatus::kUnimplemented) {
      EXPECT_THAT(what, HasSubstr("not implemented"));
    }
  }
}

TEST(MsrTest, ReadBack) {
  const struct {
    uint32_t index;
    uint64_t written;
    uint64_t read;
  } cases[] = {
      {msr::kStar, 0x0023001000080000, 0x0023001000080000},
      {msr::kLstar, 0xFFFF800000001000, 0xFFFF800000001000},
      {msr::kCstar, 0x7FFFFFFFF000, 0x7FFFFFFFF000},
      {msr::kFmask, 0xFFFFFFFF00000700, 0x700},  // bits 63:32 are not kept
      {msr::kKernelGsBase, 0xFFFF888000000000, 0xFFFF888000000000},
      {msr::kSysenterCs, 0x10, 0x10},
      {msr::kSysenterEsp, 0x7000, 0x7000},
      {msr::kSysenterEip, 0xFFFFFFFF80001000, 0xFFFFFFFF80001000},
      {msr::kTscAux, 7, 7},
      {msr::kPat, 0x0007010600070106, 0x0007010600070106},
      {msr::kMiscEnable, 0x1800, 0x1800},
      {msr::kBiosSignId, 0x12345678, 0},  // no microcode update is ever loaded
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(MsrName(c.index));
    CpuHarness h;
    std::string what;
    ASSERT_EQ(WriteMsr(h.cpu, c.index, c.written, &what), MsrStatus::kOk);
    uint64_t v;
    ASSERT_EQ(ReadMsr(h.cpu, c.index, &v), MsrStatus::kOk);
    EXPECT_EQ(v, c.read);
  }
}

TEST(MsrTest, PowerUpValues) {
  CpuHarness h;
  const struct {
    uint32_t index;
    uint64_t value;
  } cases[] = {
      {msr::kPat, 0x0007040600070406},        // SDM Vol. 3A 11.12.4
      {msr::kApicBase, 0xFEE00900},           // BSP, enabled, 0xFEE00000
      {msr::kMiscEnable, 0x1801},             // fast strings; BTS, PEBS unavailable
      {msr::kMcgCap, 0},
      {msr::kPlatformId, 0},
      {msr::kFeatureControl, 0},
      {msr::kDebugCtl, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(MsrName(c.index));
    uint64_t v;
    ASSERT_EQ(ReadMsr(h.cpu, c.index, &v), MsrStatus::kOk);
    EXPECT_EQ(v, c.value);
  }
}

TEST(MsrTest, FeatureControlLocks) {
  CpuHarness h;
  std::string what;
  ASSERT_EQ(WriteMsr(h.cpu, msr::kFeatureControl, 1, &what), MsrStatus::kOk);
  EXPECT_EQ(WriteMsr(h.cpu, msr::kFeatureControl, 1, &what), MsrStatus::kFault);
  EXPECT_EQ(WriteMsr(h.cpu, msr::kFeatureControl, 0, &what), MsrStatus::kFault);
}

TEST(MsrTest, EferLmaIsReadOnly) {
  CpuHarness h;  // IA-32e mode: LMA = 1
  std::string what;
  ASSERT_EQ(WriteMsr(h.cpu, msr::kEfer, efer::kLME | efer::kSCE, &what), MsrStatus::kOk);
  EXPECT_EQ(h.cpu.s.msr.efer, efer::kLME | efer::kLMA | efer::kSCE);
}

TEST(MsrTest, FsAndGsBaseMoveTheSegments) {
  CpuHarness h;
  h.WritePhys(0x200008, 0x1111, 8);
  h.WritePhys(0x300010, 0x2222, 8);
  ASSERT_TRUE(h.LoadAsm(R"(
      mov ecx, 0xC0000100
      mov eax, 0x200000
      xor edx, edx
      wrmsr
      mov ecx, 0xC0000101
      mov eax, 0x300000
      wrmsr
      mov rbx, fs:[8]
      mov rsi, gs:[0x10]
      mov ecx, 0xC0000100
      rdmsr
      hlt
  )").ok());
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 0x1111u);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], 0x2222u);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0x200000u);
  EXPECT_EQ(h.cpu.s.seg[kGs].base, 0x300000u);
}

// Instruction-level faults: vector, error code, RIP at the instruction, EDX:EAX kept.
struct InsnFault {
  const char* name;
  const char* code;
  bool cpl3;
  uint64_t rcx;
  uint64_t cr4 = cr4::kPAE;
};

TEST(MsrTest, InstructionFaults) {
  const InsnFault cases[] = {
      {"rdmsr at cpl3", "rdmsr", true, msr::kEfer},
      {"wrmsr at cpl3", "wrmsr", true, msr::kStar},
      {"rdmsr of a missing MSR", "rdmsr", false, 0xFE},
      {"wrmsr of a read-only MSR", "wrmsr", false, msr::kMcgCap},
      {"rdtsc at cpl3 with CR4.TSD", "rdtsc", true, 0, cr4::kPAE | cr4::kTSD},
      {"rdtscp at cpl3 with CR4.TSD", "rdtscp", true, 0, cr4::kPAE | cr4::kTSD},
      {"rdpmc at cpl3", "rdpmc", true, 0},
      {"rdpmc at cpl0 (no counters)", "rdpmc", false, 0},
      {"rdpmc at cpl3 with CR4.PCE", "rdpmc", true, 0, cr4::kPAE | cr4::kPCE},
  };
  for (const InsnFault& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    InstallExceptionCatchers(h);
    ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\n hlt").ok());
    h.cpu.s.cr4 = c.cr4;
    h.cpu.s.gpr[kRcx] = c.rcx;
    h.cpu.s.gpr[kRax] = 0xAAAA;
    h.cpu.s.gpr[kRdx] = 0xDDDD;
    if (c.cpl3) EnterCpl3(h);
    const CaughtException e = RunAndCatch(h);
    EXPECT_EQ(e.vector, kGP) << e.run.message;
    EXPECT_EQ(e.error_code, 0u);
    EXPECT_EQ(e.rip, kCodeBase);
    EXPECT_EQ(h.cpu.s.gpr[kRax], 0xAAAAu);
    EXPECT_EQ(h.cpu.s.gpr[kRdx], 0xDDDDu);
  }
}

TEST(MsrTest, WrmsrOfUnimplementedFeatureStops) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("mov ecx, 0x1D9\n mov eax, 1\n xor edx, edx\n wrmsr\n hlt").ok());
  const RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kError);
  EXPECT_THAT(r.message, HasSubstr("IA32_DEBUGCTL = 0x1: LBR"));
}

TEST(MsrTest, TimeStampCounter) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(R"(
      mov ecx, 0x10
      mov eax, 1000000
      xor edx, edx
      wrmsr
      rdtsc
      mov r8d, eax
      mov r9d, edx
      rdtsc
      mov r10d, eax
      mov ecx, 0xC0000103
      mov eax, 0x42
      wrmsr
      mov ecx, -1
      rdtscp
      hlt
  )").ok());
  h.cpu.s.gpr[kRax] = ~0ull;
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  const CpuState& s = h.cpu.s;
  EXPECT_EQ(s.gpr[kR9], 0u);
  EXPECT_GE(s.gpr[kR8], 1000000u);
  EXPECT_LT(s.gpr[kR8], 1000100u);
  EXPECT_GT(s.gpr[kR10], s.gpr[kR8]) << "time advances between reads";
  EXPECT_GT(s.gpr[kRax], s.gpr[kR10]);
  EXPECT_EQ(s.gpr[kRcx], 0x42u) << "RDTSCP loads IA32_TSC_AUX";
  EXPECT_EQ(s.gpr[kRax] >> 32, 0u) << "upper halves cleared";
}

TEST(MsrTest, RdtscWithTsdAtCpl0) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("rdtsc\n hlt").ok());
  h.cpu.s.cr4 |= cr4::kTSD;
  EXPECT_EQ(h.Run().reason, StopReason::kHalted);
}

TEST(MsrTest, RealModeRdmsr) {
  CpuHarness h(Mode::kReal16);
  ASSERT_TRUE(h.LoadAsm("mov ecx, 0x277\n rdmsr\n hlt", 0x8000).ok());
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0x00070406u);
  EXPECT_EQ(h.cpu.s.gpr[kRdx], 0x00070406u);
}

TEST(MsrTest, NamesComeFromTheTable) {
  EXPECT_STREQ(MsrName(msr::kEfer), "IA32_EFER");
  EXPECT_STREQ(MsrName(msr::kKernelGsBase), "IA32_KERNEL_GS_BASE");
  EXPECT_EQ(MsrName(0xFE), nullptr);
}

}  // namespace
}  // namespace vmxemu::cpu
