// Tests of MOV to/from segment registers, PUSH/POP Sreg and LDS/LES/LFS/LGS/LSS
// (cpu/isa/segment_regs.cc, Cpu::LoadSegment in cpu/segments.cc). Expected values from
// SDM Vol. 2B "MOV", "PUSH", "POP" and Vol. 2A "LDS/LES/LFS/LGS/LSS" ("Operation").
#include <cstdint>
#include <string>

#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/segment_setup.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCode32Sel;
using testing::kCodeBase;
using testing::kDataSel;
using testing::kGdt;
using testing::kStackTop;
using testing::kUserData32Sel;
using testing::MakeSegmentDescriptor;
using testing::Mode;
using testing::SetGdtEntry;

constexpr uint64_t kHandler = 0x180000;
constexpr uint64_t kData = 0x200000;

constexpr uint16_t kExecOnly = 0x58, kConformingReadable = 0x60, kNotPresentData = 0x68,
                   kReadOnlyData = 0x70, kBasedData = 0x78;

void AddDescriptors(CpuHarness& h) {
  SetGdtEntry(h, kExecOnly, MakeSegmentDescriptor(0, 0xFFFFF, 0x99, 0xC));
  SetGdtEntry(h, kConformingReadable, MakeSegmentDescriptor(0, 0xFFFFF, 0x9F, 0xC));
  SetGdtEntry(h, kNotPresentData, MakeSegmentDescriptor(0, 0xFFFFF, 0x13, 0xC));
  SetGdtEntry(h, kReadOnlyData, MakeSegmentDescriptor(0, 0xFFFFF, 0x91, 0xC));
  SetGdtEntry(h, kBasedData, MakeSegmentDescriptor(0x12345000, 0xFF, 0x92, 0x4));  // not accessed
}

uint64_t Slot(CpuHarness& h, int n) {
  const int w = h.mode == Mode::kLong64 ? 8 : 4;
  return h.ReadPhys(h.cpu.s.gpr[kRsp] + w * n, w);
}

