// MUL, IMUL (one, two, three operands), DIV, IDIV. Expected values are hand-computed
// from the SDM's "Operation" sections. MUL/IMUL's undefined SF/ZF/PF/AF are checked
// against muldiv.cc's documented choice (from the low half; AF = 0), marked "(undef)".
#include <optional>
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

constexpr uint64_t CF = kFlagCF, PF = kFlagPF, AF = kFlagAF, ZF = kFlagZF, SF = kFlagSF,
                   OF = kFlagOF, kAll = kArithFlags;

std::string Hex(uint64_t v) { return absl::StrFormat("%#x", v); }

struct Case {
  const char* code;  // run with RDI = kDataBase, then hlt
  uint64_t rax = 0, rbx = 0, rcx = 0, rdx = 0;
  uint64_t mem = 0;    // the qword at kDataBase
  uint64_t flags = 0;  // arithmetic flags before
  std::optional<uint64_t> want_rax, want_rcx, want_rdx;  // unset: unchanged
  uint64_t want_flags = 0;
};

void Check(const Case& c) {
  SCOPED_TRACE(c.code);
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\nhlt").ok());
  CpuState& s = h.cpu.s;
  s.gpr[kRax] = c.rax;
  s.gpr[kRbx] = c.rbx;
  s.gpr[kRcx] = c.rcx;
  s.gpr[kRdx] = c.rdx;
  s.gpr[kRdi] = kDataBase;
  h.WritePhys(kDataBase, c.mem, 8);
  s.SetRflags(c.flags);
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(Hex(s.gpr[kRax]), Hex(c.want_rax.value_or(c.rax)));
  EXPECT_EQ(Hex(s.gpr[kRbx]), Hex(c.rbx));
  EXPECT_EQ(Hex(s.gpr[kRcx]), Hex(c.want_rcx.value_or(c.rcx)));
  EXPECT_EQ(Hex(s.gpr[kRdx]), Hex(c.want_rdx.value_or(c.rdx)));
  EXPECT_EQ(Hex(s.Rflags() & kAll), Hex(c.want_flags));
}

TEST(MulDivTest, Mul) {
  const Case cases[] = {
      // AX := AL * r/m8; CF = OF = (AH != 0). (undef) ZF, PF from AL = 0.
      {.code = "mul bl", .rax = 0xFFFFFFFFFFFF0080, .rbx = 2, .want_rax = 0xFFFFFFFFFFFF0100,
       .want_flags = CF | OF | ZF | PF},
      {.code = "mul bl", .rax = 0x10, .rbx = 0x0F, .flags = kAll, .want_rax = 0xF0,
       .want_flags = SF | PF},
      {.code = "mul ah", .rax = 0x0310, .want_rax = 0x0030, .want_flags = PF},
      // DX:AX := AX * r/m16; the upper bits of RAX and RDX are kept.
      {.code = "mul cx", .rax = 0x1111FFFF, .rcx = 0xFFFF, .rdx = 0x22220000,
       .want_rax = 0x11110001, .want_rdx = 0x2222FFFE, .want_flags = CF | OF},
      // EDX:EAX := EAX * r/m32, both zero-extended.
      {.code = "mul ecx", .rax = 0xFFFFFFFF80000000, .rcx = 2, .rdx = 0xFFFFFFFFFFFFFFFF,
       .want_rax = 0, .want_rdx = 1, .want_flags = CF | OF | ZF | PF},
      {.code = "mul rcx", .rax = ~0ull, .rcx = ~0ull, .want_rax = 1, .want_rdx = ~0ull - 1,
       .want_flags = CF | OF},
      {.code = "mul rcx", .rax = 3, .rcx = 5, .rdx = 77, .want_rax = 15, .want_rdx = 0,
       .want_flags = PF},
      {.code = "mul qword ptr [rdi]", .rax = 1ull << 32, .mem = 1ull << 32, .want_rax = 0,
       .want_rdx = 1, .want_flags = CF | OF | ZF | PF},
  };
  for (const Case& c : cases) Check(c);
}

