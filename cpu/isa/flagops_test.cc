// CLC, STC, CMC, CLD, STD, LAHF, SAHF: hand-computed from the SDM's definitions.
#include <string>

#include "absl/strings/str_format.h"
#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;

constexpr uint64_t CF = kFlagCF, PF = kFlagPF, AF = kFlagAF, ZF = kFlagZF, SF = kFlagSF,
                   OF = kFlagOF, DF = kFlagDF, kAll = kArithFlags;

std::string Hex(uint64_t v) { return absl::StrFormat("%#x", v); }

struct Case {
  const char* code;
  uint64_t rflags = 0;  // before (bit 1 is added)
  uint64_t rax = 0;
  uint64_t want_rflags = 0;  // after, all 32 low bits compared (bit 1 is added)
  uint64_t want_rax = 0;
};

void Check(const Case& c) {
  SCOPED_TRACE(c.code);
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\nhlt").ok());
  h.cpu.s.SetRflags(c.rflags);
  h.cpu.s.gpr[kRax] = c.rax;
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(Hex(h.cpu.s.Rflags()), Hex(c.want_rflags | 0x2));
  EXPECT_EQ(Hex(h.cpu.s.gpr[kRax]), Hex(c.want_rax));
}

TEST(FlagOpsTest, CarryAndDirection) {
  const Case cases[] = {
      {.code = "clc", .rflags = kAll | DF, .want_rflags = (kAll & ~CF) | DF},
      {.code = "clc", .rflags = 0, .want_rflags = 0},
      {.code = "stc", .rflags = 0, .want_rflags = CF},
      {.code = "stc", .rflags = kAll, .want_rflags = kAll},
      {.code = "cmc", .rflags = ZF, .want_rflags = ZF | CF},
      {.code = "cmc", .rflags = CF | OF, .want_rflags = OF},
      {.code = "cmc\n cmc\n cmc", .rflags = 0, .want_rflags = CF},
      {.code = "std", .rflags = CF, .want_rflags = CF | DF},
      {.code = "cld", .rflags = kAll | DF, .want_rflags = kAll},
      {.code = "std\n cld", .rflags = 0, .want_rflags = 0},
      // After a lazily evaluated operation: 0 - 1 sets CF, SF, AF, PF; CMC flips CF only.
      {.code = "xor eax, eax\n sub eax, 1\n cmc", .rax = 0,
       .want_rflags = SF | AF | PF, .want_rax = 0xFFFFFFFF},
  };
  for (const Case& c : cases) Check(c);
}

TEST(FlagOpsTest, LahfSahf) {
  const Case cases[] = {
      // LAHF: AH := SF:ZF:0:AF:0:PF:1:CF; OF is not copied. Other RAX bits kept.
      {.code = "lahf", .rflags = kAll, .rax = 0x1111111111111111, .want_rflags = kAll,
       .want_rax = 0x111111111111D711},
      {.code = "lahf", .rflags = OF, .rax = 0xFF00, .want_rflags = OF, .want_rax = 0x0200},
      // 5 - 7: CF, SF, AF set; ZF, OF, PF clear (0xFE has odd parity).
      {.code = "mov ebx, 5\n cmp ebx, 7\n lahf", .want_rflags = CF | SF | AF, .want_rax = 0x9300},
      // SAHF: SF, ZF, AF, PF, CF := AH bits 7, 6, 4, 2, 0; bits 1, 3, 5 of AH and OF
      // are not loaded.
      {.code = "sahf", .rflags = OF, .rax = 0xFF00, .want_rflags = kAll, .want_rax = 0xFF00},
      {.code = "sahf", .rflags = kAll, .rax = 0x2A00, .want_rflags = OF, .want_rax = 0x2A00},
      {.code = "sahf", .rflags = 0, .rax = 0x4100, .want_rflags = ZF | CF, .want_rax = 0x4100},
      {.code = "sahf\n lahf", .rflags = 0, .rax = 0x9500, .want_rflags = SF | AF | PF | CF,
       .want_rax = 0x9700},
  };
  for (const Case& c : cases) Check(c);
}

}  // namespace
}  // namespace vmxemu::cpu