TEST(MovSreg, LoadsAndTheirFaults) {
  struct Case {
    const char* name;
    Mode mode;
    bool user;
    const char* code;  // loads AX into the segment register
    uint16_t selector;
    uint8_t vector;    // 0: loaded
    uint32_t error;
  } cases[] = {
      {"DS <- data", Mode::kProtected32, false, "mov ds, ax", kDataSel, 0, 0},
      {"DS <- readable code", Mode::kProtected32, false, "mov ds, ax", kCode32Sel, 0, 0},
      {"DS <- null", Mode::kProtected32, false, "mov ds, ax", 3, 0, 0},
      {"DS <- execute-only code", Mode::kProtected32, false, "mov ds, ax", kExecOnly, kGP, kExecOnly},
      {"DS <- DPL 0 data at CPL 3", Mode::kProtected32, true, "mov ds, ax", kDataSel | 3, kGP, kDataSel},
      {"DS <- RPL 3 > DPL 0", Mode::kProtected32, false, "mov ds, ax", kDataSel | 3, kGP, kDataSel},
      {"DS <- conforming code at CPL 3", Mode::kProtected32, true, "mov ds, ax", kConformingReadable | 3, 0, 0},
      {"DS <- not present", Mode::kProtected32, false, "mov ds, ax", kNotPresentData, kNP, kNotPresentData},
      {"DS <- beyond the GDT", Mode::kProtected32, false, "mov ds, ax", 0x0FF8, kGP, 0x0FF8},
      {"DS <- LDT selector, no LDT", Mode::kProtected32, false, "mov ds, ax", 0x000C, kGP, 0x000C},
      {"DS <- TSS descriptor", Mode::kProtected32, false, "mov ds, ax", testing::kTssSel, kGP, testing::kTssSel},
      {"FS <- data", Mode::kLong64, false, "mov fs, ax", kBasedData, 0, 0},
      {"SS <- data", Mode::kProtected32, false, "mov ss, ax", kDataSel, 0, 0},
      {"SS <- null (32-bit)", Mode::kProtected32, false, "mov ss, ax", 0, kGP, 0},
      {"SS <- null, RPL = CPL 0 (64-bit)", Mode::kLong64, false, "mov ss, ax", 0, 0, 0},
      {"SS <- null, RPL 3 at CPL 0 (64-bit)", Mode::kLong64, false, "mov ss, ax", 3, kGP, 0},
      {"SS <- null at CPL 3 (64-bit)", Mode::kLong64, true, "mov ss, ax", 3, kGP, 0},
      {"SS <- RPL != CPL", Mode::kProtected32, false, "mov ss, ax", kDataSel | 3, kGP, kDataSel},
      {"SS <- read-only data", Mode::kProtected32, false, "mov ss, ax", kReadOnlyData, kGP, kReadOnlyData},
      {"SS <- DPL 3 data at CPL 0", Mode::kProtected32, false, "mov ss, ax", kUserData32Sel & ~3, kGP, kUserData32Sel & ~3},
      {"SS <- not present", Mode::kProtected32, false, "mov ss, ax", kNotPresentData, kSS, kNotPresentData},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    AddDescriptors(h);
    h.SetInterruptGate(c.vector == 0 ? int{kGP} : int{c.vector}, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    if (c.user) {
      testing::SetRsp0(h);
      if (c.mode == Mode::kProtected32) h.WritePhys(testing::kTss + 8, kDataSel, 2);
      testing::EnterUserMode(h, 0x60000);
    }
    h.cpu.s.gpr[kRax] = c.selector;
    const std::string name = std::string(c.code).substr(4, 2);
    const int seg = name == "ss" ? int{kSs} : name == "fs" ? int{kFs} : int{kDs};
    RunResult r = h.Run(1);
    if (c.vector == 0) {
      ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
      const Segment& sg = h.cpu.s.seg[seg];
      EXPECT_EQ(sg.selector, c.selector);
      EXPECT_EQ(sg.ar.unusable(), (c.selector & 0xFFFC) == 0);
      if ((c.selector & 0xFFFC) != 0) {
        const uint64_t desc = h.ReadPhys(kGdt + (c.selector & 0xFFF8), 8);
        EXPECT_TRUE(desc & (1ull << 40));  // accessed bit set in the GDT
        EXPECT_EQ(sg.base, ((desc >> 16) & 0xFFFFFF) | ((desc >> 32) & 0xFF000000));
        EXPECT_TRUE(sg.ar.raw & AccessRights::kAccessed);
      }
      EXPECT_EQ(h.cpu.s.mov_ss_shadow, seg == kSs);
      continue;
    }
    r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    ASSERT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(Slot(h, 0), c.error);
    EXPECT_EQ(Slot(h, 1), kCodeBase);
  }
}

TEST(MovSreg, NullDataSegmentFaultsOnUse) {
  CpuHarness h(Mode::kProtected32);
  h.SetInterruptGate(kGP, kHandler);
  ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
  ASSERT_TRUE(h.LoadAsm("xor eax, eax\n mov es, ax\n mov ebx, es:[0x200000]").ok());
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(Slot(h, 0), 0u);
  EXPECT_EQ(Slot(h, 1), kCodeBase + 4);
}

TEST(MovSreg, FromMemoryAndRealMode) {
  {
    CpuHarness h(Mode::kProtected32);
    h.WritePhys(kData, kUserData32Sel & ~3, 2);  // DPL 3 data, RPL 0: fine at CPL 0
    ASSERT_TRUE(h.LoadAsm("mov gs, word ptr ds:[0x200000]").ok());
    ASSERT_EQ(h.Run(1).reason, StopReason::kBudget);
    EXPECT_EQ(h.cpu.s.seg[kGs].selector, kUserData32Sel & ~3);
    EXPECT_EQ(h.cpu.s.seg[kGs].ar.dpl(), 3);
  }
  {
    CpuHarness h(Mode::kReal16);
    ASSERT_TRUE(h.LoadAsm("mov es, ax", 0x7C00).ok());
    h.cpu.s.gpr[kRax] = 0x1234;
    ASSERT_EQ(h.Run(1).reason, StopReason::kBudget);
    EXPECT_EQ(h.cpu.s.seg[kEs].selector, 0x1234);
    EXPECT_EQ(h.cpu.s.seg[kEs].base, 0x12340u);
    EXPECT_EQ(h.cpu.s.seg[kEs].limit, 0xFFFFu);
  }
}

TEST(MovSreg, MovCsIsUndefined) {
  CpuHarness h;
  h.SetInterruptGate(kUD, kHandler);
  ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
  h.LoadBytes({0x8E, 0xC8});  // mov cs, ax
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(Slot(h, 0), kCodeBase);
}

TEST(MovFromSreg, WidthsOfTheDestination) {
  // SDM MOV: a 32-bit register destination gets the selector zero-extended (P6 and
  // later); a 16-bit one keeps its upper bits; memory always receives 16 bits.
  struct Case {
    const char* code;
    uint64_t rax;
    uint64_t memory;
  } cases[] = {
      {"mov eax, ds", 0x10, ~0ull},
      {"mov rax, ds", 0x10, ~0ull},
      {"mov ax, ds", 0xFFFFFFFFFFFF0010, ~0ull},
      {"mov word ptr [0x200000], ds", ~0ull, 0xFFFFFFFFFFFF0010},
      {".byte 0x48\n mov word ptr [0x200000], ds", ~0ull, 0xFFFFFFFFFFFF0010},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    h.cpu.s.gpr[kRax] = ~0ull;
    h.WritePhys(kData, ~0ull, 8);
    ASSERT_EQ(h.Run(1).reason, StopReason::kBudget);
    EXPECT_EQ(h.cpu.s.gpr[kRax], c.rax);
    EXPECT_EQ(h.ReadPhys(kData, 8), c.memory);
  }
}

TEST(PushPopSreg, SlotWidthsAndValues) {
  // PUSH Sreg, 32-bit operand size: a 16-bit write, the upper half of the slot keeps its
  // old value (recent Intel processors, SDM PUSH "Description"); 64-bit: zero-extended.
  struct Case {
    const char* name;
    Mode mode;
    const char* code;
    int step;
    uint64_t slot;  // the 8 bytes at the new RSP after the push
  } cases[] = {
      {"push ds, 32-bit", Mode::kProtected32, "push ds", 4, 0xAAAAAAAAAAAA0010},
      {"pushw ds, 32-bit", Mode::kProtected32, "pushw ds", 2, 0xAAAAAAAAAAAA0010},
      {"push fs, 64-bit", Mode::kLong64, "push fs", 8, 0x10},
      {"push cs, 32-bit", Mode::kProtected32, "push cs", 4, 0xAAAAAAAAAAAA0018},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    h.WritePhys(kStackTop - 8, 0xAAAAAAAAAAAAAAAA, 8);
    h.WritePhys(kStackTop, 0xAAAAAAAAAAAAAAAA, 8);
    ASSERT_EQ(h.Run(1).reason, StopReason::kBudget);
    EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - c.step);
    EXPECT_EQ(h.ReadPhys(kStackTop - c.step, 8), c.slot);
  }
}