TEST(MulDivTest, ImulOneOperand) {
  const Case cases[] = {
      // -1 * 2 = -2 = 0xFFFE: the sign extension of AL, so CF = OF = 0.
      {.code = "imul bl", .rax = 0xFF, .rbx = 2, .want_rax = 0xFFFE, .want_flags = SF},
      // 64 * 2 = 128 does not fit in a signed byte.
      {.code = "imul bl", .rax = 0x40, .rbx = 2, .want_rax = 0x0080, .want_flags = CF | OF | SF},
      {.code = "imul byte ptr [rdi]", .rax = 0x80, .mem = 0x80, .want_rax = 0x4000,
       .want_flags = CF | OF | ZF | PF},
      // -2 * 3 = -6: EDX = 0xFFFFFFFF is only the sign. (undef) PF of 0xFA: even.
      {.code = "imul ecx", .rax = 0xFFFFFFFE, .rcx = 3, .want_rax = 0xFFFFFFFA,
       .want_rdx = 0xFFFFFFFF, .want_flags = SF | PF},
      {.code = "imul cx", .rax = 0x8000, .rcx = 0xFFFF, .rdx = 0xAAAA0000, .want_rax = 0x8000,
       .want_rdx = 0xAAAA0000, .want_flags = CF | OF | SF | PF},
      // 2^62 * 4 = 2^64: RDX:RAX = 1:0.
      {.code = "imul rcx", .rax = 1ull << 62, .rcx = 4, .want_rax = 0, .want_rdx = 1,
       .want_flags = CF | OF | ZF | PF},
      // -1 * INT64_MIN = 2^63 overflows; RDX:RAX = 0:0x8000000000000000.
      {.code = "imul rcx", .rax = ~0ull, .rcx = 1ull << 63, .want_rax = 1ull << 63,
       .want_rdx = 0, .want_flags = CF | OF | SF | PF},
      {.code = "imul rcx", .rax = ~0ull, .rcx = ~0ull, .want_rax = 1, .want_rdx = 0,
       .want_flags = 0},
  };
  for (const Case& c : cases) Check(c);
}

TEST(MulDivTest, ImulTruncated) {
  const Case cases[] = {
      // 0x10000 * 0x10000 = 2^32: truncated to 0, which overflows.
      {.code = "imul eax, ecx", .rax = 0x10000, .rcx = 0x10000, .want_rax = 0,
       .want_flags = CF | OF | ZF | PF},
      {.code = "imul eax, ecx", .rax = 0xFFFFFFFF00000007, .rcx = 0xFFFFFFFF, .want_rax = 0xFFFFFFF9,
       .want_flags = SF | PF},
      // 7 * -3 = -21 = ...FFEB. (undef) PF of 0xEB: even.
      {.code = "imul rax, rcx, -3", .rax = 5, .rcx = 7, .want_rax = 0xFFFFFFFFFFFFFFEB,
       .want_flags = SF | PF},
      {.code = "imul rcx, rcx, 0x40000000", .rcx = 0x200000000, .want_rcx = 0x8000000000000000,
       .want_flags = CF | OF | SF | PF},
      // 0x80 * 0x100 = 32768 does not fit in a signed word; ZF from AX (not AL) is 0.
      {.code = "imul ax, word ptr [rdi], 0x100", .rax = 0x12345678, .mem = 0x0080,
       .want_rax = 0x12348000, .want_flags = CF | OF | SF | PF},
      {.code = "imul cx, ax", .rax = 0xFF00, .rcx = 0x55550002, .want_rcx = 0x5555FE00,
       .want_flags = SF | PF},
      // 32-bit destination from memory: zero-extended.
      {.code = "imul ecx, dword ptr [rdi]", .rcx = 0xFFFFFFFF00000003, .mem = 0x5,
       .want_rcx = 15, .want_flags = PF},
  };
  for (const Case& c : cases) Check(c);
}

TEST(MulDivTest, Div) {
  const Case cases[] = {
      // 263 / 16 = 16 rem 7: AL = quotient, AH = remainder. Flags unchanged.
      {.code = "div bl", .rax = 0x0107, .rbx = 0x10, .flags = CF | ZF, .want_rax = 0x0710,
       .want_flags = CF | ZF},
      {.code = "div cx", .rax = 0xFFFF, .rcx = 0x100, .rdx = 0x77770000, .want_rax = 0xFF,
       .want_rdx = 0x777700FF},
      // EDX:EAX = 2^32; the results are zero-extended.
      {.code = "div ecx", .rax = 0xAAAAAAAA00000000, .rcx = 2, .rdx = 0xBBBBBBBB00000001,
       .flags = kAll, .want_rax = 0x80000000, .want_rdx = 0, .want_flags = kAll},
      // 2^64 / 3 = 0x5555555555555555 rem 1.
      {.code = "div rcx", .rax = 0, .rcx = 3, .rdx = 1, .want_rax = 0x5555555555555555,
       .want_rdx = 1},
      {.code = "div rcx", .rax = 100, .rcx = 7, .rdx = 0, .want_rax = 14, .want_rdx = 2},
      {.code = "div qword ptr [rdi]", .rax = 0xFFFFFFFFFFFFFFFF, .rdx = 0xFFFFFFFFFFFFFFFE,
       .mem = ~0ull, .want_rax = ~0ull, .want_rdx = 0xFFFFFFFFFFFFFFFE},
  };
  for (const Case& c : cases) Check(c);
}

