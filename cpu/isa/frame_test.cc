// ENTER, LEAVE, PUSHA/PUSHAD, POPA/POPAD, XLAT. Expected stack images are worked out by
// hand from the SDM's "Operation" sections.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCodeBase;
using testing::kDataBase;
using testing::kStackTop;
using testing::Mode;

constexpr uint64_t kTrapBase = 0x180000;
constexpr uint64_t kIstTop = 0x7F000;

// Gates for every vector on IST1 (so a broken stack can still take the exception);
// handler v is a HLT at kTrapBase + 16 * v.
void InstallTraps(CpuHarness& h) {
  h.WritePhys(testing::kTss + 0x24, kIstTop, 8);
  for (int v = 0; v < 32; ++v) {
    h.WritePhys(kTrapBase + 16 * v, 0xF4, 1);
    h.SetInterruptGate(v, kTrapBase + 16 * v, 0, false, 1);
  }
}

struct Trap {
  int vector = -1;
  uint64_t error = 0;
  uint64_t rip = 0;
  uint64_t rsp = 0;
};

Trap TakenTrap(CpuHarness& h) {
  const uint64_t at = h.cpu.s.rip - 1;
  if (!h.cpu.s.halted || at < kTrapBase || at >= kTrapBase + 16 * 32 || (at & 15)) return {};
  Trap t{.vector = static_cast<int>((at - kTrapBase) / 16)};
  uint64_t sp = h.cpu.s.gpr[kRsp];
  if (t.vector == kPF || t.vector == kGP || t.vector == kSS) {
    t.error = h.ReadPhys(sp, 8);
    sp += 8;
  }
  t.rip = h.ReadPhys(sp, 8);
  t.rsp = h.ReadPhys(sp + 24, 8);
  return t;
}

using Regs = std::vector<std::pair<Gpr, uint64_t>>;
using Mem = std::vector<std::pair<uint64_t, uint64_t>>;  // address, qword

struct Case {
  std::string name;
  std::string code;
  Mode mode = Mode::kLong64;
  Regs in;
  Mem mem_in;
  Regs out;       // registers after; the others must be unchanged
  Mem mem_out;    // (address, value) checked with width mem_width
  int mem_width = 8;
};

void RunCase(const Case& c) {
  SCOPED_TRACE(c.name + ": " + c.code);
  CpuHarness h(c.mode);
  ASSERT_TRUE(h.LoadAsm(c.code + "\n hlt").ok());
  for (int r = 0; r < kNumGprs; ++r) {
    if (r != kRsp) h.cpu.s.gpr[r] = 0;  // reset leaves the CPU signature in RDX
  }
  for (auto [r, v] : c.in) h.cpu.s.gpr[r] = v;
  for (auto [a, v] : c.mem_in) h.WritePhys(a, v, 8);
  uint64_t expect[kNumGprs];
  for (int r = 0; r < kNumGprs; ++r) expect[r] = h.cpu.s.gpr[r];
  for (auto [r, v] : c.out) expect[r] = v;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  for (int k = 0; k < kNumGprs; ++k) EXPECT_EQ(h.cpu.s.gpr[k], expect[k]) << "gpr " << k;
  for (auto [a, v] : c.mem_out) EXPECT_EQ(h.ReadPhys(a, c.mem_width), v) << std::hex << a;
}

TEST(FrameTest, Enter64) {
  const Case cases[] = {
      {.name = "level 0", .code = "enter 0x20, 0", .in = {{kRbp, 0x1234}},
       .out = {{kRbp, 0x6FFF8}, {kRsp, 0x6FFD8}}, .mem_out = {{0x6FFF8, 0x1234}}},
      {.name = "level 1 pushes FrameTemp", .code = "enter 0x10, 1", .in = {{kRbp, 0x1234}},
       .out = {{kRbp, 0x6FFF8}, {kRsp, 0x6FFE0}},
       .mem_out = {{0x6FFF8, 0x1234}, {0x6FFF0, 0x6FFF8}}},
      // Level 3: copies [RBP-8] and [RBP-16] of the caller's frame, then FrameTemp.
      {.name = "level 3 copies the display", .code = "enter 8, 3", .in = {{kRbp, 0x60100}},
       .mem_in = {{0x600F8, 0xAAAA}, {0x600F0, 0xBBBB}},
       .out = {{kRbp, 0x6FFF8}, {kRsp, 0x6FFD8}},
       .mem_out = {{0x6FFF8, 0x60100}, {0x6FFF0, 0xAAAA}, {0x6FFE8, 0xBBBB}, {0x6FFE0, 0x6FFF8}}},
      {.name = "level is imm8 mod 32", .code = "enter 0, 33", .in = {{kRbp, 0x1234}},
       .out = {{kRbp, 0x6FFF8}, {kRsp, 0x6FFF0}},
       .mem_out = {{0x6FFF8, 0x1234}, {0x6FFF0, 0x6FFF8}}},
      {.name = "alloc is unsigned 16-bit", .code = "enter 0xFFFF, 0", .in = {{kRbp, 1}},
       .out = {{kRbp, 0x6FFF8}, {kRsp, 0x6FFF8 - 0xFFFF}}, .mem_out = {{0x6FFF8, 1}}},
  };
  for (const Case& c : cases) RunCase(c);
}

