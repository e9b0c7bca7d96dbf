// MOV CR/DR, CLTS, LMSW, SMSW, INVLPG, WBINVD, INVD and the mode transitions they
// drive (SDM Vol. 2B MOV CR/MOV DR "Exceptions"; Vol. 3A 2.5, 4.4.1, 9.8.5; Vol. 3B 17.2).
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

// One instruction at kCodeBase, registers prepared by `setup`; it must fault with
// `vector`/`error` leaving RIP and the control registers as they were.
struct FaultCase {
  const char* name;
  Mode mode;
  const char* code;
  std::function<void(CpuHarness&)> setup;
  int vector;
  uint32_t error = 0;
  uint64_t rip = kCodeBase;  // as pushed: the offset of the instruction in CS
};

void ExpectFault(const FaultCase& c) {
  SCOPED_TRACE(c.name);
  CpuHarness h(c.mode);
  InstallExceptionCatchers(h);
  ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\n hlt").ok());
  if (c.setup) c.setup(h);
  const CpuState before = h.cpu.s;
  const CaughtException e = RunAndCatch(h);
  EXPECT_EQ(e.vector, c.vector) << e.run.message;
  EXPECT_EQ(e.error_code, c.error);
  EXPECT_EQ(e.rip, c.rip);
  EXPECT_EQ(h.cpu.s.cr0, before.cr0);
  EXPECT_EQ(h.cpu.s.cr3, before.cr3);
  EXPECT_EQ(h.cpu.s.cr4, before.cr4);
  EXPECT_EQ(h.cpu.s.msr.efer, before.msr.efer);
}

auto Rax(uint64_t v) {
  return [v](CpuHarness& h) { h.cpu.s.gpr[kRax] = v; };
}
auto Cpl3() {
  return [](CpuHarness& h) { EnterCpl3(h); };
}

TEST(ControlRegsTest, MovCrFaults) {
  const uint64_t cr0_long = cr0::kPE | cr0::kMP | cr0::kET | cr0::kNE | cr0::kWP | cr0::kPG;
  const FaultCase cases[] = {
      {"read cr0 at cpl3", Mode::kLong64, "mov rax, cr0", Cpl3(), kGP},
      {"write cr3 at cpl3", Mode::kLong64, "mov cr3, rax", Cpl3(), kGP},
      {"cr0 bit 32", Mode::kLong64, "mov cr0, rax", Rax(cr0_long | 1ull << 32), kGP},
      {"cr0 NW without CD", Mode::kLong64, "mov cr0, rax", Rax(cr0_long | cr0::kNW), kGP},
      {"clear PG in 64-bit mode", Mode::kLong64, "mov cr0, rax", Rax(cr0_long & ~cr0::kPG), kGP},
      {"PG without PE", Mode::kProtected32, "mov cr0, eax", Rax(cr0::kPG | cr0::kET), kGP},
      {"cr3 bit 40 (MAXPHYADDR)", Mode::kLong64, "mov cr3, rax", Rax(0x1000 | 1ull << 40), kGP},
      {"cr3 bit 63 (no PCID)", Mode::kLong64, "mov cr3, rax", Rax(0x1000 | 1ull << 63), kGP},
      {"clear PAE in IA-32e mode", Mode::kLong64, "mov cr4, rax", Rax(0), kGP},
      {"cr8 bit 4", Mode::kLong64, "mov cr8, rax", Rax(0x10), kGP},
  };
  for (const FaultCase& c : cases) ExpectFault(c);
}

// Every CR4 bit whose feature CPUID does not offer is reserved.
TEST(ControlRegsTest, Cr4UnofferedBitsAreReserved) {
  const struct {
    const char* name;
    int bit;
  } bits[] = {{"VME", 0},        {"PVI", 1},    {"OSFXSR", 9}, {"OSXMMEXCPT", 10},
              {"UMIP", 11},      {"LA57", 12},  {"VMXE", 13},  {"SMXE", 14},
              {"bit 15", 15},    {"FSGSBASE", 16}, {"PCIDE", 17}, {"OSXSAVE", 18},
              {"SMEP", 20},      {"SMAP", 21},  {"PKE", 22},   {"CET", 23},
              {"bit 32", 32}};
  for (const auto& b : bits) {
    ExpectFault({b.name, Mode::kLong64, "mov cr4, rax", Rax(cr4::kPAE | 1ull << b.bit), kGP});
  }
}

