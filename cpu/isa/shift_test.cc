// SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD. Expected values are worked out by
// hand from the SDM's "Operation" sections; where the SDM leaves a flag undefined the
// expectation is the documented choice of shift.cc (QEMU's formula), marked "(undef)".
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
  std::optional<uint64_t> want_rax, want_rbx, want_mem;  // unset: unchanged
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
  EXPECT_EQ(Hex(s.gpr[kRbx]), Hex(c.want_rbx.value_or(c.rbx)));
  EXPECT_EQ(Hex(s.gpr[kRcx]), Hex(c.rcx));
  EXPECT_EQ(Hex(s.gpr[kRdx]), Hex(c.rdx));
  EXPECT_EQ(Hex(h.ReadPhys(kDataBase, 8)), Hex(c.want_mem.value_or(c.mem)));
  EXPECT_EQ(Hex(s.Rflags() & kAll), Hex(c.want_flags));
}

TEST(ShiftTest, ShlShrSar) {
  const Case cases[] = {
      // Count 1: CF = bit 7 out; OF = MSB(result) ^ CF = 0 ^ 1.
      {.code = "shl al, 1", .rax = 0x1234567890ABCD81, .want_rax = 0x1234567890ABCD02,
       .want_flags = CF | OF},
      // SAL is SHL; AH: 0x40 -> 0x80, a sign change.
      {.code = "sal ah, 1", .rax = 0x4000, .want_rax = 0x8000, .want_flags = OF | SF},
      // Masked count 0: no flag changes, but a 32-bit destination is zero-extended.
      {.code = "shl eax, cl", .rax = 0xFFFFFFFF80000000, .rcx = 0, .flags = kAll,
       .want_rax = 0x80000000, .want_flags = kAll},
      {.code = "shl eax, cl", .rax = 0xFFFFFFFF80000000, .rcx = 32, .flags = kAll,
       .want_rax = 0x80000000, .want_flags = kAll},
      {.code = "shl rax, cl", .rax = 0xFFFFFFFF80000000, .rcx = 64, .flags = CF | ZF,
       .want_flags = CF | ZF},
      {.code = "sar ax, 0", .rax = 0x8001, .flags = OF | AF, .want_flags = OF | AF},
      // 3 << 63: bit 1 is the last bit out. OF (undef) = CF ^ MSB = 0. PF of 0x00.
      {.code = "shl rax, cl", .rax = 3, .rcx = 63, .want_rax = 0x8000000000000000,
       .want_flags = CF | SF | PF},
      // Counts >= width of an 8-bit operand: result 0; CF (undef) = last bit out.
      {.code = "shl al, cl", .rax = 0x01, .rcx = 8, .want_rax = 0, .want_flags = CF | OF | ZF | PF},
      {.code = "shl al, cl", .rax = 0xFF, .rcx = 9, .want_rax = 0, .want_flags = ZF | PF},
      {.code = "shr al, cl", .rax = 0x80, .rcx = 8, .want_rax = 0, .want_flags = CF | ZF | PF},
      // SHR by 1: OF = MSB of the original operand.
      {.code = "shr al, 1", .rax = 0x81, .want_rax = 0x40, .want_flags = CF | OF},
      {.code = "shr eax, 4", .rax = 0xFFFFFFFF8000000F, .flags = OF | SF,
       .want_rax = 0x08000000, .want_flags = CF | PF},
      {.code = "shr bx, 15", .rbx = 0x8000, .flags = CF, .want_rbx = 1, .want_flags = 0},
      // SAR by 1: OF = 0, the sign is copied.
      {.code = "sar al, 1", .rax = 0x81, .flags = OF, .want_rax = 0xC0, .want_flags = CF | SF | PF},
      // SAR by more than the width fills with the sign; CF is the sign (defined for SAR).
      {.code = "sar ax, cl", .rax = 0x8000, .rcx = 31, .want_rax = 0xFFFF,
       .want_flags = CF | SF | PF},
      {.code = "sar rax, 63", .rax = 0x4000000000000000, .want_rax = 0, .want_flags = CF | ZF | PF},
      {.code = "sar eax, 8", .rax = 0x7F000000, .flags = CF, .want_rax = 0x007F0000,
       .want_flags = PF},
      // The count is masked to 5 bits for 32-bit operands: 33 -> 1.
      {.code = "shl ebx, cl", .rbx = 0x40000000, .rcx = 33, .want_rbx = 0x80000000,
       .want_flags = OF | SF | PF},
      // Memory destinations. 0x0F >> 3: CF = bit 2; OF (undef) = 0.
      {.code = "shr byte ptr [rdi], 3", .mem = 0xAA0F, .want_mem = 0xAA01, .want_flags = CF},
      // CF = bit 60; OF (undef) = CF ^ MSB(result) = 1.
      {.code = "shl qword ptr [rdi], cl", .rcx = 4, .mem = 0xF000000000000001,
       .want_mem = 0x10, .want_flags = CF | OF},
      {.code = "sar word ptr [rdi], 1", .mem = 0x1234FFFF, .want_mem = 0x1234FFFF,
       .want_flags = CF | SF | PF},
  };
  for (const Case& c : cases) Check(c);
}

