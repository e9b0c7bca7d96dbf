// Tests of far JMP and CALL through call gates, and the RET far back (cpu/isa/far.cc).
// Expected values from SDM Vol. 2A "CALL", "JMP" ("CALL-GATE", "MORE-PRIVILEGE",
// "SAME-PRIVILEGE") and Vol. 3A 5.8.3-5.8.6.
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

constexpr uint64_t kHandler = 0x180000;
constexpr uint64_t kTarget = 0x100800;
constexpr uint64_t kPointer = 0x200000;  // far pointers in memory

uint64_t Slot(CpuHarness& h, int n, int width) {
  return h.ReadPhys(h.cpu.s.gpr[kRsp] + width * n, width);
}

constexpr uint16_t kGate = 0x88;  // 16 bytes in IA-32e mode: 0x88 and 0x90

TEST(CallGate, Cpl3ToCpl0CopiesParametersAndRetfReturns) {
  // A 32-bit call gate (DPL 3, 2 parameters) into the DPL-0 code segment; the callee
  // returns with RETF 8 (SDM Vol. 3A 5.8.5, Figure 5-13).
  CpuHarness h(Mode::kProtected32);
  SetGdtEntry(h, kGate, testing::MakeGate(kCode32Sel, kTarget, 0xC, 3) | (2ull << 32));
  ASSERT_TRUE(h.LoadAsm("retf 8", kTarget).ok());
  ASSERT_TRUE(h.LoadAsm("push 0x22\n push 0x11\n call 0x8B:0\n nop").ok());
  testing::EnterUserMode(h, 0x60000);
  RunResult r = h.Run(3);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kTarget);
  EXPECT_EQ(h.cpu.s.cpl(), 0);
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, kCode32Sel);
  EXPECT_EQ(h.cpu.s.seg[kSs].selector, kDataSel);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - 24);
  const uint64_t want[] = {kCodeBase + 11, kUserCode32Sel, 0x11, 0x22, 0x60000 - 8, kUserData32Sel};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(Slot(h, i, 4), want[i]) << "slot " << i;
  r = h.Run(1);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kCodeBase + 11);
  EXPECT_EQ(h.cpu.s.cpl(), 3);
  EXPECT_EQ(h.cpu.s.seg[kCs].selector, kUserCode32Sel);
  EXPECT_EQ(h.cpu.s.seg[kSs].selector, kUserData32Sel);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x60000u);  // the parameters released on the caller's stack
}

TEST(CallGate, Ia32eCpl3ToCpl0AndBack) {
  CpuHarness h;
  testing::SetRsp0(h, kStackTop - 8);  // not aligned: call gates do not align
  SetGdtEntry(h, kGate, testing::MakeGate(kCode64Sel, kTarget, 0xC, 3));
  SetGdtEntry(h, kGate + 8, kTarget >> 32);
  ASSERT_TRUE(h.LoadAsm("retfq", kTarget).ok());
  h.WritePhys(kPointer, 0, 4);
  h.WritePhys(kPointer + 4, kGate | 3, 2);
  ASSERT_TRUE(h.LoadAsm("call fword ptr [0x200000]\n nop").ok());
  testing::EnterUserMode(h, 0x60000);
  RunResult r = h.Run(1);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kTarget);
  EXPECT_EQ(h.cpu.s.cpl(), 0);
  EXPECT_EQ(h.cpu.s.seg[kSs].selector, 0);  // null, RPL = new CPL
  EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - 8 - 32);
  const uint64_t want[] = {kCodeBase + 7, kUserCode64Sel, 0x60000, kUserData32Sel};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Slot(h, i, 8), want[i]) << "slot " << i;
  r = h.Run(1);
  ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kCodeBase + 7);
  EXPECT_EQ(h.cpu.s.cpl(), 3);
  EXPECT_EQ(h.cpu.s.gpr[kRsp], 0x60000u);
}

TEST(CallGate, SamePrivilegeJmpAndCall) {
  struct Case {
    const char* name;
    Mode mode;
    bool call;
    uint32_t type;
    int width;  // of the pushed return address
  } cases[] = {
      {"32-bit gate, JMP", Mode::kProtected32, false, 0xC, 0},
      {"32-bit gate, CALL", Mode::kProtected32, true, 0xC, 4},
      {"16-bit gate, CALL", Mode::kProtected32, true, 0x4, 2},
      {"64-bit gate, CALL", Mode::kLong64, true, 0xC, 8},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    const uint16_t cs = c.mode == Mode::kLong64 ? kCode64Sel : kCode32Sel;
    const uint64_t target = c.type == 0x4 ? 0x0800 : kTarget;
    SetGdtEntry(h, kGate, testing::MakeGate(cs, target, c.type, 0));
    SetGdtEntry(h, kGate + 8, 0);
    h.WritePhys(kPointer + 4, kGate, 2);
    std::string code = c.call ? "call fword ptr " : "jmp fword ptr ";
    code += c.mode == Mode::kLong64 ? "[0x200000]" : "ds:[0x200000]";
    ASSERT_TRUE(h.LoadAsm(code).ok());
    RunResult r = h.Run(1);
    ASSERT_EQ(r.reason, StopReason::kBudget) << r.message;
    EXPECT_EQ(h.cpu.s.rip, target);
    EXPECT_EQ(h.cpu.s.seg[kCs].selector, cs);
    EXPECT_EQ(h.cpu.s.gpr[kRsp], kStackTop - 2 * c.width);
    if (c.call) {
      EXPECT_EQ(Slot(h, 0, c.width), (kCodeBase + h.code_size) & (c.width == 2 ? 0xFFFF : ~0ull));
      EXPECT_EQ(Slot(h, 1, c.width), cs);
    }
  }
}

