// CPUID (SDM Vol. 2A CPUID): identity, leaf layout, and "never lie": every feature
// kOfferedFeatures advertises is probed here with a working instruction or control bit,
// and every other feature bit reads 0.
#include "cpu/cpuid.h"

#include <cstring>
#include <functional>
#include <map>
#include <string>

#include "cpu/cpu.h"
#include "cpu/msr.h"
#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/exception_catcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CaughtException;
using testing::CpuHarness;
using testing::InstallExceptionCatchers;
using testing::Mode;
using testing::RunAndCatch;

// CPUID in the power-up state.
CpuidResult Query(uint32_t leaf, uint32_t subleaf = 0) {
  return Cpuid(CpuState{}, leaf, subleaf);
}

uint32_t Reg(const CpuidResult& r, CpuidReg reg) {
  switch (reg) {
    case CpuidReg::kEax: return r.eax;
    case CpuidReg::kEbx: return r.ebx;
    case CpuidReg::kEcx: return r.ecx;
    default: return r.edx;
  }
}

TEST(CpuidTest, CpuidInstructionFillsRegisters) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("xor eax, eax\n cpuid\n hlt").ok());
  h.cpu.s.gpr[kRbx] = h.cpu.s.gpr[kRcx] = h.cpu.s.gpr[kRdx] = ~0ull;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  char vendor[13] = {};
  const uint32_t regs[3] = {static_cast<uint32_t>(h.cpu.s.gpr[kRbx]),
                            static_cast<uint32_t>(h.cpu.s.gpr[kRdx]),
                            static_cast<uint32_t>(h.cpu.s.gpr[kRcx])};
  memcpy(vendor, regs, 12);
  EXPECT_STREQ(vendor, "GenuineIntel");
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0xBu) << "maximum basic leaf";
  EXPECT_EQ(h.cpu.s.gpr[kRbx] >> 32, 0u) << "upper halves cleared";
}

TEST(CpuidTest, SignatureIsSkylakeFamily6Model5E) {
  const uint32_t eax = Query(1).eax;
  // SDM Vol. 2A Figure 3-6: DisplayFamily/DisplayModel.
  const uint32_t family = (eax >> 8) & 0xF;
  const uint32_t model = ((eax >> 4) & 0xF) | ((eax >> 12) & 0xF0);
  EXPECT_EQ(family, 6u);
  EXPECT_EQ(model, 0x5Eu);
  EXPECT_EQ(eax & 0xF, 3u);
  EXPECT_EQ(Query(1).ebx, 0x00010000u) << "APIC ID 0, one logical processor";
}

TEST(CpuidTest, ResetPutsTheSignatureInEdx) {
  CpuHarness h;
  h.cpu.Reset();
  EXPECT_EQ(h.cpu.s.gpr[kRdx], kCpuidSignature);  // SDM Vol. 3A 9.1.4
}

TEST(CpuidTest, BrandStringAndAddressSizes) {
  char brand[49] = {};
  for (uint32_t i = 0; i < 3; ++i) {
    const CpuidResult r = Query(0x80000002 + i);
    const uint32_t regs[4] = {r.eax, r.ebx, r.ecx, r.edx};
    memcpy(brand + 16 * i, regs, 16);
  }
  EXPECT_STREQ(brand, "vmxemu virtual CPU");
  EXPECT_EQ(Query(0x80000000).eax, 0x80000008u);
  EXPECT_EQ(Query(0x80000008).eax & 0xFF, 40u) << "physical-address bits";
  EXPECT_EQ((Query(0x80000008).eax >> 8) & 0xFF, 48u) << "linear-address bits";
}

TEST(CpuidTest, LeavesAboveTheMaximaReturnTheHighestBasicLeaf) {
  for (uint32_t leaf : {0xCu, 0x14u, 0x40000000u, 0x80000009u, 0xFFFFFFFFu}) {
    SCOPED_TRACE(leaf);
    for (uint32_t subleaf : {0u, 1u, 5u}) {
      EXPECT_EQ(Query(leaf, subleaf), Query(0xB, subleaf));
    }
  }
}