TEST(ShiftTest, Rotates) {
  const Case cases[] = {
      // ROL/ROR change only CF and OF; SF, ZF, AF, PF keep their values.
      {.code = "rol al, 1", .rax = 0x81, .flags = ZF | PF | SF | AF, .want_rax = 0x03,
       .want_flags = ZF | PF | SF | AF | CF | OF},
      // A count that is a multiple of the width rotates nothing but still sets CF = LSB;
      // OF (undef) = MSB ^ CF.
      {.code = "rol al, cl", .rax = 0x81, .rcx = 8, .want_flags = CF},
      {.code = "rol al, cl", .rax = 0x81, .rcx = 32, .flags = CF | OF, .want_flags = CF | OF},
      {.code = "rol bh, 4", .rbx = 0x1200, .want_rbx = 0x2100, .want_flags = CF | OF},
      // ROR by 1: CF = MSB(result), OF = MSB ^ MSB-1. 32-bit: zero-extended.
      {.code = "ror eax, 1", .rax = 0xFFFFFFFF00000001, .want_rax = 0x80000000,
       .want_flags = CF | OF},
      {.code = "ror rax, cl", .rax = 0x0123456789ABCDEF, .rcx = 4, .want_rax = 0xF0123456789ABCDE,
       .want_flags = CF},
      // 17 & 31 = 17, rotated 17 mod 16 = 1; OF (undef) = MSB ^ MSB-1.
      {.code = "ror ax, 17", .rax = 0x0001, .want_rax = 0x8000, .want_flags = CF | OF},
      {.code = "rol dword ptr [rdi], 8", .mem = 0x5555555512345678,
       .want_mem = 0x5555555534567812, .want_flags = 0},
      // RCL by 1: CF = old MSB, OF = MSB(result) ^ CF.
      {.code = "rcl al, 1", .rax = 0x80, .flags = PF, .want_rax = 0x00, .want_flags = PF | CF | OF},
      {.code = "rcl al, 1", .rax = 0x40, .flags = CF, .want_rax = 0x81, .want_flags = OF},
      // 8-bit RCL rotates count mod 9 bits: 9 -> nothing at all, not even OF.
      {.code = "rcl al, cl", .rax = 0x55, .rcx = 9, .flags = CF | OF, .want_flags = CF | OF},
      // 8 mod 9 = 8: CF:AL = 1:00000001 rotated left 8 = right 1 -> CF = 1, AL = 0x80.
      {.code = "rcl al, cl", .rax = 0x01, .rcx = 8, .flags = CF, .want_rax = 0x80,
       .want_flags = CF | OF},
      // 33-bit rotate of 0:80000000 left 31 = right 2 -> EAX = 0x20000000, CF = 0.
      {.code = "rcl eax, cl", .rax = 0xFFFFFFFF80000000, .rcx = 31, .want_rax = 0x20000000,
       .want_flags = OF},
      // RCR by 1: OF = MSB(dest) ^ CF before the rotate.
      {.code = "rcr ax, 1", .rax = 0x0001, .flags = CF, .want_rax = 0x8000, .want_flags = CF | OF},
      {.code = "rcr ax, 1", .rax = 0x8000, .want_rax = 0x4000, .want_flags = OF},
      // 65-bit rotate right 4 of 1:0x10 -> 0x1000000000000001, CF = bit 3 = 0.
      {.code = "rcr rax, 4", .rax = 0x10, .flags = CF | ZF, .want_rax = 0x1000000000000001,
       .want_flags = ZF},
      // 16-bit RCR: 17 mod 17 = 0 -> no change.
      {.code = "rcr bx, cl", .rbx = 0x1234, .rcx = 17, .flags = CF, .want_flags = CF},
      // 16 mod 17 = 16 = left by 1 in 17 bits: 0:8001 -> CF = 1, BX = 0x0002.
      {.code = "rcr bx, cl", .rbx = 0x8001, .rcx = 16, .want_rbx = 0x0002, .want_flags = CF | OF},
      {.code = "rcr byte ptr [rdi], 1", .mem = 0x01, .flags = CF, .want_mem = 0x80,
       .want_flags = CF | OF},
  };
  for (const Case& c : cases) Check(c);
}