// Runs `code` (ending in HLT) at CPL 0 and returns the harness for inspection.
std::unique_ptr<CpuHarness> RunOk(const std::string& code, Mode mode = Mode::kLong64,
                                  const std::function<void(CpuHarness&)>& setup = nullptr) {
  auto h = std::make_unique<CpuHarness>(mode);
  EXPECT_TRUE(h->LoadAsm(code).ok());
  if (setup) setup(*h);
  const RunResult r = h->Run();
  EXPECT_EQ(r.reason, StopReason::kHalted) << r.message;
  return h;
}

TEST(ControlRegsTest, Cr0IgnoresUndefinedLowBitsAndKeepsEt) {
  // Bits 6-15 are not defined: writes are ignored. ET (bit 4) stays 1.
  auto h = RunOk("mov rax, cr0\n or rax, 0xFFC0\n and rax, ~0x10\n mov cr0, rax\n"
                 "mov rbx, cr0\n hlt");
  EXPECT_EQ(h->cpu.s.gpr[kRbx], h->cpu.s.cr0);
  EXPECT_EQ(h->cpu.s.cr0 & 0xFFC0, 0u);
  EXPECT_TRUE(h->cpu.s.cr0 & cr0::kET);
}

TEST(ControlRegsTest, Cr4OfferedBitsReadBack) {
  const uint64_t bits = cr4::kTSD | cr4::kDE | cr4::kPSE | cr4::kPAE | cr4::kMCE | cr4::kPGE |
                        cr4::kPCE;
  auto h = RunOk("mov cr4, rax\n mov rbx, cr4\n hlt", Mode::kLong64, Rax(bits));
  EXPECT_EQ(h->cpu.s.gpr[kRbx], bits);
}

TEST(ControlRegsTest, Cr3LowBitsDoNotAffectTheWalk) {
  // Without PCIDs the 4-level walk ignores CR3[11:0] (SDM Vol. 3A Table 4-12).
  auto h = RunOk("mov cr3, rax\n mov rbx, cr3\n mov rcx, [0x200000]\n hlt", Mode::kLong64,
                 [](CpuHarness& h) {
                   h.cpu.s.gpr[kRax] = testing::kPml4 | 0xFFF;
                   h.WritePhys(0x200000, 0x4242, 8);
                 });
  EXPECT_EQ(h->cpu.s.gpr[kRbx], testing::kPml4 | 0xFFF);
  EXPECT_EQ(h->cpu.s.gpr[kRcx], 0x4242u);
}

TEST(ControlRegsTest, Cr2AndCr8) {
  auto h = RunOk("mov cr2, rax\n mov rbx, cr2\n mov ecx, 9\n mov cr8, rcx\n mov rdx, cr8\n hlt",
                 Mode::kLong64, Rax(0xFFFF800012345678));
  EXPECT_EQ(h->cpu.s.gpr[kRbx], 0xFFFF800012345678u);
  EXPECT_EQ(h->cpu.s.gpr[kRdx], 9u);
  EXPECT_EQ(h->cpu.s.cr8, 9);
}

// Remaps the 2 MiB page at 0x400000 to physical 0x600000 behind the CPU's back; after
// `flush` the load must see the new page.
void ExpectFlushSeesNewMapping(const std::string& flush) {
  SCOPED_TRACE(flush);
  CpuHarness h;
  h.WritePhys(0x400000, 0x1111, 8);
  h.WritePhys(0x600000, 0x2222, 8);
  ASSERT_TRUE(
      h.LoadAsm("mov rbx, [0x400000]\n hlt\n " + flush + "\n mov rcx, [0x400000]\n hlt").ok());
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 0x1111u);
  h.WritePhys(0x3000 + 8 * 2, 0x600000 | 0x87, 8);
  h.cpu.s.halted = false;
  h.cpu.s.gpr[kRax] = h.cpu.s.cr3;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0x2222u);
}