// 66h ENTER in 64-bit mode: 16-bit slots; BP written (RBP[63:16] kept); the 64-bit stack
// pointer moves as a whole.
TEST(FrameTest, Enter16In64BitMode) {
  const Case c{.name = "66 enter 4, 2", .code = ".byte 0x66, 0xC8, 0x04, 0x00, 0x02",
               .in = {{kRbp, 0x50100}}, .mem_in = {{0x500F8, 0x7777000000000000}},
               .out = {{kRbp, 0x5FFFE}, {kRsp, 0x6FFF6}},
               .mem_out = {{0x6FFFE, 0x0100}, {0x6FFFC, 0x7777}, {0x6FFFA, 0xFFFE}},
               .mem_width = 2};
  RunCase(c);
}

TEST(FrameTest, Enter32) {
  const Case c{.name = "level 2", .code = "enter 0x10, 2", .mode = Mode::kProtected32,
               .in = {{kRbp, 0x60100}}, .mem_in = {{0x600FC, 0xCAFEF00D}},
               .out = {{kRbp, 0x6FFFC}, {kRsp, 0x6FFF4 - 0x10}},
               .mem_out = {{0x6FFFC, 0x60100}, {0x6FFF8, 0xCAFEF00D}, {0x6FFF4, 0x6FFFC}},
               .mem_width = 4};
  RunCase(c);
}

// SDM ENTER: #PF "if a write using the final value of the stack pointer ... would cause
// a page fault" -- before anything is written.
TEST(FrameTest, EnterFaultsOnTheFinalStackPointerWithoutEffect) {
  CpuHarness h;
  InstallTraps(h);
  h.WritePhys(0x3000 + 8 * 2, 0, 8);  // unmap 0x400000-0x5FFFFF
  ASSERT_TRUE(h.LoadAsm("enter 0x100, 1\n hlt").ok());
  h.cpu.s.gpr[kRsp] = 0x600010;
  h.cpu.s.gpr[kRbp] = 0x4242;
  h.WritePhys(0x600008, 0x99, 8);
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  const Trap t = TakenTrap(h);
  EXPECT_EQ(t.vector, kPF);
  EXPECT_EQ(t.error, 2u);  // not present, write
  EXPECT_EQ(h.cpu.s.cr2, 0x600000u - 0x100);
  EXPECT_EQ(t.rip, kCodeBase);
  EXPECT_EQ(t.rsp, 0x600010u);
  EXPECT_EQ(h.cpu.s.gpr[kRbp], 0x4242u);
  EXPECT_EQ(h.ReadPhys(0x600008, 8), 0x99u);
  EXPECT_EQ(h.ReadPhys(0x600000, 8), 0u);
}

TEST(FrameTest, EnterFaultsReadingTheDisplayWithoutEffect) {
  CpuHarness h;
  InstallTraps(h);
  h.WritePhys(0x3000 + 8 * 2, 0, 8);
  ASSERT_TRUE(h.LoadAsm("enter 0, 2\n hlt").ok());
  h.cpu.s.gpr[kRbp] = 0x400008;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  const Trap t = TakenTrap(h);
  EXPECT_EQ(t.vector, kPF);
  EXPECT_EQ(t.error, 0u);  // not present, read
  EXPECT_EQ(h.cpu.s.cr2, 0x400000u);
  EXPECT_EQ(t.rsp, kStackTop);
  EXPECT_EQ(h.cpu.s.gpr[kRbp], 0x400008u);
  EXPECT_EQ(h.ReadPhys(kStackTop - 8, 8), 0u);
}