TEST(CpuidTest, DeterministicCacheParameters) {
  const struct {
    uint32_t type, level, kib;
  } caches[] = {{1, 1, 32}, {2, 1, 32}, {3, 2, 256}, {3, 3, 8192}};
  for (uint32_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    const CpuidResult r = Query(4, i);
    EXPECT_EQ(r.eax & 0x1F, caches[i].type);
    EXPECT_EQ((r.eax >> 5) & 7, caches[i].level);
    // SDM Vol. 2A leaf 04H: size = ways * partitions * line size * sets.
    const uint64_t size = (((r.ebx >> 22) & 0x3FF) + 1) * (((r.ebx >> 12) & 0x3FF) + 1) *
                          ((r.ebx & 0xFFF) + 1) * (uint64_t{r.ecx} + 1);
    EXPECT_EQ(size, caches[i].kib * 1024u);
    EXPECT_EQ(r.eax >> 14, 0u) << "one thread, one core";
  }
  EXPECT_EQ(Query(4, 4).eax & 0x1F, 0u) << "no more caches";
  EXPECT_EQ(Query(0x80000006).ecx >> 16, 256u) << "L2 KiB agrees with leaf 4";
}

TEST(CpuidTest, TopologyLeaf) {
  EXPECT_EQ(Query(0xB, 0), (CpuidResult{0, 1, 0x100, 0}));
  EXPECT_EQ(Query(0xB, 1), (CpuidResult{0, 1, 0x201, 0}));
  EXPECT_EQ(Query(0xB, 2), (CpuidResult{0, 0, 2, 0})) << "invalid level echoes ECX[7:0]";
}

TEST(CpuidTest, ApicFlagFollowsApicBaseEnable) {
  CpuHarness h;
  EXPECT_TRUE(Cpuid(h.cpu.s, 1, 0).edx & 1 << 9);
  h.cpu.s.msr.apic_base &= ~(1ull << 11);
  EXPECT_FALSE(Cpuid(h.cpu.s, 1, 0).edx & 1 << 9);  // SDM Vol. 3A 10.4.3
}

// Feature registers hold exactly the offered bits; a few unimplemented features named
// for the record.
TEST(CpuidTest, OnlyOfferedBitsAreSet) {
  for (uint32_t leaf : {0x1u, 0x7u, 0x80000001u}) {
    for (CpuidReg reg : {CpuidReg::kEcx, CpuidReg::kEdx}) {
      uint32_t offered = 0;
      for (const CpuidFeature& f : kOfferedFeatures) {
        if (f.leaf == leaf && f.reg == reg) offered |= 1u << f.bit;
      }
      EXPECT_EQ(Reg(Query(leaf), reg), offered) << std::hex << leaf;
    }
  }
  EXPECT_EQ(Query(7), CpuidResult{}) << "no structured extended features";
  EXPECT_EQ(Query(0xA), CpuidResult{}) << "no architectural performance monitoring";
  const struct {
    const char* name;
    uint32_t leaf;
    CpuidReg reg;
    int bit;
  } absent[] = {
      {"FPU", 1, CpuidReg::kEdx, 0},   {"VME", 1, CpuidReg::kEdx, 1},
      {"MTRR", 1, CpuidReg::kEdx, 12}, {"MCA", 1, CpuidReg::kEdx, 14},
      {"CLFSH", 1, CpuidReg::kEdx, 19}, {"MMX", 1, CpuidReg::kEdx, 23},
      {"FXSR", 1, CpuidReg::kEdx, 24}, {"SSE", 1, CpuidReg::kEdx, 25},
      {"SSE2", 1, CpuidReg::kEdx, 26}, {"HTT", 1, CpuidReg::kEdx, 28},
      {"SSE3", 1, CpuidReg::kEcx, 0},  {"MONITOR", 1, CpuidReg::kEcx, 3},
      {"VMX", 1, CpuidReg::kEcx, 5},   {"PCID", 1, CpuidReg::kEcx, 17},
      {"x2APIC", 1, CpuidReg::kEcx, 21}, {"XSAVE", 1, CpuidReg::kEcx, 26},
      {"OSXSAVE", 1, CpuidReg::kEcx, 27}, {"hypervisor", 1, CpuidReg::kEcx, 31},
  };
  for (const auto& a : absent) {
    EXPECT_FALSE(Reg(Query(a.leaf), a.reg) & 1u << a.bit) << a.name;
  }
}

