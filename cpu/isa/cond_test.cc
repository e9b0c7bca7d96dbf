// SETcc and CMOVcc: every condition against every combination of CF, ZF, SF, OF, PF,
// with the conditions written out from SDM Vol. 1 Appendix B, Table B-1.
#include <string>

#include "absl/strings/str_format.h"
#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCodeBase;
using testing::kDataBase;

struct Flags {
  bool cf, zf, sf, of, pf;
};

struct CondDef {
  const char* cc;  // mnemonic suffix
  bool (*holds)(const Flags& f);
};

// SDM Vol. 1 Table B-1, in opcode order (low nibble 0..F).
const CondDef kConds[] = {
    {"o", [](const Flags& f) { return f.of; }},
    {"no", [](const Flags& f) { return !f.of; }},
    {"b", [](const Flags& f) { return f.cf; }},
    {"ae", [](const Flags& f) { return !f.cf; }},
    {"e", [](const Flags& f) { return f.zf; }},
    {"ne", [](const Flags& f) { return !f.zf; }},
    {"be", [](const Flags& f) { return f.cf || f.zf; }},
    {"a", [](const Flags& f) { return !f.cf && !f.zf; }},
    {"s", [](const Flags& f) { return f.sf; }},
    {"ns", [](const Flags& f) { return !f.sf; }},
    {"p", [](const Flags& f) { return f.pf; }},
    {"np", [](const Flags& f) { return !f.pf; }},
    {"l", [](const Flags& f) { return f.sf != f.of; }},
    {"ge", [](const Flags& f) { return f.sf == f.of; }},
    {"le", [](const Flags& f) { return f.zf || f.sf != f.of; }},
    {"g", [](const Flags& f) { return !f.zf && f.sf == f.of; }},
};

TEST(CondTest, EveryConditionEveryFlagCombination) {
  for (const CondDef& c : kConds) {
    const std::string cc = c.cc;
    SCOPED_TRACE(cc);
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm("set" + cc + " al\n set" + cc + " ch\n set" + cc +
                          " byte ptr [rdi]\n cmov" + cc + " ebx, edx\n cmov" + cc +
                          " si, dx\n cmov" + cc + " r8, qword ptr [rdi+8]\n hlt")
                    .ok());
    for (int bits = 0; bits < 32; ++bits) {
      const Flags f{.cf = (bits & 1) != 0, .zf = (bits & 2) != 0, .sf = (bits & 4) != 0,
                    .of = (bits & 8) != 0, .pf = (bits & 16) != 0};
      SCOPED_TRACE(absl::StrFormat("CF=%d ZF=%d SF=%d OF=%d PF=%d", f.cf, f.zf, f.sf, f.of, f.pf));
      const uint64_t rflags = (f.cf ? kFlagCF : 0) | (f.zf ? kFlagZF : 0) | (f.sf ? kFlagSF : 0) |
                              (f.of ? kFlagOF : 0) | (f.pf ? kFlagPF : 0) | kFlagAF;
      CpuState& s = h.cpu.s;
      s.rip = kCodeBase;
      s.halted = false;
      s.gpr[kRax] = 0xAAAAAAAAAAAAAAAA;
      s.gpr[kRcx] = 0xCCCCCCCCCCCCCCCC;
      s.gpr[kRbx] = 0xBBBBBBBBBBBBBBBB;
      s.gpr[kRdx] = 0xDDDDDDDDDDDDDDDD;
      s.gpr[kRsi] = 0x5555555555555555;
      s.gpr[kR8] = 0x8888888888888888;
      s.gpr[kRdi] = kDataBase;
      h.WritePhys(kDataBase, 0xEEEEEEEEEEEEEEEE, 8);
      h.WritePhys(kDataBase + 8, 0x0123456789ABCDEF, 8);
      s.SetRflags(rflags);
      const RunResult r = h.Run();
      ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
      const bool t = c.holds(f);
      EXPECT_EQ(s.gpr[kRax], t ? 0xAAAAAAAAAAAAAA01u : 0xAAAAAAAAAAAAAA00u);
      EXPECT_EQ(s.gpr[kRcx], t ? 0xCCCCCCCCCCCC01CCu : 0xCCCCCCCCCCCC00CCu);
      EXPECT_EQ(h.ReadPhys(kDataBase, 8), t ? 0xEEEEEEEEEEEEEE01u : 0xEEEEEEEEEEEEEE00u);
      // A 32-bit CMOV clears bits 63:32 even when the condition is false (SDM CMOVcc).
      EXPECT_EQ(s.gpr[kRbx], t ? 0xDDDDDDDDu : 0xBBBBBBBBu);
      EXPECT_EQ(s.gpr[kRsi], t ? 0x555555555555DDDDu : 0x5555555555555555u);
      EXPECT_EQ(s.gpr[kR8], t ? 0x0123456789ABCDEFu : 0x8888888888888888u);
      EXPECT_EQ(s.Rflags() & kArithFlags, rflags);  // no flag changes
    }
  }
}

// SETcc/CMOVcc read the flags produced lazily by an arithmetic instruction.
TEST(CondTest, AfterCompare) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(R"(
      mov eax, -5
      cmp eax, 3
      setl bl
      setb cl
      setg dl
      mov esi, 1
      mov edi, 2
      cmovae esi, edi
      hlt
  )").ok());
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRbx] & 0xFF, 1u);  // -5 < 3 signed
  EXPECT_EQ(h.cpu.s.gpr[kRcx] & 0xFF, 0u);  // 0xFFFFFFFB > 3 unsigned
  EXPECT_EQ(h.cpu.s.gpr[kRdx] & 0xFF, 0u);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], 2u);
}

// The CMOV source is read whatever the condition, so a bad source faults even when the
// move does not happen (SDM CMOVcc "Operation": temp := SRC first).
TEST(CondTest, CmovFalseConditionStillReadsSource) {
  constexpr uint64_t kHandler = 0x180000, kUnmapped = 0x400000;
  CpuHarness h;
  h.WritePhys(0x3000 + 8 * 2, 0, 8);  // unmap the 2 MiB page at 0x400000
  ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
  ASSERT_TRUE(h.LoadAsm("cmovz eax, dword ptr [rbx]\n hlt").ok());
  h.SetInterruptGate(kPF, kHandler);
  h.cpu.s.gpr[kRax] = 0xFFFFFFFF12345678;
  h.cpu.s.gpr[kRbx] = kUnmapped;
  h.cpu.s.SetRflags(0);  // ZF = 0: condition false
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(h.cpu.s.cr2, kUnmapped);
  EXPECT_EQ(h.ReadPhys(h.cpu.s.gpr[kRsp] + 8, 8), kCodeBase);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0xFFFFFFFF12345678u);  // not even zero-extended
}

TEST(CondTest, ProtectedMode) {
  CpuHarness h(testing::Mode::kProtected32);
  ASSERT_TRUE(h.LoadAsm("stc\n setc al\n cmovnc ebx, ecx\n cmovc dx, cx\n hlt").ok());
  h.cpu.s.gpr[kRbx] = 0x11111111;
  h.cpu.s.gpr[kRcx] = 0x22222222;
  h.cpu.s.gpr[kRdx] = 0x33333333;
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRax] & 0xFF, 1u);
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 0x11111111u);
  EXPECT_EQ(h.cpu.s.gpr[kRdx], 0x33332222u);
}

}  // namespace
}  // namespace vmxemu::cpu
