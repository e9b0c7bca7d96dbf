// BT, BTS, BTR, BTC, BSF, BSR. Expected values are hand-computed from the SDM's
// definitions; flags the SDM leaves undefined are checked against bitops.cc's
// documented choice, marked "(undef)".
#include <cstdint>
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

constexpr uint64_t CF = kFlagCF, PF = kFlagPF, ZF = kFlagZF, SF = kFlagSF, OF = kFlagOF,
                   kAll = kArithFlags;
constexpr uint64_t kBase = kDataBase + 0x100;  // RDI: room below it for negative offsets

std::string Hex(uint64_t v) { return absl::StrFormat("%#x", v); }

struct Case {
  const char* code;  // run with RDI = kBase, then hlt
  uint64_t rax = 0, rbx = 0;
  int64_t mem_at = 0;  // the qword `mem` is at RDI + mem_at; the rest of memory is 0
  uint64_t mem = 0;
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
  s.gpr[kRdi] = kBase;
  const uint64_t mem_addr = kBase + c.mem_at;
  h.WritePhys(mem_addr, c.mem, 8);
  s.SetRflags(c.flags);
  const RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(Hex(s.gpr[kRax]), Hex(c.want_rax.value_or(c.rax)));
  EXPECT_EQ(Hex(s.gpr[kRbx]), Hex(c.want_rbx.value_or(c.rbx)));
  EXPECT_EQ(Hex(h.ReadPhys(mem_addr, 8)), Hex(c.want_mem.value_or(c.mem)));
  // Nothing else near RDI was written.
  for (uint64_t a = kBase - 64; a < kBase + 64; a += 8) {
    if (a != mem_addr) {
      EXPECT_EQ(h.ReadPhys(a, 8), 0u) << "at " << Hex(a);
    }
  }
  EXPECT_EQ(Hex(s.Rflags() & kAll), Hex(c.want_flags));
}

TEST(BitOpsTest, RegisterBitBase) {
  const Case cases[] = {
      // CF = the bit; ZF unaffected; (undef) OF, SF, AF, PF unchanged.
      {.code = "bt eax, ebx", .rax = 0x10, .rbx = 4, .flags = ZF | SF | OF,
       .want_flags = ZF | SF | OF | CF},
      // A register offset is taken modulo the operand size: 36 -> 4, 67 -> 3.
      {.code = "bt eax, ebx", .rax = 0x10, .rbx = 36, .want_flags = CF},
      {.code = "bt rax, rbx", .rax = 0xFFFFFFFFFFFFFFF7, .rbx = 67, .flags = CF | PF,
       .want_flags = PF},
      {.code = "bts eax, 3", .rax = 0xFFFFFFFF00000000, .want_rax = 0x8, .want_flags = 0},
      {.code = "btr rax, 63", .rax = 0x8000000000000001, .want_rax = 1, .want_flags = CF},
      {.code = "btc ax, 17", .rax = 0xAAAA0001, .flags = CF, .want_rax = 0xAAAA0003,
       .want_flags = 0},
      {.code = "btc ax, bx", .rax = 0x8000, .rbx = 0xFFFF, .want_rax = 0, .want_flags = CF},
      {.code = "bts rax, rbx", .rax = 0, .rbx = ~0ull, .want_rax = 1ull << 63, .want_flags = 0},
      {.code = "btr ebx, eax", .rax = 0x21, .rbx = 0xFFFFFFFFFFFFFFFF, .want_rbx = 0xFFFFFFFD,
       .want_flags = CF},
  };
  for (const Case& c : cases) Check(c);
}

