// DAA, DAS, AAA, AAS, AAM, AAD (32-bit protected mode; #UD in 64-bit mode). Expected
// values are hand-computed from the SDM's "Operation" sections, and the DAA/DAS cases
// marked "SDM example" are the worked examples on the DAA and DAS pages. Undefined
// flags are checked against bcd.cc's documented choice, marked "(undef)".
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCodeBase;
using testing::Mode;

constexpr uint64_t CF = kFlagCF, PF = kFlagPF, AF = kFlagAF, ZF = kFlagZF, SF = kFlagSF,
                   OF = kFlagOF, kAll = kArithFlags;

std::string Hex(uint64_t v) { return absl::StrFormat("%#x", v); }

struct Case {
  const char* code;
  uint64_t rax = 0, rbx = 0;
  uint64_t flags = 0;  // arithmetic flags before
  uint64_t want_rax = 0;
  uint64_t want_flags = 0;
};

void Check(const Case& c) {
  SCOPED_TRACE(c.code);
  CpuHarness h(Mode::kProtected32);
  ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\nhlt").ok());
  h.cpu.s.gpr[kRax] = c.rax;
  h.cpu.s.gpr[kRbx] = c.rbx;
  h.cpu.s.SetRflags(c.flags);
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(Hex(h.cpu.s.gpr[kRax]), Hex(c.want_rax));
  EXPECT_EQ(Hex(h.cpu.s.Rflags() & kAll), Hex(c.want_flags));
}

TEST(BcdTest, DaaDas) {
  const Case cases[] = {
      // SDM example: 79 + 35 = AE; DAA -> 14, CF = AF = 1 (packed BCD 114).
      // (undef) OF = 0.
      {.code = "add al, bl\n daa", .rax = 0x79, .rbx = 0x35, .flags = OF, .want_rax = 0x14,
       .want_flags = CF | AF | PF},
      // SDM example: 35 - 47 = EE; DAS -> 88, CF = AF = 1 (packed BCD -12 as 88 borrow).
      {.code = "sub al, bl\n das", .rax = 0x35, .rbx = 0x47, .want_rax = 0x88,
       .want_flags = CF | AF | SF | PF},
      // Both adjustments: 9A + 6 = A0, + 60 = 00.
      {.code = "daa", .rax = 0x9A, .want_rax = 0x00, .want_flags = CF | AF | ZF | PF},
      // No adjustment; CF and AF cleared, SF/ZF/PF from AL; the rest of EAX kept.
      {.code = "daa", .rax = 0xABCD12, .want_rax = 0xABCD12, .want_flags = PF},
      // CF in forces the +60 even though AL <= 99.
      {.code = "daa", .rax = 0x15, .flags = CF, .want_rax = 0x75, .want_flags = CF},
      // AF in forces the +6.
      {.code = "daa", .rax = 0x12, .flags = AF, .want_rax = 0x18, .want_flags = AF | PF},
      // DAS: AL - 6 borrows (AL = 3 < 6): CF = 1 although old AL <= 99 and old CF = 0.
      {.code = "das", .rax = 0x03, .flags = AF, .want_rax = 0xFD, .want_flags = CF | AF | SF},
      {.code = "das", .rax = 0xA0, .want_rax = 0x40, .want_flags = CF},
      {.code = "das", .rax = 0x45, .flags = kAll & ~(CF | AF), .want_rax = 0x45, .want_flags = 0},
  };
  for (const Case& c : cases) Check(c);
}

