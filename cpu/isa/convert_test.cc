// CBW, CWDE, CDQE, CWD, CDQ, CQO, BSWAP: hand-computed from the SDM's definitions.
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;

std::string Hex(uint64_t v) { return absl::StrFormat("%#x", v); }

struct Case {
  const char* code;
  uint64_t rax = 0, rdx = 0, r9 = 0;
  std::optional<uint64_t> want_rax, want_rdx, want_r9;  // unset: unchanged
};

void Check(const Case& c, testing::Mode mode = testing::Mode::kLong64) {
  SCOPED_TRACE(c.code);
  CpuHarness h(mode);
  ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\nhlt").ok());
  CpuState& s = h.cpu.s;
  s.gpr[kRax] = c.rax;
  s.gpr[kRdx] = c.rdx;
  s.gpr[kR9] = c.r9;
  s.SetRflags(kArithFlags);
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(Hex(s.gpr[kRax]), Hex(c.want_rax.value_or(c.rax)));
  EXPECT_EQ(Hex(s.gpr[kRdx]), Hex(c.want_rdx.value_or(c.rdx)));
  EXPECT_EQ(Hex(s.gpr[kR9]), Hex(c.want_r9.value_or(c.r9)));
  EXPECT_EQ(s.Rflags() & kArithFlags, kArithFlags);  // no flag changes
}

TEST(ConvertTest, SignExtendAccumulator) {
  const Case cases[] = {
      // CBW: AX := SignExtend(AL); bits 63:16 kept.
      {.code = "cbw", .rax = 0x1234567800000080, .want_rax = 0x123456780000FF80},
      {.code = "cbw", .rax = 0xFFFF7F, .want_rax = 0xFF007F},
      // CWDE: EAX := SignExtend(AX), zero-extended into RAX.
      {.code = "cwde", .rax = 0xFFFFFFFF12348000, .want_rax = 0xFFFF8000},
      {.code = "cwde", .rax = 0xFFFFFFFFFFFF7FFF, .want_rax = 0x7FFF},
      // CDQE: RAX := SignExtend(EAX).
      {.code = "cdqe", .rax = 0x80000000, .want_rax = 0xFFFFFFFF80000000},
      {.code = "cdqe", .rax = 0xABCDEF017FFFFFFF, .want_rax = 0x7FFFFFFF},
  };
  for (const Case& c : cases) Check(c);
}

TEST(ConvertTest, SignIntoDx) {
  const Case cases[] = {
      // CWD: DX := sign of AX; bits 63:16 of RDX kept.
      {.code = "cwd", .rax = 0x8000, .rdx = 0x1111111111110000, .want_rdx = 0x111111111111FFFF},
      {.code = "cwd", .rax = 0xFFFF7FFF, .rdx = 0x111111111111FFFF, .want_rdx = 0x1111111111110000},
      // CDQ: EDX := sign of EAX, zero-extended.
      {.code = "cdq", .rax = 0x80000000, .rdx = 0x1111111111111111, .want_rdx = 0xFFFFFFFF},
      {.code = "cdq", .rax = 0xFFFFFFFF7FFFFFFF, .rdx = 0x1111111111111111, .want_rdx = 0},
      // CQO: RDX := sign of RAX.
      {.code = "cqo", .rax = 0x8000000000000000, .rdx = 5, .want_rdx = ~0ull},
      {.code = "cqo", .rax = 0x7FFFFFFFFFFFFFFF, .rdx = 5, .want_rdx = 0},
  };
  for (const Case& c : cases) Check(c);
}

TEST(ConvertTest, Bswap) {
  const Case cases[] = {
      {.code = "bswap eax", .rax = 0xFFFFFFFF12345678, .want_rax = 0x78563412},
      {.code = "bswap rax", .rax = 0x0123456789ABCDEF, .want_rax = 0xEFCDAB8967452301},
      {.code = "bswap r9d", .r9 = 0xAABBCCDD11223344, .want_r9 = 0x44332211},
      {.code = "bswap r9", .r9 = 0xAABBCCDD11223344, .want_r9 = 0x44332211DDCCBBAA},
      // 66 0F C8 = BSWAP AX: undefined by the SDM; Intel clears the 16-bit register (as
      // convert.cc documents). GNU as refuses to assemble it.
      {.code = ".byte 0x66, 0x0F, 0xC8", .rax = 0x1122334455667788, .want_rax = 0x1122334455660000},
  };
  for (const Case& c : cases) Check(c);
}

TEST(ConvertTest, ProtectedModeOperandSizes) {
  // 32-bit code: 98 is CWDE, 66 98 is CBW; 99 is CDQ, 66 99 is CWD.
  Check({.code = "cwde\n cdq", .rax = 0x8000, .rdx = 0, .want_rax = 0xFFFF8000, .want_rdx = 0xFFFFFFFF},
        testing::Mode::kProtected32);
  Check({.code = "cbw\n cwd", .rax = 0x12345680, .rdx = 0xABCD0000, .want_rax = 0x1234FF80,
         .want_rdx = 0xABCDFFFF},
        testing::Mode::kProtected32);
}

}  // namespace
}  // namespace vmxemu::cpu
