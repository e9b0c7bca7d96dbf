// PUSH/POP of registers, memory and immediates; NOP forms; HLT. Expected stack images
// are worked out by hand from SDM Vol. 2B PUSH/POP "Operation".
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

using Regs = std::vector<std::pair<Gpr, uint64_t>>;
using Mem = std::vector<std::pair<uint64_t, uint64_t>>;  // address, value

constexpr uint64_t kTop = kStackTop - 0x100;  // RSP before each case
constexpr uint64_t kG = 0xDEADBEEFCAFEF00D;

struct Case {
  std::string code;
  Regs in;
  Mem mem_in;      // qwords
  Regs out;        // registers after (RSP included); the others must be unchanged
  Mem mem_out;     // checked with mem_width bytes
  int mem_width = 8;
  Mode mode = Mode::kLong64;
};

void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code + "\n hlt").ok());
    for (int r = 0; r < kNumGprs; ++r) h.cpu.s.gpr[r] = 0;  // reset leaves RDX set
    h.cpu.s.gpr[kRsp] = kTop;
    h.cpu.s.gpr[kRsi] = kDataBase;
    for (auto [r, v] : c.in) h.cpu.s.gpr[r] = v;
    for (auto [a, v] : c.mem_in) h.WritePhys(a, v, 8);
    uint64_t expect[kNumGprs];
    for (int r = 0; r < kNumGprs; ++r) expect[r] = h.cpu.s.gpr[r];
    for (auto [r, v] : c.out) expect[r] = v;
    const RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    for (int k = 0; k < kNumGprs; ++k) EXPECT_EQ(h.cpu.s.gpr[k], expect[k]) << "gpr " << k;
    for (auto [a, v] : c.mem_out) EXPECT_EQ(h.ReadPhys(a, c.mem_width), v) << std::hex << a;
  }
}

TEST(MiscTest, Push) {
  RunCases({
      {"push rbx", {{kRbx, kG}}, {}, {{kRsp, kTop - 8}}, {{kTop - 8, kG}}},
      {"push r15", {{kR15, kG}}, {}, {{kRsp, kTop - 8}}, {{kTop - 8, kG}}},
      // 66h: a 16-bit push moves RSP by 2 and stores 2 bytes.
      {"push bx", {{kRbx, kG}}, {{kTop - 8, 0x1111111111111111}}, {{kRsp, kTop - 2}},
       {{kTop - 8, 0xF00D111111111111}}},
      {"push qword ptr [rsi]", {}, {{kDataBase, kG}}, {{kRsp, kTop - 8}}, {{kTop - 8, kG}}},
      {"push word ptr [rsi + 2]", {}, {{kDataBase, kG}}, {{kRsp, kTop - 2}},
       {{kTop - 2, 0xCAFE}}, 2},
      // PUSH imm8 / imm32: sign-extended to the operand size.
      {"push -1", {}, {}, {{kRsp, kTop - 8}}, {{kTop - 8, 0xFFFFFFFFFFFFFFFF}}},
      {"push 0x7F", {}, {}, {{kRsp, kTop - 8}}, {{kTop - 8, 0x7F}}},
      {"push 0x12345678", {}, {}, {{kRsp, kTop - 8}}, {{kTop - 8, 0x12345678}}},
      {"push -0x80000000", {}, {}, {{kRsp, kTop - 8}}, {{kTop - 8, 0xFFFFFFFF80000000}}},
      {".byte 0x66, 0x6A, 0x80", {}, {{kTop - 8, 0}}, {{kRsp, kTop - 2}},
       {{kTop - 8, 0xFF80000000000000}}},
      {".byte 0x66, 0x68, 0x34, 0x12", {}, {{kTop - 8, 0}}, {{kRsp, kTop - 2}},
       {{kTop - 8, 0x1234000000000000}}},
      // PUSH RSP pushes the value before the decrement; PUSH [RSP] reads the old top.
      {"push rsp", {}, {}, {{kRsp, kTop - 8}}, {{kTop - 8, kTop}}},
      {"push qword ptr [rsp]", {}, {{kTop, kG}}, {{kRsp, kTop - 8}}, {{kTop - 8, kG}}},
      {"push qword ptr [rsp + 8]", {}, {{kTop + 8, kG}}, {{kRsp, kTop - 8}}, {{kTop - 8, kG}}},
      // 32-bit code: 4-byte slots; 66h pushes 2 bytes.
      {"push ebx", {{kRbx, 0xCAFEF00D}}, {}, {{kRsp, kTop - 4}}, {{kTop - 4, 0xCAFEF00D}}, 4,
       Mode::kProtected32},
      {"push -2", {}, {}, {{kRsp, kTop - 4}}, {{kTop - 4, 0xFFFFFFFE}}, 4, Mode::kProtected32},
      {"push bx", {{kRbx, 0xCAFEF00D}}, {}, {{kRsp, kTop - 2}}, {{kTop - 2, 0xF00D}}, 2,
       Mode::kProtected32},
  });
}

