// XCHG, XADD, CMPXCHG, CMPXCHG8B, CMPXCHG16B and LOCK. Expected values are worked out
// by hand from the SDM's "Operation" sections.
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
using testing::kDataBase;

constexpr uint64_t kTrapBase = 0x180000;
constexpr uint64_t kArith = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagOF;

// Gates for every exception vector; handler v is a HLT at kTrapBase + 16 * v, so the
// halt address names the exception taken.
void InstallTraps(CpuHarness& h) {
  for (int v = 0; v < 32; ++v) {
    h.WritePhys(kTrapBase + 16 * v, 0xF4, 1);
    h.SetInterruptGate(v, kTrapBase + 16 * v);
  }
}

struct Trap {
  int vector = -1;
  uint64_t error = 0;
  uint64_t rip = 0;  // the RIP pushed (the faulting instruction)
  uint64_t rsp = 0;  // the RSP at the fault
};

// The exception the run halted in (IA-32e frame), or vector -1.
Trap TakenTrap(CpuHarness& h) {
  const uint64_t at = h.cpu.s.rip - 1;
  if (!h.cpu.s.halted || at < kTrapBase || at >= kTrapBase + 16 * 32 || (at & 15)) return {};
  Trap t{.vector = static_cast<int>((at - kTrapBase) / 16)};
  constexpr uint32_t kWithError = (1u << kDF) | (1u << kTS) | (1u << kNP) | (1u << kSS) |
                                  (1u << kGP) | (1u << kPF) | (1u << kAC);
  uint64_t sp = h.cpu.s.gpr[kRsp];
  if (kWithError & (1u << t.vector)) {
    t.error = h.ReadPhys(sp, 8);
    sp += 8;
  }
  t.rip = h.ReadPhys(sp, 8);
  t.rsp = h.ReadPhys(sp + 24, 8);
  return t;
}

// Makes the 2 MiB page at 0x400000 read-only (CR0.WP is set by the harness).
constexpr uint64_t kReadOnlyPage = 0x400000;
void MakeReadOnly(CpuHarness& h) { h.WritePhys(0x3000 + 8 * 2, kReadOnlyPage | 0x85, 8); }

using Regs = std::vector<std::pair<Gpr, uint64_t>>;

struct Case {
  std::string name;
  std::string code;
  Regs in;
  Regs out;                  // registers after; the rest must be unchanged
  uint64_t flags_in = 0;     // arithmetic flags before
  uint64_t flags_mask = 0;   // flags checked after
  uint64_t flags_out = 0;
  uint64_t mem_in = 0;       // qword at kDataBase before (RSI points there)
  uint64_t mem_out = 0;      // and after (checked when the code says "[rsi]")
};

void RunCase(const Case& c) {
  SCOPED_TRACE(c.name + ": " + c.code);
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(c.code + "\nhlt").ok());
  h.WritePhys(kDataBase, c.mem_in, 8);
  for (int r = 0; r < kNumGprs; ++r) {
    if (r != kRsp) h.cpu.s.gpr[r] = 0;  // reset leaves the CPU signature in RDX
  }
  h.cpu.s.gpr[kRsi] = kDataBase;
  for (auto [r, v] : c.in) h.cpu.s.gpr[r] = v;
  h.cpu.s.SetRflags(c.flags_in);
  uint64_t expect[kNumGprs];
  for (int r = 0; r < kNumGprs; ++r) expect[r] = h.cpu.s.gpr[r];
  for (auto [r, v] : c.out) expect[r] = v;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  for (int k = 0; k < kNumGprs; ++k) EXPECT_EQ(h.cpu.s.gpr[k], expect[k]) << "gpr " << k;
  EXPECT_EQ(h.cpu.s.Rflags() & c.flags_mask, c.flags_out);
  if (c.code.find("[rsi]") != std::string::npos) {
    EXPECT_EQ(h.ReadPhys(kDataBase, 8), c.mem_out);
  }
}