TEST(ShiftTest, DoubleShifts) {
  const Case cases[] = {
      // CF = bit 32-4 of EAX; OF (undef) = CF ^ MSB(result). PF of 0x89: odd.
      {.code = "shld eax, ebx, 4", .rax = 0x12345678, .rbx = 0x9ABCDEF0, .want_rax = 0x23456789,
       .want_flags = CF | OF},
      {.code = "shld eax, ebx, cl", .rax = 0xFFFFFFFF12345678, .rbx = 1, .rcx = 0, .flags = SF,
       .want_rax = 0x12345678, .want_flags = SF},
      {.code = "shld ax, bx, cl", .rax = 0x1234, .rbx = 0x5678, .rcx = 0, .flags = kAll,
       .want_flags = kAll},
      // 16-bit count > 16 (undef): the 48 bits 1234:5678:1234 shifted left 20 -> 0x6781;
      // CF = bit 28 of them (bit 12 of 0x5678).
      {.code = "shld ax, bx, cl", .rax = 0x1234, .rbx = 0x5678, .rcx = 20, .want_rax = 0x6781,
       .want_flags = CF | OF | PF},
      {.code = "shld rax, rbx, 1", .rax = 0x4000000000000000, .rbx = 0x8000000000000000,
       .want_rax = 0x8000000000000001, .want_flags = OF | SF},
      {.code = "shld rax, rbx, cl", .rax = 0x1, .rbx = 0xF000000000000000, .rcx = 0x44,
       .want_rax = 0x1F, .want_flags = 0},
      // SHRD: CF = bit 8-1 of EAX = 0; OF (undef) = 1. PF of 0x56: even.
      {.code = "shrd eax, ebx, 8", .rax = 0x12345678, .rbx = 0xAB, .want_rax = 0xAB123456,
       .want_flags = OF | SF | PF},
      {.code = "shrd rax, rbx, 1", .rax = 1, .rbx = 0, .want_rax = 0, .want_flags = CF | ZF | PF},
      {.code = "shrd rax, rbx, cl", .rax = 0x8000000000000000, .rbx = 1, .rcx = 63,
       .want_rax = 0x3, .want_flags = PF},
      // 16-bit count > 16 (undef): 1234:5678:1234 shifted right 18 -> 0x159E; CF = bit 17.
      {.code = "shrd ax, bx, cl", .rax = 0x1234, .rbx = 0x5678, .rcx = 18, .flags = kAll,
       .want_rax = 0x159E, .want_flags = 0},
      {.code = "shrd word ptr [rdi], bx, 4", .rbx = 0xABCD, .mem = 0x1234, .want_mem = 0xD123,
       .want_flags = SF},
      {.code = "shld dword ptr [rdi], ebx, cl", .rbx = 0x80000000, .rcx = 1, .mem = 0x7FFFFFFF,
       .want_mem = 0xFFFFFFFF, .want_flags = OF | SF | PF},
  };
  for (const Case& c : cases) Check(c);
}

// A shift to a read-only page faults before any flag or memory changes.
TEST(ShiftTest, FaultingStoreChangesNothing) {
  constexpr uint64_t kHandler = 0x180000, kReadOnly = 0x400000;
  CpuHarness h;
  h.WritePhys(0x3000 + 8 * 2, kReadOnly | 0x85, 8);  // 2 MiB page: P, U/S, PS; not R/W
  h.WritePhys(kReadOnly, 0x81, 8);
  ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
  ASSERT_TRUE(h.LoadAsm("shl dword ptr [rbx], 1\n hlt").ok());
  h.SetInterruptGate(kPF, kHandler);
  h.cpu.s.gpr[kRbx] = kReadOnly;
  h.cpu.s.SetRflags(ZF | PF);
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(h.cpu.s.cr2, kReadOnly);
  EXPECT_EQ(h.ReadPhys(h.cpu.s.gpr[kRsp] + 8, 8), kCodeBase);  // RIP of the shift
  EXPECT_EQ(h.ReadPhys(kReadOnly, 8), 0x81u);
  EXPECT_EQ(h.cpu.s.Rflags() & kAll, ZF | PF);
}

// Protected mode, 16-bit operand through the operand-size prefix.
TEST(ShiftTest, ProtectedMode) {
  CpuHarness h(testing::Mode::kProtected32);
  ASSERT_TRUE(h.LoadAsm("shl ax, cl\n rcr ebx, 1\n hlt").ok());
  h.cpu.s.gpr[kRax] = 0x12340003;
  h.cpu.s.gpr[kRbx] = 0x2;
  h.cpu.s.gpr[kRcx] = 15;
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0x12348000u);
  // SHL left CF = bit 1 of 0x0003 = 1; RCR then rotates it into bit 31.
  EXPECT_EQ(h.cpu.s.gpr[kRbx], 0x80000001u);
  EXPECT_EQ(h.cpu.s.Rflags() & (CF | OF), OF);
}

}  // namespace
}  // namespace vmxemu::cpu