TEST(BcdTest, AaaAas) {
  const Case cases[] = {
      // 8 + 6 = 0E; AAA: AX + 106 = 0114, AL &= 0F -> AH = 1, AL = 4.
      // (undef) OF, SF, ZF, PF unchanged.
      {.code = "add al, bl\n aaa", .rax = 0x08, .rbx = 0x06, .want_rax = 0x0104,
       .want_flags = CF | AF},
      // The carry out of AL + 6 reaches AH: 05FA + 106 = 0700.
      {.code = "aaa", .rax = 0x05FA, .flags = ZF | SF | OF | PF, .want_rax = 0x0700,
       .want_flags = ZF | SF | OF | PF | CF | AF},
      // No adjustment: AL &= 0F only, CF = AF = 0.
      {.code = "aaa", .rax = 0x12340235, .flags = CF | ZF, .want_rax = 0x12340205,
       .want_flags = ZF},
      {.code = "aaa", .rax = 0x0002, .flags = AF, .want_rax = 0x0108, .want_flags = CF | AF},
      // AAS: AX - 6 = 02FC, AH - 1 = 01, AL &= 0F -> 010C.
      {.code = "aas", .rax = 0x0302, .flags = AF, .want_rax = 0x010C, .want_flags = CF | AF},
      {.code = "aas", .rax = 0x000B, .want_rax = 0xFF05, .want_flags = CF | AF},
      {.code = "aas", .rax = 0x0539, .flags = CF | PF, .want_rax = 0x0509, .want_flags = PF},
      // 3 - 5 = FE (AF set by the borrow); AAS -> AH - 1, AL = 8: unpacked BCD -2 as 8 borrow.
      {.code = "sub al, bl\n aas", .rax = 0x0103, .rbx = 0x05, .want_rax = 0x0008,
       .want_flags = CF | AF | SF},
  };
  for (const Case& c : cases) Check(c);
}

TEST(BcdTest, AamAad) {
  const Case cases[] = {
      // AAM: AH = AL / 10, AL = AL mod 10. (undef) CF = OF = AF = 0.
      {.code = "aam", .rax = 0xFFFF004F, .flags = kAll, .want_rax = 0xFFFF0709, .want_flags = PF},
      {.code = "aam 16", .rax = 0xAB, .want_rax = 0x0A0B, .want_flags = 0},
      {.code = "aam", .rax = 0x50, .want_rax = 0x0800, .want_flags = ZF | PF},
      // AAD: AL = AL + AH * 10, AH = 0.
      {.code = "aad", .rax = 0x0709, .flags = kAll, .want_rax = 0x004F, .want_flags = 0},
      {.code = "aad 16", .rax = 0x0A0B, .want_rax = 0x00AB, .want_flags = SF},
      // 0xFF + 0xFF * 10 = 0xAF5: only the low byte is kept.
      {.code = "aad", .rax = 0x1234FFFF, .want_rax = 0x123400F5, .want_flags = SF | PF},
      {.code = "aad 0", .rax = 0x0500, .want_rax = 0x0000, .want_flags = ZF | PF},
  };
  for (const Case& c : cases) Check(c);
}

// AAM with imm8 = 0 raises #DE with AX and the flags unchanged (SDM AAM "Exceptions").
TEST(BcdTest, AamZeroIsDivideError) {
  constexpr uint64_t kHandler = 0x180000;
  CpuHarness h(Mode::kProtected32);
  ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
  ASSERT_TRUE(h.LoadAsm("aam 0\n hlt").ok());
  h.SetInterruptGate(kDE, kHandler);
  h.cpu.s.gpr[kRax] = 0x1234;
  h.cpu.s.SetRflags(CF | SF);
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(h.ReadPhys(h.cpu.s.gpr[kRsp], 4), kCodeBase);  // EIP of AAM
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0x1234u);
  EXPECT_EQ(h.cpu.s.Rflags() & kAll, CF | SF);
}

// In 64-bit mode the opcodes are invalid: #UD (SDM, each page's "64-Bit Mode Exceptions").
TEST(BcdTest, InvalidIn64BitMode) {
  constexpr uint64_t kHandler = 0x180000;
  const std::vector<std::vector<uint8_t>> encodings = {
      {0x27}, {0x2F}, {0x37}, {0x3F}, {0xD4, 0x0A}, {0xD5, 0x0A}};
  for (const std::vector<uint8_t>& bytes : encodings) {
    SCOPED_TRACE(Hex(bytes[0]));
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    h.LoadBytes(bytes);
    h.SetInterruptGate(kUD, kHandler);
    h.cpu.s.gpr[kRax] = 0x0909;
    const RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(h.ReadPhys(h.cpu.s.gpr[kRsp], 8), kCodeBase);
    EXPECT_EQ(h.cpu.s.gpr[kRax], 0x0909u);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