TEST(ControlRegsTest, Cr3WriteAndInvlpgFlushTheTlb) {
  ExpectFlushSeesNewMapping("mov cr3, rax");
  ExpectFlushSeesNewMapping("invlpg [0x400000]");
}

// ---- PAE paging: the PDPTE registers (SDM Vol. 3A 4.4.1) ----

constexpr uint64_t kPdpt = 0x9000, kPaePd = 0xA000;

// Protected mode with a PAE table at 0x9000: PDPTE 0 -> PD at 0xA000 mapping the first
// 2 MiB, the rest not present; `pdpte1` goes in entry 1.
void SetUpPae(CpuHarness& h, uint64_t pdpte1) {
  h.WritePhys(kPdpt, kPaePd | 1, 8);
  h.WritePhys(kPdpt + 8, pdpte1, 8);
  h.WritePhys(kPaePd, 0x83, 8);  // 2 MiB page at 0: P, RW, PS
  h.cpu.s.cr3 = kPdpt;
  h.cpu.s.cr4 = cr4::kPAE;
}

constexpr char kEnablePaging[] = "mov eax, cr0\n or eax, 0x80000000\n mov cr0, eax\n hlt";

TEST(ControlRegsTest, EnablingPaePagingLoadsPdptes) {
  auto h = RunOk(kEnablePaging, Mode::kProtected32, [](CpuHarness& h) { SetUpPae(h, 0); });
  EXPECT_TRUE(h->cpu.s.cr0 & cr0::kPG);
  EXPECT_EQ(h->cpu.s.pdpte[0], kPaePd | 1);
  EXPECT_FALSE(h->cpu.s.long_mode_active());
}