// ---- each offered feature works ----

// Runs `code` to HLT in `mode` after `setup`; fails the test on any other stop.
std::unique_ptr<CpuHarness> Run(const std::string& code, Mode mode = Mode::kLong64,
                                const std::function<void(CpuHarness&)>& setup = nullptr) {
  auto h = std::make_unique<CpuHarness>(mode);
  EXPECT_TRUE(h->LoadAsm(code).ok());
  if (setup) setup(*h);
  const RunResult r = h->Run();
  EXPECT_EQ(r.reason, StopReason::kHalted) << r.message;
  return h;
}

// Protected mode with 32-bit paging, CR4.PSE and a page directory at 0x9000 whose first
// PDE maps 4 MiB at 0; `pde1` maps linear 0x400000.
void PseSetup(CpuHarness& h, uint32_t pde1) {
  h.WritePhys(0x9000, 0x83, 4);
  h.WritePhys(0x9004, pde1, 4);
  h.cpu.s.cr3 = 0x9000;
  h.cpu.s.cr4 = cr4::kPSE;
}

constexpr char kPagingOnThenLoad[] =
    "mov eax, cr0\n or eax, 0x80000000\n mov cr0, eax\n mov eax, [0x400010]\n hlt";

void ProbeFeature(const std::string& name) {
  using P = std::function<void()>;
  const std::map<std::string, P> probes = {
      {"DE", [] {
         CpuHarness h;
         InstallExceptionCatchers(h);
         ASSERT_TRUE(h.LoadAsm("mov rax, cr4\n or eax, 8\n mov cr4, rax\n mov rax, dr4").ok());
         EXPECT_EQ(RunAndCatch(h).vector, kUD);
       }},
      {"PSE", [] {
         auto h = Run(kPagingOnThenLoad,
                      Mode::kProtected32, [](CpuHarness& h) {
                        PseSetup(h, 0x800083);  // linear 4 MiB -> physical 8 MiB
                        h.WritePhys(0x800010, 0x5A5A, 4);
                      });
         EXPECT_EQ(h->cpu.s.gpr[kRax], 0x5A5Au);
       }},
      {"TSC", [] { Run("rdtsc\n hlt"); }},
      {"MSR", [] { EXPECT_EQ(Run("mov ecx, 0xC0000080\n rdmsr\n hlt")->cpu.s.gpr[kRax], 0xD01u); }},
      {"PAE", [] {
         auto h = Run("mov eax, cr0\n or eax, 0x80000000\n mov cr0, eax\n hlt", Mode::kProtected32,
                      [](CpuHarness& h) {
                        h.WritePhys(0x9000, 0xA001, 8);
                        h.WritePhys(0xA000, 0x83, 8);
                        h.cpu.s.cr3 = 0x9000;
                        h.cpu.s.cr4 = cr4::kPAE;
                      });
         EXPECT_EQ(h->cpu.s.pdpte[0], 0xA001u);
       }},
      {"MCE", [] {
         auto h = Run("mov rax, cr4\n or eax, 0x40\n mov cr4, rax\n hlt");
         EXPECT_TRUE(h->cpu.s.cr4 & cr4::kMCE);
       }},
      {"CX8", [] {
         auto h = Run("xor eax, eax\n xor edx, edx\n mov ebx, 7\n xor ecx, ecx\n"
                      "cmpxchg8b [0x200000]\n hlt");
         EXPECT_EQ(h->ReadPhys(0x200000, 8), 7u);
       }},
      {"APIC", [] {
         auto h = Run("mov ecx, 0x1B\n rdmsr\n hlt");
         EXPECT_EQ(h->cpu.s.gpr[kRax], 0xFEE00900u) << "enabled BSP at 0xFEE00000";
       }},
      {"SEP", [] {
         auto h = Run("sysenter\n .org 0x100\n hlt", Mode::kLong64, [](CpuHarness& h) {
           h.cpu.s.msr.sysenter_cs = testing::kCode64Sel;
           h.cpu.s.msr.sysenter_eip = testing::kCodeBase + 0x100;
           h.cpu.s.msr.sysenter_esp = 0x60000;
         });
         EXPECT_EQ(h->cpu.s.gpr[kRsp], 0x60000u);
       }},
      {"PGE", [] {
         auto h = Run("mov rax, cr4\n or eax, 0x80\n mov cr4, rax\n hlt");
         EXPECT_TRUE(h->cpu.s.cr4 & cr4::kPGE);
       }},
      {"CMOV", [] {
         auto h = Run("xor eax, eax\n mov ebx, 5\n cmovz eax, ebx\n hlt");
         EXPECT_EQ(h->cpu.s.gpr[kRax], 5u);
       }},
      {"PAT", [] {
         auto h = Run("mov ecx, 0x277\n mov eax, 0x01000106\n xor edx, edx\n wrmsr\n hlt");
         EXPECT_EQ(h->cpu.s.msr.pat, 0x01000106u);
       }},
      {"PSE-36", [] {
         // PDE bits 20:13 supply physical-address bits 39:32 (SDM Vol. 3A 4.3).
         auto h = Run(kPagingOnThenLoad,
                      Mode::kProtected32, [](CpuHarness& h) { PseSetup(h, 0x83 | 1 << 13); });
         EXPECT_THAT(h->platform.mmio_reads, ::testing::Contains(0x100000010ull));
       }},
      {"CMPXCHG16B", [] {
         auto h = Run("xor eax, eax\n xor edx, edx\n mov ebx, 9\n xor ecx, ecx\n"
                      "cmpxchg16b [0x200000]\n hlt");
         EXPECT_EQ(h->ReadPhys(0x200000, 8), 9u);
       }},
      {"LAHF-SAHF", [] { Run("mov ah, 0xD5\n sahf\n lahf\n hlt"); }},
      {"SYSCALL", [] {
         auto h = Run("syscall\n .org 0x100\n hlt", Mode::kLong64, [](CpuHarness& h) {
           h.cpu.s.msr.lstar = testing::kCodeBase + 0x100;
           h.cpu.s.msr.star = uint64_t{testing::kCode64Sel} << 32;
         });
         EXPECT_EQ(h->cpu.s.gpr[kRcx], testing::kCodeBase + 2);
       }},
      {"NX", [] {
         // The harness runs with EFER.NXE = 1: fetching from an XD page is a #PF with
         // the instruction-fetch bit (SDM Vol. 3A 4.7).
         CpuHarness h;
         InstallExceptionCatchers(h);
         h.WritePhys(0x3000 + 8 * 2, 0x400000 | 0x87 | 1ull << 63, 8);
         ASSERT_TRUE(h.LoadAsm("mov eax, 0x400000\n jmp rax").ok());
         const CaughtException e = RunAndCatch(h);
         EXPECT_EQ(e.vector, kPF);
         EXPECT_EQ(e.error_code, 0x11u);  // P, I/D
       }},
      {"Page1GB", [] {
         auto h = Run("mov rax, [0x40200008]\n hlt", Mode::kLong64, [](CpuHarness& h) {
           h.WritePhys(0x2000 + 8, 0x83, 8);  // PDPTE 1: 1 GiB page at physical 0
           h.WritePhys(0x200008, 0x77, 8);
         });
         EXPECT_EQ(h->cpu.s.gpr[kRax], 0x77u);
       }},
      {"RDTSCP", [] { Run("rdtscp\n hlt"); }},
      {"LM", [] {
         auto h = Run("mov eax, cr0\n or eax, 0x80000000\n mov cr0, eax\n hlt", Mode::kProtected32,
                      [](CpuHarness& h) {
                        h.cpu.s.msr.efer = efer::kLME;
                        h.cpu.s.cr4 = cr4::kPAE;
                        h.cpu.s.cr3 = testing::kPml4;
                      });
         EXPECT_TRUE(h->cpu.s.long_mode_active());
       }},
  };
  const auto it = probes.find(name);
  ASSERT_NE(it, probes.end()) << "offered feature " << name << " has no probe";
  it->second();
}

TEST(CpuidTest, EveryOfferedFeatureWorks) {
  for (const CpuidFeature& f : kOfferedFeatures) {
    SCOPED_TRACE(f.name);
    EXPECT_TRUE(Reg(Query(f.leaf), f.reg) & 1u << f.bit);
    ProbeFeature(f.name);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