TEST(ExchangeTest, Xchg) {
  const Case cases[] = {
      {.name = "r64", .code = "xchg rbx, rcx", .in = {{kRbx, 0x1111222233334444}, {kRcx, 0x5555666677778888}},
       .out = {{kRbx, 0x5555666677778888}, {kRcx, 0x1111222233334444}}},
      {.name = "r32 zero-extends both", .code = "xchg ebx, ecx",
       .in = {{kRbx, 0xAAAAAAAA11111111}, {kRcx, 0xBBBBBBBB22222222}},
       .out = {{kRbx, 0x22222222}, {kRcx, 0x11111111}}},
      {.name = "r16 merges", .code = "xchg bx, cx", .in = {{kRbx, 0xAAAAAAAA11111111}, {kRcx, 0xBBBBBBBB22222222}},
       .out = {{kRbx, 0xAAAAAAAA11112222}, {kRcx, 0xBBBBBBBB22221111}}},
      {.name = "r8 high/low", .code = "xchg ah, bl", .in = {{kRax, 0x1234}, {kRbx, 0xABCD}},
       .out = {{kRax, 0xCD34}, {kRbx, 0xAB12}}},
      {.name = "87 C0 xchg eax, eax zero-extends RAX", .code = ".byte 0x87, 0xC0",
       .in = {{kRax, 0xFFFFFFFF12345678}}, .out = {{kRax, 0x12345678}}},
      {.name = "90 is NOP: RAX untouched", .code = ".byte 0x90", .in = {{kRax, 0xFFFFFFFF12345678}}},
      {.name = "41 90 xchg r8d, eax", .code = ".byte 0x41, 0x90",
       .in = {{kRax, 0xFFFFFFFF00000001}, {kR8, 0xFFFFFFFF00000002}},
       .out = {{kRax, 2}, {kR8, 1}}},
      {.name = "48 90 xchg rax, rax (NOP)", .code = ".byte 0x48, 0x90", .in = {{kRax, 0xFFFFFFFF12345678}}},
      {.name = "mem32", .code = "xchg dword ptr [rsi], ecx", .in = {{kRcx, 0xFFFFFFFF87654321}},
       .out = {{kRcx, 0x11223344}}, .mem_in = 0xAABBCCDD11223344, .mem_out = 0xAABBCCDD87654321},
      {.name = "mem8 with AH", .code = "xchg byte ptr [rsi], ah", .in = {{kRax, 0x7F00}},
       .out = {{kRax, 0x4400}}, .mem_in = 0x11223344, .mem_out = 0x1122337F},
      {.name = "reg, mem order", .code = "xchg rcx, qword ptr [rsi]", .in = {{kRcx, 5}},
       .out = {{kRcx, 0x0102030405060708}}, .mem_in = 0x0102030405060708, .mem_out = 5},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(ExchangeTest, Xadd) {
  const Case cases[] = {
      // 0xFFFFFFFF + 1: CF, ZF, AF, PF (0 has even parity); no OF.
      {.name = "r32 carry", .code = "xadd ebx, ecx", .in = {{kRbx, 0x55555555FFFFFFFF}, {kRcx, 0x6666666600000001}},
       .out = {{kRbx, 0}, {kRcx, 0xFFFFFFFF}}, .flags_mask = kArith,
       .flags_out = kFlagCF | kFlagZF | kFlagAF | kFlagPF},
      // 0x7F + 1 = 0x80: OF, SF, AF; PF (0x80 has one bit: odd) clear.
      {.name = "r8 overflow", .code = "xadd bh, cl", .in = {{kRbx, 0x7F00}, {kRcx, 0x01}},
       .out = {{kRbx, 0x8000}, {kRcx, 0x7F}}, .flags_mask = kArith,
       .flags_out = kFlagOF | kFlagSF | kFlagAF},
      {.name = "r64", .code = "xadd rbx, rcx", .in = {{kRbx, 0x100}, {kRcx, 0x23}},
       .out = {{kRbx, 0x123}, {kRcx, 0x100}}, .flags_mask = kArith, .flags_out = 0},
      {.name = "same register: DEST written last", .code = "xadd eax, eax",
       .in = {{kRax, 0xFFFFFFFF00000021}}, .out = {{kRax, 0x42}}, .flags_mask = kArith,
       .flags_out = kFlagPF},
      {.name = "r16 merges", .code = "xadd bx, cx", .in = {{kRbx, 0xAAAA0000FFFF8000}, {kRcx, 0xBBBB000000008000}},
       .out = {{kRbx, 0xAAAA0000FFFF0000}, {kRcx, 0xBBBB000000008000}}, .flags_mask = kArith,
       .flags_out = kFlagCF | kFlagZF | kFlagOF | kFlagPF},
      {.name = "mem64", .code = "lock xadd qword ptr [rsi], rcx", .in = {{kRcx, 2}},
       .out = {{kRcx, 40}}, .flags_mask = kArith, .mem_in = 40, .mem_out = 42},
      {.name = "mem32 zero-extends the register", .code = "xadd dword ptr [rsi], ecx",
       .in = {{kRcx, 0xFFFFFFFF00000001}}, .out = {{kRcx, 0x0F}}, .flags_mask = kArith,
       .flags_out = kFlagAF, .mem_in = 0x0F, .mem_out = 0x10},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(ExchangeTest, Cmpxchg) {
  const Case cases[] = {
      // Equal: DEST := SRC (zero-extended: a 32-bit register write); RAX not written.
      {.name = "r32 equal", .code = "cmpxchg ebx, ecx",
       .in = {{kRax, 0xAAAAAAAA00000005}, {kRbx, 0xBBBBBBBB00000005}, {kRcx, 0xCCCCCCCC00000009}},
       .out = {{kRbx, 9}}, .flags_mask = kArith, .flags_out = kFlagZF | kFlagPF},
      // Not equal: EAX := DEST (RAX zero-extended); the DEST register is not written.
      // Flags of 5 - 7: CF, SF, AF; PF of 0xFE (7 bits) clear.
      {.name = "r32 not equal", .code = "cmpxchg ebx, ecx",
       .in = {{kRax, 0xAAAAAAAA00000005}, {kRbx, 0xBBBBBBBB00000007}, {kRcx, 0xCCCCCCCC00000009}},
       .out = {{kRax, 7}}, .flags_mask = kArith, .flags_out = kFlagCF | kFlagSF | kFlagAF},
      {.name = "DEST is EAX: always equal", .code = "cmpxchg eax, ecx",
       .in = {{kRax, 0xAAAAAAAA00000005}, {kRcx, 0xCCCCCCCC00000009}}, .out = {{kRax, 9}},
       .flags_mask = kFlagZF, .flags_out = kFlagZF},
      {.name = "r64 equal", .code = "cmpxchg rbx, rcx",
       .in = {{kRax, 0x8000000000000000}, {kRbx, 0x8000000000000000}, {kRcx, 1}},
       .out = {{kRbx, 1}}, .flags_mask = kArith, .flags_out = kFlagZF | kFlagPF},
      // 0 - 0x8000000000000000 = 0x8000000000000000: CF, OF, SF.
      {.name = "r64 not equal", .code = "cmpxchg rbx, rcx",
       .in = {{kRax, 0}, {kRbx, 0x8000000000000000}, {kRcx, 1}},
       .out = {{kRax, 0x8000000000000000}}, .flags_mask = kArith,
       .flags_out = kFlagCF | kFlagOF | kFlagSF | kFlagPF},
      {.name = "r16 not equal merges AX", .code = "cmpxchg bx, cx",
       .in = {{kRax, 0x1111111111110001}, {kRbx, 0x2222}, {kRcx, 3}},
       .out = {{kRax, 0x1111111111112222}}, .flags_mask = kFlagZF | kFlagCF, .flags_out = kFlagCF},
      {.name = "r8 high equal", .code = "cmpxchg bh, cl", .in = {{kRax, 0x42}, {kRbx, 0x4200}, {kRcx, 0x99}},
       .out = {{kRbx, 0x9900}}, .flags_mask = kFlagZF, .flags_out = kFlagZF},
      {.name = "r8 not equal writes AL only", .code = "cmpxchg bh, cl",
       .in = {{kRax, 0x7743}, {kRbx, 0x4200}, {kRcx, 0x99}}, .out = {{kRax, 0x7742}},
       .flags_mask = kFlagZF | kFlagCF, .flags_out = 0},
      {.name = "mem32 equal", .code = "lock cmpxchg dword ptr [rsi], ecx",
       .in = {{kRax, 0xFFFFFFFF00000010}, {kRcx, 0x20}}, .flags_mask = kFlagZF, .flags_out = kFlagZF,
       .mem_in = 0x5555555500000010, .mem_out = 0x5555555500000020},
      {.name = "mem32 not equal", .code = "cmpxchg dword ptr [rsi], ecx",
       .in = {{kRax, 0xFFFFFFFF00000011}, {kRcx, 0x20}}, .out = {{kRax, 0x10}},
       .flags_mask = kFlagZF, .flags_out = 0, .mem_in = 0x5555555500000010,
       .mem_out = 0x5555555500000010},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(ExchangeTest, Cmpxchg8b) {
  const Case cases[] = {
      // Equal: m64 := ECX:EBX, ZF=1, RDX/RAX not written (upper halves kept); CF kept.
      {.name = "equal", .code = "cmpxchg8b qword ptr [rsi]",
       .in = {{kRax, 0xAAAAAAAA33221100}, {kRdx, 0xDDDDDDDD77665544},
              {kRcx, 0x11111111CAFEF00D}, {kRbx, 0x22222222DEADBEEF}},
       .flags_in = kFlagCF, .flags_mask = kArith, .flags_out = kFlagCF | kFlagZF,
       .mem_in = 0x7766554433221100, .mem_out = 0xCAFEF00DDEADBEEF},
      // Not equal: EDX:EAX := m64 (zero-extended), memory written back unchanged, ZF=0.
      {.name = "not equal", .code = "lock cmpxchg8b qword ptr [rsi]",
       .in = {{kRax, 0xAAAAAAAA33221100}, {kRdx, 0xDDDDDDDD77665545},
              {kRcx, 0x11111111CAFEF00D}, {kRbx, 0x22222222DEADBEEF}},
       .out = {{kRax, 0x33221100}, {kRdx, 0x77665544}},
       .flags_in = kFlagZF | kFlagSF, .flags_mask = kArith, .flags_out = kFlagSF,
       .mem_in = 0x7766554433221100, .mem_out = 0x7766554433221100},
  };
  for (const Case& c : cases) RunCase(c);
}

TEST(ExchangeTest, Cmpxchg16b) {
  for (bool equal : {true, false}) {
    SCOPED_TRACE(equal ? "equal" : "not equal");
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm("lock cmpxchg16b xmmword ptr [rsi]\n hlt").ok());
    h.WritePhys(kDataBase, 0x1111111111111111, 8);
    h.WritePhys(kDataBase + 8, 0x2222222222222222, 8);
    h.cpu.s.gpr[kRsi] = kDataBase;
    h.cpu.s.gpr[kRax] = 0x1111111111111111;
    h.cpu.s.gpr[kRdx] = equal ? 0x2222222222222222 : 0x2222222222222223;
    h.cpu.s.gpr[kRbx] = 0x3333333333333333;
    h.cpu.s.gpr[kRcx] = 0x4444444444444444;
    h.cpu.s.SetRflags(kFlagCF | (equal ? 0 : kFlagZF));
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.Rflags() & kArith, kFlagCF | (equal ? kFlagZF : 0));
    EXPECT_EQ(h.ReadPhys(kDataBase, 8), equal ? 0x3333333333333333u : 0x1111111111111111u);
    EXPECT_EQ(h.ReadPhys(kDataBase + 8, 8), equal ? 0x4444444444444444u : 0x2222222222222222u);
    EXPECT_EQ(h.cpu.s.gpr[kRax], 0x1111111111111111u);
    EXPECT_EQ(h.cpu.s.gpr[kRdx], 0x2222222222222222u);
  }
}

// CMPXCHG16B: a memory operand not 16-byte aligned (as a linear address) is #GP(0).
TEST(ExchangeTest, Cmpxchg16bAlignment) {
  struct {
    const char* name;
    uint64_t ea;
    uint64_t fs_base;
    bool faults;
  } cases[] = {
      {"aligned", kDataBase, 0, false},
      {"ea + 8", kDataBase + 8, 0, true},
      {"ea + 1", kDataBase + 1, 0, true},
      {"fs base makes it aligned", kDataBase + 8, 8, false},
      {"fs base misaligns it", kDataBase, 4, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    InstallTraps(h);
    ASSERT_TRUE(h.LoadAsm("cmpxchg16b xmmword ptr fs:[rsi]\n hlt").ok());
    h.cpu.s.seg[kFs].base = c.fs_base;
    h.cpu.StateChanged();
    h.cpu.s.gpr[kRsi] = c.ea;
    h.cpu.s.gpr[kRax] = 1;  // memory is 0: not equal, so RAX/RDX := memory on success
    h.cpu.s.gpr[kRdx] = 2;
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    const Trap t = TakenTrap(h);
    if (c.faults) {
      EXPECT_EQ(t.vector, kGP);
      EXPECT_EQ(t.error, 0u);
      EXPECT_EQ(t.rip, testing::kCodeBase);
      EXPECT_EQ(h.cpu.s.gpr[kRax], 1u);
      EXPECT_EQ(h.cpu.s.gpr[kRdx], 2u);
    } else {
      EXPECT_EQ(t.vector, -1);
      EXPECT_EQ(h.cpu.s.gpr[kRax], 0u);
      EXPECT_EQ(h.cpu.s.gpr[kRdx], 0u);
    }
  }
}

// A locked instruction whose destination is not memory, or that is not lockable, is #UD
// (SDM Vol. 2B LOCK).
TEST(ExchangeTest, IllegalLockIsUd) {
  const char* codes[] = {
      ".byte 0xF0, 0x0F, 0xB1, 0xC1",  // lock cmpxchg ecx, eax
      ".byte 0xF0, 0x87, 0xC8",        // lock xchg eax, ecx
      ".byte 0xF0, 0x0F, 0xC1, 0xC1",  // lock xadd ecx, eax
      ".byte 0xF0, 0x01, 0xD8",        // lock add eax, ebx
      ".byte 0xF0, 0x90",              // lock nop
      ".byte 0xF0, 0x8B, 0x06",        // lock mov eax, [rsi]
  };
  for (const char* code : codes) {
    SCOPED_TRACE(code);
    CpuHarness h;
    InstallTraps(h);
    ASSERT_TRUE(h.LoadAsm(std::string(code) + "\n hlt").ok());
    h.cpu.s.gpr[kRsi] = kDataBase;
    h.cpu.s.gpr[kRax] = 7;
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    const Trap t = TakenTrap(h);
    EXPECT_EQ(t.vector, kUD);
    EXPECT_EQ(t.rip, testing::kCodeBase);
    EXPECT_EQ(h.cpu.s.gpr[kRax], 7u);
  }
}

// Memory forms write even when the values differ: a read-only destination faults with
// a write #PF and leaves registers, flags and memory unchanged.
TEST(ExchangeTest, ReadOnlyDestinationFaultsWithoutEffect) {
  const char* codes[] = {
      "cmpxchg dword ptr [rsi], ecx",  // values differ: the write-back still faults
      "cmpxchg8b qword ptr [rsi]",
      "cmpxchg16b xmmword ptr [rsi]",
      "xchg qword ptr [rsi], rcx",
      "xadd word ptr [rsi], cx",
  };
  for (const char* code : codes) {
    SCOPED_TRACE(code);
    CpuHarness h;
    InstallTraps(h);
    MakeReadOnly(h);
    ASSERT_TRUE(h.LoadAsm(std::string(code) + "\n hlt").ok());
    h.WritePhys(kReadOnlyPage, 0x99, 8);
    h.cpu.s.gpr[kRsi] = kReadOnlyPage;
    h.cpu.s.gpr[kRax] = 0x1234;
    h.cpu.s.gpr[kRcx] = 0x5678;
    h.cpu.s.SetRflags(kFlagCF | kFlagSF);
    uint64_t before[kNumGprs];
    for (int r = 0; r < kNumGprs; ++r) before[r] = h.cpu.s.gpr[r];
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    const Trap t = TakenTrap(h);
    EXPECT_EQ(t.vector, kPF);
    EXPECT_EQ(t.error, 3u);  // present, write, supervisor
    EXPECT_EQ(t.rip, testing::kCodeBase);
    EXPECT_EQ(t.rsp, testing::kStackTop);
    EXPECT_EQ(h.cpu.s.cr2, kReadOnlyPage);
    for (int r = 0; r < kNumGprs; ++r) {
      if (r != kRsp) {
        EXPECT_EQ(h.cpu.s.gpr[r], before[r]) << "gpr " << r;
      }
    }
    // The flags were pushed by the #PF delivery: RFLAGS at the fault.
    EXPECT_EQ(h.ReadPhys(h.cpu.s.gpr[kRsp] + 24, 8) & kArith, kFlagCF | kFlagSF);
    EXPECT_EQ(h.ReadPhys(kReadOnlyPage, 8), 0x99u);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