TEST(ControlRegsTest, PdpteReservedBitsFaultOnLoad) {
  const struct {
    const char* name;
    uint64_t pdpte1;
    bool ok;
  } cases[] = {
      {"bit 1", 0xB000 | 1 | 2, false},
      {"bit 5", 0xB000 | 1 | 1 << 5, false},
      {"bit 8", 0xB000 | 1 | 1 << 8, false},
      {"bit 40 (MAXPHYADDR)", 0xB000 | 1 | 1ull << 40, false},
      {"XD (bit 63) is reserved in a PDPTE", 0xB000 | 1 | 1ull << 63, false},
      {"not present: not checked", 0xFFE, true},
      {"PWT, PCD and ignored bits", 0xB000 | 1 | 0x18 | 0xE00, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    if (c.ok) {
      auto h = RunOk(kEnablePaging, Mode::kProtected32,
                     [&](CpuHarness& h) { SetUpPae(h, c.pdpte1); });
      EXPECT_EQ(h->cpu.s.pdpte[1], c.pdpte1);
    } else {
      ExpectFault({c.name, Mode::kProtected32, "mov cr0, eax",
                   [&](CpuHarness& h) {
                     SetUpPae(h, c.pdpte1);
                     h.cpu.s.gpr[kRax] = h.cpu.s.cr0 | cr0::kPG;
                   },
                   kGP});
    }
  }
}

TEST(ControlRegsTest, MovCr3UnderPaePagingReloadsAndChecksPdptes) {
  // Enable PAE paging, then load CR3 with a second table whose entry 2 is bad.
  const auto setup = [](CpuHarness& h) {
    SetUpPae(h, 0);
    h.cpu.s.cr0 |= cr0::kPG;
    h.cpu.LoadPdptes(kPdpt);
    h.cpu.StateChanged();
    h.WritePhys(0xC000, kPaePd | 1, 8);
    h.WritePhys(0xC000 + 16, 0xB000 | 1 | 1 << 7, 8);  // bit 7 reserved
    h.cpu.s.gpr[kRax] = 0xC000;
  };
  ExpectFault({"bad PDPTE in new CR3", Mode::kProtected32, "mov cr3, eax", setup, kGP});
  // A good table is loaded into the PDPTE registers.
  auto h = RunOk("mov cr3, eax\n hlt", Mode::kProtected32, [&](CpuHarness& h) {
    setup(h);
    h.WritePhys(0xC000 + 16, 0xB000 | 1, 8);
  });
  EXPECT_EQ(h->cpu.s.cr3, 0xC000u);
  EXPECT_EQ(h->cpu.s.pdpte[2], 0xB000u | 1);
}

TEST(ControlRegsTest, Cr4PgeToggleReloadsPdptes) {
  auto h = RunOk("mov eax, cr4\n or eax, 0x80\n mov cr4, eax\n hlt", Mode::kProtected32,
                 [](CpuHarness& h) {
                   SetUpPae(h, 0);
                   h.cpu.s.cr0 |= cr0::kPG;
                   h.cpu.LoadPdptes(kPdpt);
                   h.cpu.StateChanged();
                   h.WritePhys(kPdpt + 24, 0xD000 | 1, 8);  // changed in memory
                 });
  EXPECT_EQ(h->cpu.s.pdpte[3], 0xD000u | 1);
}

// ---- IA-32e activation and deactivation (SDM Vol. 3A 9.8.5) ----

// Protected mode with LME set, PAE on and the long-mode page tables in CR3.
void SetUpLme(CpuHarness& h) {
  h.cpu.s.msr.efer = efer::kLME;
  h.cpu.s.cr4 = cr4::kPAE;
  h.cpu.s.cr3 = testing::kPml4;
  h.cpu.s.gpr[kRax] = h.cpu.s.cr0 | cr0::kPG;
  h.cpu.StateChanged();
}

TEST(ControlRegsTest, Ia32eActivationChecks) {
  ExpectFault({"LME without PAE", Mode::kProtected32, "mov cr0, eax",
               [](CpuHarness& h) {
                 SetUpLme(h);
                 h.cpu.s.cr4 = 0;
               },
               kGP});
  ExpectFault({"TR is a 16-bit TSS", Mode::kProtected32, "mov cr0, eax",
               [](CpuHarness& h) {
                 SetUpLme(h);
                 h.cpu.s.tr.ar.raw = 0x83;  // busy 16-bit TSS
               },
               kGP});
  // CS.L = 1 (with D = 0: a 16-bit segment outside IA-32e mode, so IP = 0x8000 with
  // the base placing it at kCodeBase).
  ExpectFault({"CS.L = 1", Mode::kProtected32, ".code16\n mov cr0, eax",
               [](CpuHarness& h) {
                 SetUpLme(h);
                 h.cpu.s.seg[kCs].ar.raw = 0xA09B;
                 h.cpu.s.seg[kCs].base = kCodeBase - 0x8000;
                 h.cpu.s.rip = 0x8000;
                 h.cpu.StateChanged();
               },
               kGP, 0, 0x8000});
}

TEST(ControlRegsTest, ClearingPgInCompatibilityModeLeavesIa32e) {
  auto h = RunOk(".code32\n mov eax, cr0\n and eax, 0x7FFFFFFF\n mov cr0, eax\n hlt",
                 Mode::kLong64, [](CpuHarness& h) {
                   h.cpu.s.seg[kCs] = Segment{.selector = testing::kCode32Sel, .base = 0,
                                              .limit = 0xFFFFFFFF, .ar = {0xC09B}};
                   h.cpu.StateChanged();
                 });
  EXPECT_FALSE(h->cpu.s.cr0 & cr0::kPG);
  EXPECT_FALSE(h->cpu.s.long_mode_active());
  EXPECT_TRUE(h->cpu.s.msr.efer & efer::kLME);
}

// Real mode -> protected mode -> IA-32e mode, driven by LGDT, MOV CR0, MOV CR4, MOV CR3
// and WRMSR IA32_EFER. The far jumps between the stages belong to far.cc: the test
// loads CS itself at each HLT.
TEST(ControlRegsTest, RealToProtectedToLongMode) {
  CpuHarness h(Mode::kReal16);
  h.WritePhys(0x200000, 0xFEEDFACECAFEBEEF, 8);
  h.cpu.s.gdtr = {0, 0};
  ASSERT_TRUE(h.LoadAsm(R"(
      lgdt [gdt_ptr]
      mov eax, cr0
      or eax, 1
      mov cr0, eax
      hlt
    gdt_ptr:
      .word 0x57
      .long 0x4000
    .org 0x100
    .code32
      mov eax, cr4
      or eax, 0x20
      mov cr4, eax
      mov eax, 0x1000
      mov cr3, eax
      mov ecx, 0xC0000080
      rdmsr
      or eax, 0x100
      wrmsr
      mov eax, cr0
      or eax, 0x80000000
      mov cr0, eax
      hlt
    .org 0x200
    .code64
      mov rax, 0x123456789
      mov rbx, [0x200000]
      hlt
  )", 0x8000).ok());
  CpuState& s = h.cpu.s;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(s.gdtr.base, testing::kGdt);
  EXPECT_EQ(s.gdtr.limit, 0x57u);
  EXPECT_TRUE(s.protected_mode());
  EXPECT_EQ(h.cpu.code_size(), 2) << "CS keeps its real-mode cache until a far jump";

  s.seg[kCs] = Segment{.selector = testing::kCode32Sel, .base = 0, .limit = 0xFFFFFFFF,
                       .ar = {0xC09B}};
  s.rip = 0x8100;
  s.halted = false;
  h.cpu.StateChanged();
  r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_TRUE(s.cr0 & cr0::kPG);
  EXPECT_EQ(s.msr.efer, efer::kLME | efer::kLMA);
  EXPECT_FALSE(s.in_64bit_mode()) << "compatibility mode until CS.L = 1";
  EXPECT_EQ(h.cpu.code_size(), 4);

  s.seg[kCs] = Segment{.selector = testing::kCode64Sel, .base = 0, .limit = 0xFFFFFFFF,
                       .ar = {0xA09B}};
  s.rip = 0x8200;
  s.halted = false;
  h.cpu.StateChanged();
  r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_TRUE(s.in_64bit_mode());
  EXPECT_EQ(s.gpr[kRax], 0x123456789u);
  EXPECT_EQ(s.gpr[kRbx], 0xFEEDFACECAFEBEEFu);
}

// ---- debug registers ----

TEST(ControlRegsTest, MovDrFaults) {
  const FaultCase cases[] = {
      {"dr4 with CR4.DE", Mode::kLong64, "mov rax, dr4",
       [](CpuHarness& h) { h.cpu.s.cr4 |= cr4::kDE; }, kUD},
      {"dr5 with CR4.DE", Mode::kLong64, "mov dr5, rax",
       [](CpuHarness& h) { h.cpu.s.cr4 |= cr4::kDE; }, kUD},
      {"dr0 at cpl3", Mode::kLong64, "mov rax, dr0", Cpl3(), kGP},
      {"dr6 bit 32", Mode::kLong64, "mov dr6, rax", Rax(1ull << 32), kGP},
      {"dr7 bit 32", Mode::kLong64, "mov dr7, rax", Rax(1ull << 32), kGP},
  };
  for (const FaultCase& c : cases) ExpectFault(c);
}

TEST(ControlRegsTest, GeneralDetectRaisesDebugFault) {
  CpuHarness h;
  InstallExceptionCatchers(h);
  ASSERT_TRUE(h.LoadAsm("mov rax, dr0\n hlt").ok());
  h.cpu.s.dr[7] = 0x400 | 1 << 13;  // GD
  const CaughtException e = RunAndCatch(h);
  EXPECT_EQ(e.vector, kDB) << e.run.message;
  EXPECT_EQ(e.rip, kCodeBase);
  EXPECT_TRUE(h.cpu.s.dr[6] & 1 << 13) << "DR6.BD";
  EXPECT_EQ(h.cpu.s.dr[7], 0x400u) << "GD cleared for the handler";
}

TEST(ControlRegsTest, DebugRegisterValuesAndAliases) {
  auto h = RunOk(R"(
      mov rax, 0xFFFF800000001234
      mov dr0, rax
      mov rbx, dr0
      mov eax, 0xFFFFFFFF
      mov dr6, rax
      mov rcx, dr4        # DR6 (CR4.DE = 0)
      xor eax, eax
      mov dr6, rax
      mov rdx, dr6
      mov eax, 0xD300     # LE, GE; bits 12, 14, 15 read 0
      mov dr5, rax        # DR7
      mov rsi, dr7
      hlt
  )");
  const CpuState& s = h->cpu.s;
  EXPECT_EQ(s.gpr[kRbx], 0xFFFF800000001234u);
  EXPECT_EQ(s.gpr[kRcx], 0xFFFFEFFFu);  // B0-B3, BD, BS, BT; bit 12 reads 0
  EXPECT_EQ(s.gpr[kRdx], 0xFFFF0FF0u);
  EXPECT_EQ(s.gpr[kRsi], 0x0700u);      // bit 10 reads 1
}

TEST(ControlRegsTest, EnablingABreakpointStopsTheRun) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("mov eax, 0x402\n mov dr7, rax\n hlt").ok());
  const RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kError);
  EXPECT_THAT(r.message, HasSubstr("hardware breakpoints (DR7=0x402"));
  EXPECT_EQ(h.cpu.s.dr[7], 0x400u);
}