TEST(FrameTest, Leave) {
  const Case cases[] = {
      {.name = "64", .code = "leave", .in = {{kRbp, 0x6FF00}},
       .mem_in = {{0x6FF00, 0x1122334455667788}},
       .out = {{kRbp, 0x1122334455667788}, {kRsp, 0x6FF08}}},
      {.name = "66: pops BP only", .code = ".byte 0x66, 0xC9", .in = {{kRbp, 0x6FF00}},
       .mem_in = {{0x6FF00, 0x1122334455667788}},
       .out = {{kRbp, 0x67788}, {kRsp, 0x6FF02}}},
      {.name = "32", .code = "leave", .mode = Mode::kProtected32, .in = {{kRbp, 0x6FF00}},
       .mem_in = {{0x6FF00, 0x1122334455667788}},
       .out = {{kRbp, 0x55667788}, {kRsp, 0x6FF04}}},
      {.name = "enter then leave", .code = "enter 0x40, 2\n leave", .in = {{kRbp, 0x60100}},
       .out = {{kRbp, 0x60100}, {kRsp, kStackTop}}},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(FrameTest, LeaveFaultLeavesRspUnchanged) {
  CpuHarness h;
  InstallTraps(h);
  ASSERT_TRUE(h.LoadAsm("leave\n hlt").ok());
  h.cpu.s.gpr[kRbp] = 0x8000000000000000;  // non-canonical: #SS(0)
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  const Trap t = TakenTrap(h);
  EXPECT_EQ(t.vector, kSS);
  EXPECT_EQ(t.error, 0u);
  EXPECT_EQ(t.rsp, kStackTop);
  EXPECT_EQ(h.cpu.s.gpr[kRbp], 0x8000000000000000u);
}

// PUSHAD stores EAX, ECX, EDX, EBX, the original ESP, EBP, ESI, EDI; POPAD reloads all
// but ESP, whose slot it skips.
TEST(FrameTest, PushadPopad) {
  const Regs regs = {{kRax, 0xA0A0A0A0}, {kRcx, 0xC1C1C1C1}, {kRdx, 0xD2D2D2D2},
                     {kRbx, 0xB3B3B3B3}, {kRbp, 0xB5B5B5B5}, {kRsi, 0x56565656},
                     {kRdi, 0xD7D7D7D7}};
  RunCase({.name = "pushad", .code = "pushad", .mode = Mode::kProtected32, .in = regs,
           .out = {{kRsp, kStackTop - 32}},
           .mem_out = {{kStackTop - 4, 0xA0A0A0A0}, {kStackTop - 8, 0xC1C1C1C1},
                       {kStackTop - 12, 0xD2D2D2D2}, {kStackTop - 16, 0xB3B3B3B3},
                       {kStackTop - 20, kStackTop}, {kStackTop - 24, 0xB5B5B5B5},
                       {kStackTop - 28, 0x56565656}, {kStackTop - 32, 0xD7D7D7D7}},
           .mem_width = 4});
  RunCase({.name = "popad skips ESP",
           .code = "pushad\n mov dword ptr [esp + 12], 0x12345678\n"
                   "xor eax, eax\n xor ecx, ecx\n xor edx, edx\n xor ebx, ebx\n"
                   "xor ebp, ebp\n xor esi, esi\n xor edi, edi\n popad",
           .mode = Mode::kProtected32, .in = regs});
}

TEST(FrameTest, PushaPopa16) {
  const Regs regs = {{kRax, 0xFFFF0A0A}, {kRcx, 0xFFFF1C1C}, {kRdx, 0xFFFF2D2D},
                     {kRbx, 0xFFFF3B3B}, {kRbp, 0xFFFF5B5B}, {kRsi, 0xFFFF6565},
                     {kRdi, 0xFFFF7D7D}};
  RunCase({.name = "pushaw", .code = ".byte 0x66, 0x60", .mode = Mode::kProtected32, .in = regs,
           .out = {{kRsp, kStackTop - 16}},
           .mem_out = {{kStackTop - 2, 0x0A0A}, {kStackTop - 10, 0x0000},
                       {kStackTop - 16, 0x7D7D}},
           .mem_width = 2});
  // POPA writes only the low 16 bits of each register.
  RunCase({.name = "popaw", .code = ".byte 0x66, 0x61", .mode = Mode::kProtected32,
           .in = {{kRsp, 0x6FF00}, {kRax, 0x11110000}, {kRdi, 0x22220000}},
           .mem_in = {{0x6FF00, 0x0004000300020001}, {0x6FF08, 0x0008000700060005}},
           .out = {{kRdi, 0x22220001}, {kRsi, 2}, {kRbp, 3}, {kRbx, 5}, {kRdx, 6}, {kRcx, 7},
                   {kRax, 0x11110008}, {kRsp, 0x6FF10}}});
}

TEST(FrameTest, PushaPopaAreInvalidIn64BitMode) {
  for (const char* code : {".byte 0x60", ".byte 0x61", ".byte 0x66, 0x60"}) {
    SCOPED_TRACE(code);
    CpuHarness h;
    InstallTraps(h);
    ASSERT_TRUE(h.LoadAsm(std::string(code) + "\n hlt").ok());
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    const Trap t = TakenTrap(h);
    EXPECT_EQ(t.vector, kUD);
    EXPECT_EQ(t.rsp, kStackTop);
  }
}

TEST(FrameTest, PushadFaultWritesNothing) {
  CpuHarness h(Mode::kProtected32);
  // 32-bit IDT gates: every vector halts at kTrapBase + 16 * v.
  for (int v = 0; v < 32; ++v) {
    h.WritePhys(kTrapBase + 16 * v, 0xF4, 1);
    h.SetInterruptGate(v, kTrapBase + 16 * v);
  }
  ASSERT_TRUE(h.LoadAsm("pushad\n hlt").ok());
  // An expand-down stack whose limit 0x6FFE0 excludes only the last slot (EDI at
  // ESP-32): #SS(0) before any slot is written. (The #SS frame itself lands at
  // 0x6FFF0-0x6FFFF, above the slots checked below.)
  h.cpu.s.seg[kSs].limit = 0x6FFE0;
  h.cpu.s.seg[kSs].ar.raw = (h.cpu.s.seg[kSs].ar.raw & ~0xFu) | 0x7;
  h.cpu.StateChanged();
  h.cpu.s.gpr[kRbp] = 0xB5B5B5B5;
  h.cpu.s.gpr[kRsi] = 0x56565656;
  h.cpu.s.gpr[kRdi] = 0xD7D7D7D7;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.rip, kTrapBase + 16 * kSS + 1);
  EXPECT_EQ(h.ReadPhys(kStackTop - 28, 8), 0u);  // the ESI and EBP slots
  EXPECT_EQ(h.ReadPhys(kStackTop - 20, 4), 0u);  // the ESP slot
}

TEST(FrameTest, Xlat) {
  struct XCase {
    std::string name, code;
    Mode mode = Mode::kLong64;
    uint64_t rax, rbx, fs_base = 0;
    uint64_t out_rax;
  } cases[] = {
      {"index 0x80", "xlat", Mode::kLong64, 0xFFFFFFFFFFFFFF80, kDataBase, 0, 0xFFFFFFFFFFFFFF7F},
      {"AL is zero-extended, not signed", "xlatb", Mode::kLong64, 0x12FF, kDataBase, 0, 0x1200},
      {"REX.W form", ".byte 0x48, 0xD7", Mode::kLong64, 0x01, kDataBase, 0, 0xFE},
      {"address size 32 uses EBX", ".byte 0x67, 0xD7", Mode::kLong64, 0x02,
       0xABCD000000000000 | kDataBase, 0, 0xFD},
      {"FS override", ".byte 0x64, 0xD7", Mode::kLong64, 0x03, kDataBase - 0x100, 0x100, 0xFC},
      {"32-bit", "xlat", Mode::kProtected32, 0xABCDEF04, kDataBase, 0, 0xABCDEFFB},
      // 16-bit address size: BX + AL wraps at 64 KiB (0xFFF0 + 0x20 -> 0x0010).
      {"address size 16 wraps", ".byte 0x67, 0xD7", Mode::kProtected32, 0x20, 0xFFF0, 0, 0x33},
  };
  for (const XCase& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code + "\n hlt").ok());
    for (int k = 0; k < 256; ++k) h.WritePhys(kDataBase + k, 255 - k, 1);
    h.WritePhys(0x10, 0x33, 1);
    h.cpu.s.seg[kFs].base = c.fs_base;
    h.cpu.StateChanged();
    h.cpu.s.gpr[kRax] = c.rax;
    h.cpu.s.gpr[kRbx] = c.rbx;
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.gpr[kRax], c.out_rax);
    EXPECT_EQ(h.cpu.s.gpr[kRbx], c.rbx);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