TEST(CallGate, Checks) {
  constexpr uint16_t kCodeDpl3 = 0x58;
  struct Case {
    const char* name;
    Mode mode;
    bool call;
    uint64_t gate;
    uint64_t gate_hi;
    uint16_t selector;
    uint8_t vector;
    uint32_t error;
  } cases[] = {
      {"gate DPL < CPL", Mode::kProtected32, true, testing::MakeGate(kCode32Sel, kTarget, 0xC, 0), 0, kGate | 3, kGP, kGate},
      {"gate DPL < RPL", Mode::kProtected32, true, testing::MakeGate(kCode32Sel, kTarget, 0xC, 2), 0, kGate | 3, kGP, kGate},
      {"gate not present", Mode::kProtected32, true, testing::MakeGate(kCode32Sel, kTarget, 0xC, 3, false), 0, kGate | 3, kNP, kGate},
      {"null code selector", Mode::kProtected32, true, testing::MakeGate(0, kTarget, 0xC, 3), 0, kGate | 3, kGP, 0},
      {"code segment DPL > CPL", Mode::kProtected32, true, testing::MakeGate(kCodeDpl3, kTarget, 0xC, 3), 0, kGate, kGP, kCodeDpl3},
      {"gate to data", Mode::kProtected32, true, testing::MakeGate(kDataSel, kTarget, 0xC, 3), 0, kGate, kGP, kDataSel},
      {"JMP may not raise privilege", Mode::kProtected32, false, testing::MakeGate(kCode32Sel, kTarget, 0xC, 3), 0, kGate | 3, kGP, kCode32Sel},
      {"IA-32e: upper type not 0", Mode::kLong64, true, testing::MakeGate(kCode64Sel, kTarget, 0xC, 0), 0xCull << 40, kGate, kGP, kGate},
      {"IA-32e: 32-bit code target", Mode::kLong64, true, testing::MakeGate(kCode32Sel, kTarget, 0xC, 0), 0, kGate, kGP, kCode32Sel},
      {"IA-32e: 16-bit gate type", Mode::kLong64, true, testing::MakeGate(kCode64Sel, kTarget, 0x4, 0), 0, kGate, kGP, kGate},
      {"IA-32e: upper half beyond the GDT", Mode::kLong64, true, testing::MakeGate(kCode64Sel, kTarget, 0xC, 0), 0, kGate, kGP, kGate},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    const bool user = (c.selector & 3) == 3;
    SetGdtEntry(h, kCodeDpl3, MakeSegmentDescriptor(0, 0xFFFFF, 0xFB, c.mode == Mode::kLong64 ? 0xA : 0xC));
    SetGdtEntry(h, kGate, c.gate);
    SetGdtEntry(h, kGate + 8, c.gate_hi);
    // The 16-byte IA-32e gate must lie within the GDT limit (SDM Vol. 3A 5.8.3.1).
    if (std::string(c.name).find("beyond") != std::string::npos) h.cpu.s.gdtr.limit = kGate + 7;
    h.SetInterruptGate(c.vector, kHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    h.WritePhys(kPointer + 4, c.selector, 2);
    std::string code = c.call ? "call fword ptr " : "jmp fword ptr ";
    code += c.mode == Mode::kLong64 ? "[0x200000]" : "ds:[0x200000]";
    ASSERT_TRUE(h.LoadAsm(code).ok());
    if (user) {
      testing::SetRsp0(h);
      if (c.mode == Mode::kProtected32) h.WritePhys(testing::kTss + 8, kDataSel, 2);
      testing::EnterUserMode(h, 0x60000);
    }
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    ASSERT_EQ(h.cpu.s.rip, kHandler + 1);
    const int w = c.mode == Mode::kLong64 ? 8 : 4;
    EXPECT_EQ(Slot(h, 0, w), c.error);
    EXPECT_EQ(Slot(h, 1, w), kCodeBase);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