// ---- CLTS, LMSW, SMSW, INVLPG, WBINVD, INVD ----

TEST(ControlRegsTest, PrivilegedAtCpl3) {
  for (const char* code : {"clts", "lmsw ax", "invlpg [rax]", "wbinvd", "invd"}) {
    ExpectFault({code, Mode::kLong64, code, Cpl3(), kGP});
  }
}

TEST(ControlRegsTest, CltsClearsTs) {
  auto h = RunOk("clts\n hlt", Mode::kLong64, [](CpuHarness& h) { h.cpu.s.cr0 |= cr0::kTS; });
  EXPECT_FALSE(h->cpu.s.cr0 & cr0::kTS);
}

TEST(ControlRegsTest, LmswLoadsLowFourBitsButCannotClearPe) {
  auto h = RunOk("mov ax, 0xFFFE\n lmsw ax\n hlt");
  EXPECT_EQ(h->cpu.s.cr0 & 0xF, cr0::kPE | cr0::kMP | cr0::kEM | cr0::kTS);
  EXPECT_TRUE(h->cpu.s.cr0 & cr0::kPG) << "only bits 3:0 change";
  // In real mode LMSW can set PE.
  CpuHarness r(Mode::kReal16);
  ASSERT_TRUE(r.LoadAsm("mov ax, 1\n lmsw ax\n hlt", 0x8000).ok());
  ASSERT_EQ(r.Run().reason, StopReason::kHalted);
  EXPECT_TRUE(r.cpu.s.protected_mode());
}