TEST(BitOpsTest, MemoryBitBase) {
  const Case cases[] = {
      // A register offset is signed and selects the operand-sized unit at
      // EA + (offset SAR log2(bits)) * bytes: -1 -> the word at RDI-2, bit 15.
      {.code = "bt word ptr [rdi], bx", .rbx = 0xFFFF, .mem_at = -8, .mem = 0x8000000000000000,
       .want_flags = CF},
      // 35 -> the dword at RDI+4, bit 3.
      {.code = "bts dword ptr [rdi], ebx", .rbx = 35, .want_mem = 0x0000000800000000,
       .want_flags = 0},
      // -65 -> the qword at RDI + 8 * floor(-65 / 64) = RDI-16, bit -65 mod 64 = 63.
      {.code = "btr qword ptr [rdi], rbx", .rbx = static_cast<uint64_t>(-65), .mem_at = -16,
       .mem = 0x8000000000000000, .want_mem = 0, .want_flags = CF},
      // 0x7FFF -> the word at RDI + 2 * 0x7FF = RDI+0xFFE, bit 15.
      {.code = "btc word ptr [rdi], bx", .rbx = 0x7FFF, .mem_at = 0xFF8,
       .want_mem = 0x8000000000000000, .want_flags = 0},
      // An immediate offset is taken modulo the operand size: no displacement.
      {.code = "btc dword ptr [rdi], 33", .mem = 0x1, .want_mem = 0x3, .want_flags = 0},
      {.code = "bt qword ptr [rdi], 70", .mem = 0x40, .flags = ZF, .want_flags = ZF | CF},
      {.code = "bts word ptr [rdi+2], 0", .mem_at = 0, .mem = 0x10000, .want_flags = CF},
  };
  for (const Case& c : cases) Check(c);
}

TEST(BitOpsTest, BitScan) {
  const Case cases[] = {
      // (undef) flags as for a logical operation on the source: SF, PF from it.
      {.code = "bsf eax, ebx", .rax = ~0ull, .rbx = 0x80000100, .flags = kAll, .want_rax = 8,
       .want_flags = SF | PF},
      {.code = "bsr eax, ebx", .rax = ~0ull, .rbx = 0x80000100, .want_rax = 31,
       .want_flags = SF | PF},
      {.code = "bsr rax, rbx", .rbx = 0x8000000000000000, .want_rax = 63, .want_flags = SF | PF},
      {.code = "bsf rax, rbx", .rbx = 0x8000000000000000, .want_rax = 63, .want_flags = SF | PF},
      {.code = "bsr ax, word ptr [rdi]", .rax = 0x5555FFFF, .mem = 0x0001, .want_rax = 0x55550000,
       .want_flags = 0},
      {.code = "bsr ebx, dword ptr [rdi]", .mem = 0x00F00000, .want_rbx = 23, .want_flags = PF},
      // Source 0: ZF = 1 and the destination is unchanged (a 32-bit one is zero-extended).
      {.code = "bsf rax, rbx", .rax = 0x1122334455667788, .rbx = 0, .flags = CF | SF,
       .want_flags = ZF | PF},
      {.code = "bsr bx, ax", .rax = 0xFFFF0000, .rbx = 0x12345678, .want_flags = ZF | PF},
      {.code = "bsf eax, ebx", .rax = 0xAAAAAAAA12345678, .rbx = 0xFFFFFFFF00000000,
       .want_rax = 0x12345678, .want_flags = ZF | PF},
  };
  for (const Case& c : cases) Check(c);
}

// BTS to a read-only page faults before the flags change; BT only reads and succeeds.
TEST(BitOpsTest, StoreFaultIsPrecise) {
  constexpr uint64_t kHandler = 0x180000, kReadOnly = 0x400000;
  for (const bool write : {true, false}) {
    SCOPED_TRACE(write ? "bts" : "bt");
    CpuHarness h;
    h.WritePhys(0x3000 + 8 * 2, kReadOnly | 0x85, 8);  // 2 MiB page: P, U/S, PS; not R/W
    h.WritePhys(kReadOnly, 0x1, 8);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm(write ? "bts dword ptr [rax], ebx\n hlt" : "bt dword ptr [rax], ebx\n hlt")
                    .ok());
    h.SetInterruptGate(kPF, kHandler);
    h.cpu.s.gpr[kRax] = kReadOnly;
    h.cpu.s.gpr[kRbx] = 0;
    h.cpu.s.SetRflags(ZF);
    const RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    EXPECT_EQ(h.ReadPhys(kReadOnly, 8), 0x1u);
    if (write) {
      EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
      EXPECT_EQ(h.ReadPhys(h.cpu.s.gpr[kRsp] + 8, 8), kCodeBase);
      EXPECT_EQ(h.cpu.s.Rflags() & kAll, ZF);
    } else {
      EXPECT_EQ(h.cpu.s.rip, kCodeBase + h.code_size);
      EXPECT_EQ(h.cpu.s.Rflags() & kAll, ZF | CF);
    }
  }
}

}  // namespace
}  // namespace vmxemu::cpu