TEST(PushPopSreg, PopLoadsWithChecksAndMovesTheStackPointer) {
  struct Case {
    const char* name;
    Mode mode;
    const char* code;
    uint64_t value;
    int seg;
    int step;
    uint8_t vector;
  } cases[] = {
      {"pop es, 32-bit", Mode::kProtected32, "pop es", 0xFFFF0000 | kDataSel, kEs, 4, 0},
      {"popw ds, 32-bit", Mode::kProtected32, "popw ds", kDataSel, kDs, 2, 0},
      {"pop gs, 64-bit", Mode::kLong64, "pop gs", kDataSel, kGs, 8, 0},
      {"pop ss, 32-bit", Mode::kProtected32, "pop ss", kDataSel, kSs, 4, 0},
      {"pop ds, invalid selector", Mode::kProtected32, "pop ds", 0x0FF8, kDs, 0, kGP},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    h.SetInterruptGate(kGP, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    const uint64_t sp = kStackTop - 0x100;
    h.WritePhys(sp, c.value, 8);
    h.cpu.s.gpr[kRsp] = sp;
    h.cpu.s.seg[c.seg].selector = 0;
    RunResult r = h.Run(1);
    if (c.vector != 0) {
      r = h.Run();
      ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
      EXPECT_EQ(Slot(h, 0), c.value);
      EXPECT_EQ(h.cpu.s.gpr[kRsp], sp - 16);  // the failed POP left ESP alone
      continue;
    }
    ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
    EXPECT_EQ(h.cpu.s.seg[c.seg].selector, static_cast<uint16_t>(c.value));
    EXPECT_EQ(h.cpu.s.gpr[kRsp], sp + c.step);
    EXPECT_EQ(h.cpu.s.mov_ss_shadow, c.seg == kSs);
  }
}

TEST(LoadFarPointer, LoadsSegmentAndOffset) {
  struct Case {
    const char* name;
    Mode mode;
    const char* code;
    int offset_bytes;
    int seg;
    uint64_t rax;  // expected (RAX starts all ones)
  } cases[] = {
      {"lds eax, m16:32", Mode::kProtected32, "lds eax, fword ptr ds:[0x200000]", 4, kDs, 0x89ABCDEF},
      {"les ax, m16:16", Mode::kProtected32, "les ax, dword ptr ds:[0x200000]", 2, kEs, 0xFFFFFFFFFFFFCDEF},
      {"lfs eax, m16:32 (64-bit)", Mode::kLong64, "lfs eax, fword ptr [0x200000]", 4, kFs, 0x89ABCDEF},
      {"lgs rax, m16:64", Mode::kLong64, ".byte 0x48\n lgs eax, [0x200000]", 8, kGs, 0x0123456789ABCDEF},
      {"lss eax, m16:32", Mode::kProtected32, "lss eax, fword ptr ds:[0x200000]", 4, kSs, 0x89ABCDEF},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    h.WritePhys(kData, 0x0123456789ABCDEF, c.offset_bytes);
    h.WritePhys(kData + c.offset_bytes, kDataSel, 2);
    h.cpu.s.gpr[kRax] = ~0ull;
    h.cpu.s.seg[c.seg].selector = 0;
    ASSERT_EQ(h.Run(1).reason, StopReason::kBudget);
    EXPECT_EQ(h.cpu.s.gpr[kRax], c.rax);
    EXPECT_EQ(h.cpu.s.seg[c.seg].selector, kDataSel);
    EXPECT_FALSE(h.cpu.s.mov_ss_shadow);  // LSS sets no interrupt shadow
  }
}

TEST(LoadFarPointer, FaultingSelectorLeavesTheRegister) {
  CpuHarness h(Mode::kProtected32);
  h.SetInterruptGate(kGP, kHandler);
  ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
  ASSERT_TRUE(h.LoadAsm("lds ebx, fword ptr ds:[0x200000]").ok());
  h.WritePhys(kData, 0x11111111, 4);
  h.WritePhys(kData + 4, 0x0FF8, 2);
  h.cpu.s.gpr[kRbx] = 0x22;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(Slot(h, 0), 0x0FF8u);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 0x22u);
  EXPECT_EQ(h.cpu.s.seg[kDs].selector, kDataSel);
}

}  // namespace
}  // namespace vmxemu::cpu