TEST(ControlRegsTest, SmswStoresCr0) {
  auto h = RunOk(R"(
      mov rax, -1
      mov rbx, -1
      mov rcx, -1
      smsw rax
      smsw ebx
      smsw cx
      mov word ptr [0x200000], 0
      smsw [0x200000]
      hlt
  )");
  const uint64_t cr0_value = h->cpu.s.cr0;
  EXPECT_EQ(h->cpu.s.gpr[kRax], cr0_value);
  EXPECT_EQ(h->cpu.s.gpr[kRbx], cr0_value);
  EXPECT_EQ(h->cpu.s.gpr[kRcx], 0xFFFFFFFFFFFF0000u | (cr0_value & 0xFFFF));
  EXPECT_EQ(h->ReadPhys(0x200000, 2), cr0_value & 0xFFFF);
}

TEST(ControlRegsTest, SmswIsNotPrivileged) {
  CpuHarness h;
  InstallExceptionCatchers(h);
  ASSERT_TRUE(h.LoadAsm("smsw eax\n ud2").ok());
  EnterCpl3(h);
  const CaughtException e = RunAndCatch(h);
  EXPECT_EQ(e.vector, kUD);
  EXPECT_EQ(h.cpu.s.gpr[kRax], h.cpu.s.cr0 & 0xFFFFFFFF);
}

}  // namespace
}  // namespace vmxemu::cpu