TEST(MiscTest, Pop) {
  RunCases({
      {"pop rbx", {}, {{kTop, kG}}, {{kRbx, kG}, {kRsp, kTop + 8}}},
      {"pop r8", {}, {{kTop, kG}}, {{kR8, kG}, {kRsp, kTop + 8}}},
      {"pop bx", {{kRbx, 0x1111111111111111}}, {{kTop, kG}},
       {{kRbx, 0x111111111111F00D}, {kRsp, kTop + 2}}},
      {"pop qword ptr [rsi]", {}, {{kTop, kG}}, {{kRsp, kTop + 8}}, {{kDataBase, kG}}},
      {"pop word ptr [rsi]", {}, {{kTop, kG}, {kDataBase, 0}}, {{kRsp, kTop + 2}},
       {{kDataBase, 0xF00D}}},
      // POP [RSP]: the address is computed after RSP is incremented.
      {"pop qword ptr [rsp]", {}, {{kTop, kG}, {kTop + 8, 0}}, {{kRsp, kTop + 8}},
       {{kTop + 8, kG}, {kTop, kG}}},
      {"pop qword ptr [rsp + 8]", {}, {{kTop, kG}, {kTop + 16, 0}}, {{kRsp, kTop + 8}},
       {{kTop + 16, kG}}},
      // POP RSP: RSP gets the popped value (the increment is overwritten).
      {"pop rsp", {}, {{kTop, 0x12340}}, {{kRsp, 0x12340}}},
      {"pop ebx", {{kRbx, kG}}, {{kTop, 0x1122334455667788}},
       {{kRbx, 0x55667788}, {kRsp, kTop + 4}}, {}, 4, Mode::kProtected32},
  });
}

TEST(MiscTest, PushPopRoundTrip) {
  RunCases({
      {"push rax\n push rbx\n pop rax\n pop rbx", {{kRax, 1}, {kRbx, 2}},
       {}, {{kRax, 2}, {kRbx, 1}}},
      {"push 5\n pop rcx", {}, {}, {{kRcx, 5}}},
  });
}

// NOPs never touch memory, even with an operand that would fault; PAUSE and ENDBR64
// are NOPs too; 66 90 is a NOP, not an XCHG.
TEST(MiscTest, Nops) {
  RunCases({
      {"nop\n nop dword ptr [rax + rax*1 + 0]\n nop word ptr [rax + rax*1 + 0]\n pause\n"
       " endbr64\n .byte 0x66, 0x90",
       {{kRax, 0x8000000000000000}}, {}, {}},
  });
}

TEST(MiscTest, HltStopsAfterTheInstruction) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("nop\n hlt\n nop").ok());
  const RunResult r = h.Run();
  EXPECT_EQ(r.reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.rip, kCodeBase + 2);
  EXPECT_TRUE(h.cpu.s.halted);
}

// Stack faults are precise: RSP is unchanged and nothing is written.
TEST(MiscTest, StackFaultsLeaveRspUnchanged) {
  constexpr uint64_t kTrap = 0x180000, kIst = 0x7F000;
  struct {
    std::string code;
    uint64_t rsp;
    int vector;
    uint64_t error;
  } cases[] = {
      {"push rax", 0x400008, kPF, 2},                // not present, write
      {"pop rax", 0x400000, kPF, 0},                 // not present, read
      {"pop qword ptr [rsi]", kTop, kPF, 3},         // read-only destination
      {"push rax", 0x8000000000000008, kSS, 0},      // non-canonical stack address
      {"push qword ptr [rsi + 8]", kTop, kPF, 0},    // the source faults first
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    CpuHarness h;
    h.WritePhys(0x3000 + 8 * 2, 0, 8);                // 0x400000: not present
    h.WritePhys(0x3000 + 8 * 3, 0x600000 | 0x85, 8);  // 0x600000: read-only
    h.WritePhys(testing::kTss + 0x24, kIst, 8);
    for (int v : {kSS, kGP, kPF}) {
      h.WritePhys(kTrap + 16 * v, 0xF4, 1);
      h.SetInterruptGate(v, kTrap + 16 * v, 0, false, 1);
    }
    ASSERT_TRUE(h.LoadAsm(c.code + "\n hlt").ok());
    h.cpu.s.gpr[kRsp] = c.rsp;
    h.cpu.s.gpr[kRsi] = c.code.find("+ 8") != std::string::npos ? 0x400000 - 8 : 0x600000;
    h.cpu.s.gpr[kRax] = kG;
    h.WritePhys(kTop, 0x77, 8);
    h.WritePhys(kTop - 8, 0x66, 8);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.rip, kTrap + 16 * c.vector + 1);
    const uint64_t sp = h.cpu.s.gpr[kRsp];
    EXPECT_EQ(h.ReadPhys(sp, 8), c.error);
    EXPECT_EQ(h.ReadPhys(sp + 8, 8), kCodeBase);  // RIP of the instruction
    EXPECT_EQ(h.ReadPhys(sp + 32, 8), c.rsp);     // RSP at the fault: unchanged
    EXPECT_EQ(h.cpu.s.gpr[kRax], kG);
    EXPECT_EQ(h.ReadPhys(kTop - 8, 8), 0x66u);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