TEST(MulDivTest, Idiv) {
  const Case cases[] = {
      // -7 / 2 = -3 rem -1 (truncation toward zero).
      {.code = "idiv bl", .rax = 0xFFF9, .rbx = 2, .want_rax = 0xFFFD},
      // -128 is representable.
      {.code = "idiv bl", .rax = 0xFF80, .rbx = 1, .want_rax = 0x0080},
      {.code = "idiv cx", .rax = 0x0064, .rcx = 0xFFF9, .rdx = 0, .want_rax = 0xFFF2,
       .want_rdx = 0x0002},
      // EDX:EAX = -2^31, / 1.
      {.code = "idiv ecx", .rax = 0x80000000, .rcx = 1, .rdx = 0xFFFFFFFF, .want_rax = 0x80000000,
       .want_rdx = 0},
      // 100 / -7 = -14 rem 2; -100 / 7 = -14 rem -2.
      {.code = "idiv rcx", .rax = 100, .rcx = ~0ull - 6, .rdx = 0, .want_rax = ~0ull - 13,
       .want_rdx = 2},
      {.code = "idiv rcx", .rax = ~0ull - 99, .rcx = 7, .rdx = ~0ull, .want_rax = ~0ull - 13,
       .want_rdx = ~0ull - 1},
      // A 128-bit dividend: 2^64 / 4 = 2^62.
      {.code = "idiv rcx", .rax = 0, .rcx = 4, .rdx = 1, .want_rax = 1ull << 62, .want_rdx = 0},
      // RDX:RAX = +2^63; / -1 = INT64_MIN, which fits.
      {.code = "idiv rcx", .rax = 1ull << 63, .rcx = ~0ull, .rdx = 0, .want_rax = 1ull << 63,
       .want_rdx = 0},
  };
  for (const Case& c : cases) Check(c);
}

// #DE (divide by zero or quotient too large): the fault is taken with RIP at the
// divide and no register or flag changed (SDM Vol. 2A DIV/IDIV "Operation").
TEST(MulDivTest, DivideErrorChangesNothing) {
  struct DeCase {
    const char* code;
    uint64_t rax, rcx, rdx, mem = 0;
  };
  const DeCase cases[] = {
      {.code = "div cl", .rax = 0x1234, .rcx = 0, .rdx = 5},
      {.code = "div cl", .rax = 0x1000, .rcx = 0x10, .rdx = 5},  // 0x100 > 0xFF
      {.code = "div cx", .rax = 0, .rcx = 0x10, .rdx = 0x10},
      {.code = "div ecx", .rax = 0, .rcx = 7, .rdx = 7},
      {.code = "div rcx", .rax = 0, .rcx = 5, .rdx = 5},
      {.code = "div qword ptr [rdi]", .rax = 1, .rcx = 0, .rdx = 0, .mem = 0},
      {.code = "idiv cl", .rax = 0x0080, .rcx = 1, .rdx = 0},     // +128
      {.code = "idiv cl", .rax = 0x8000, .rcx = 0xFF, .rdx = 0},  // -32768 / -1
      {.code = "idiv cx", .rax = 0, .rcx = 0, .rdx = 0},
      {.code = "idiv ecx", .rax = 0, .rcx = 0xFFFFFFFF, .rdx = 0x80000000},  // -2^63 / -1
      {.code = "idiv rcx", .rax = 1ull << 63, .rcx = ~0ull, .rdx = ~0ull},   // -2^63 / -1
      {.code = "idiv rcx", .rax = 0, .rcx = ~0ull, .rdx = 1ull << 63},       // INT128_MIN / -1
      {.code = "idiv rcx", .rax = 0, .rcx = 2, .rdx = 1},                    // 2^63 > INT64_MAX
  };
  constexpr uint64_t kHandler = 0x180000;
  for (const DeCase& c : cases) {
    SCOPED_TRACE(c.code);
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\nhlt").ok());
    h.SetInterruptGate(kDE, kHandler);
    CpuState& s = h.cpu.s;
    s.gpr[kRax] = c.rax;
    s.gpr[kRcx] = c.rcx;
    s.gpr[kRdx] = c.rdx;
    s.gpr[kRdi] = kDataBase;
    h.WritePhys(kDataBase, c.mem, 8);
    s.SetRflags(SF | PF | CF);
    const RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    EXPECT_EQ(s.rip, kHandler + 1);
    EXPECT_EQ(h.ReadPhys(s.gpr[kRsp], 8), kCodeBase);  // #DE pushes no error code
    EXPECT_EQ(Hex(s.gpr[kRax]), Hex(c.rax));
    EXPECT_EQ(Hex(s.gpr[kRdx]), Hex(c.rdx));
    EXPECT_EQ(Hex(s.Rflags() & kAll), Hex(SF | PF | CF));
  }
}

TEST(MulDivTest, RealModeWordOperands) {
  CpuHarness h(testing::Mode::kReal16);
  ASSERT_TRUE(h.LoadAsm("mul cx\n div bx\n hlt", 0x7C00).ok());  // below 64 KiB: IP is 16-bit
  h.cpu.s.gpr[kRax] = 0xAAAA0000 + 1000;
  h.cpu.s.gpr[kRcx] = 1000;        // DX:AX = 1000000 = 0x000F4240
  h.cpu.s.gpr[kRbx] = 3000;        // 1000000 / 3000 = 333 rem 1000
  h.cpu.s.gpr[kRdx] = 0xDDDD0000;  // 16-bit results keep bits 31:16
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0xAAAA0000u + 333);
  EXPECT_EQ(h.cpu.s.gpr[kRdx], 0xDDDD0000u + 1000);
}

}  // namespace
}  // namespace vmxemu::cpu
