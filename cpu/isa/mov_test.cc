// MOV (register, memory, immediate, moffs), MOVZX, MOVSX, MOVSXD, LEA. Expected values
// are worked out by hand from the SDM (Vol. 2B MOV/MOVZX/MOVSX/MOVSXD, Vol. 2A LEA) and
// the register-write rules of Vol. 1 3.4.1.1 (32-bit writes zero-extend, 8/16-bit merge).
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
using testing::Mode;

using Regs = std::vector<std::pair<Gpr, uint64_t>>;

struct Case {
  std::string code;
  Regs in;
  Regs out;           // registers after; all others must be unchanged
  uint64_t mem_in = 0x8877665544332211;   // qword at kDataBase (RSI points there)
  uint64_t mem_out = 0x8877665544332211;  // the same qword after
  Mode mode = Mode::kLong64;
  uint64_t fs_base = 0;
};

void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code + "\n hlt").ok());
    h.WritePhys(kDataBase, c.mem_in, 8);
    h.WritePhys(kDataBase + 8, 0xFFEEDDCCBBAA9988, 8);
    h.cpu.s.seg[kFs].base = c.fs_base;
    h.cpu.StateChanged();
    for (int r = 0; r < kNumGprs; ++r) {
      if (r != kRsp) h.cpu.s.gpr[r] = 0;  // reset leaves the CPU signature in RDX
    }
    h.cpu.s.gpr[kRsi] = kDataBase;
    for (auto [r, v] : c.in) h.cpu.s.gpr[r] = v;
    uint64_t expect[kNumGprs];
    for (int r = 0; r < kNumGprs; ++r) expect[r] = h.cpu.s.gpr[r];
    for (auto [r, v] : c.out) expect[r] = v;
    const RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    for (int k = 0; k < kNumGprs; ++k) EXPECT_EQ(h.cpu.s.gpr[k], expect[k]) << "gpr " << k;
    EXPECT_EQ(h.ReadPhys(kDataBase, 8), c.mem_out);
    EXPECT_EQ(h.ReadPhys(kDataBase + 8, 8), 0xFFEEDDCCBBAA9988u);
  }
}

constexpr uint64_t kG = 0xDEADBEEFCAFEF00D;  // register background

TEST(MovTest, RegisterAndImmediateForms) {
  RunCases({
      {"mov rbx, rcx", {{kRbx, kG}, {kRcx, 0x1122334455667788}}, {{kRbx, 0x1122334455667788}}},
      {"mov ebx, ecx", {{kRbx, kG}, {kRcx, 0x1122334455667788}}, {{kRbx, 0x55667788}}},
      {"mov bx, cx", {{kRbx, kG}, {kRcx, 0x1122334455667788}}, {{kRbx, 0xDEADBEEFCAFE7788}}},
      {"mov bl, cl", {{kRbx, kG}, {kRcx, 0x1122334455667788}}, {{kRbx, 0xDEADBEEFCAFEF088}}},
      {"mov bh, cl", {{kRbx, kG}, {kRcx, 0x1122334455667788}}, {{kRbx, 0xDEADBEEFCAFE880D}}},
      {"mov ah, bh", {{kRax, kG}, {kRbx, 0x4200}}, {{kRax, 0xDEADBEEFCAFE420D}}},
      {"mov r9b, sil", {{kR9, kG}, {kRsi, 0xAB}}, {{kR9, 0xDEADBEEFCAFEF0AB}}},
      {"mov al, 0x80", {{kRax, kG}}, {{kRax, 0xDEADBEEFCAFEF080}}},
      {"mov ax, 0xFFFF", {{kRax, kG}}, {{kRax, 0xDEADBEEFCAFEFFFF}}},
      {"mov eax, 0xFFFFFFFF", {{kRax, kG}}, {{kRax, 0xFFFFFFFF}}},
      {"mov r15d, 1", {{kR15, kG}}, {{kR15, 1}}},
      {"movabs rax, 0x123456789ABCDEF0", {{kRax, kG}}, {{kRax, 0x123456789ABCDEF0}}},
      // C7 /0 with REX.W: imm32 sign-extended to 64 bits.
      {"mov rax, -2", {{kRax, 0}}, {{kRax, 0xFFFFFFFFFFFFFFFE}}},
      {"mov rax, 0x7FFFFFFF", {{kRax, kG}}, {{kRax, 0x7FFFFFFF}}},
  });
}

TEST(MovTest, MemoryForms) {
  RunCases({
      {"mov rbx, qword ptr [rsi]", {{kRbx, kG}}, {{kRbx, 0x8877665544332211}}},
      {"mov ebx, dword ptr [rsi + 4]", {{kRbx, kG}}, {{kRbx, 0x88776655}}},
      {"mov bx, word ptr [rsi + 1]", {{kRbx, kG}}, {{kRbx, 0xDEADBEEFCAFE3322}}},
      {"mov ch, byte ptr [rsi + 7]", {{kRcx, kG}}, {{kRcx, 0xDEADBEEFCAFE880D}}},
      {"mov qword ptr [rsi], rcx", {{kRcx, 0x0102030405060708}}, {}, 0x8877665544332211,
       0x0102030405060708},
      {"mov dword ptr [rsi + 2], ecx", {{kRcx, 0x0102030405060708}}, {}, 0x8877665544332211,
       0x8877050607082211},
      {"mov word ptr [rsi], cx", {{kRcx, 0x0102030405060708}}, {}, 0x8877665544332211,
       0x8877665544330708},
      {"mov byte ptr [rsi + 1], ah", {{kRax, 0x7F00}}, {}, 0x8877665544332211, 0x8877665544337F11},
      // Index, scale and a negative displacement.
      {"mov eax, dword ptr [rbx + rcx*8 - 8]", {{kRbx, kDataBase}, {kRcx, 1}, {kRax, kG}},
       {{kRax, 0x44332211}}},
      {"mov qword ptr [rsi], -2", {}, {}, 0, 0xFFFFFFFFFFFFFFFE},
      {"mov dword ptr [rsi], 0x80000000", {}, {}, 0x8877665544332211, 0x8877665580000000},
      {"mov word ptr [rsi + 6], 0x1234", {}, {}, 0x8877665544332211, 0x1234665544332211},
      {"mov byte ptr [rsi], 0xFF", {}, {}, 0x8877665544332211, 0x88776655443322FF},
      // FS carries a base in 64-bit mode.
      {"mov rax, qword ptr fs:[rsi - 0x10]", {{kRax, 0}}, {{kRax, 0x8877665544332211}},
       0x8877665544332211, 0x8877665544332211, Mode::kLong64, 0x10},
  });
}

// moffs (A0-A3): in 64-bit mode the offset is a full 64-bit absolute address; with 67h
// it is 32 bits. Segment overrides apply.
TEST(MovTest, Moffs) {
  RunCases({
      {"movabs eax, dword ptr [0x200004]", {{kRax, kG}}, {{kRax, 0x88776655}}},
      {"movabs al, byte ptr [0x200007]", {{kRax, kG}}, {{kRax, 0xDEADBEEFCAFEF088}}},
      {"movabs rax, qword ptr [0x200000]", {{kRax, kG}}, {{kRax, 0x8877665544332211}}},
      {"movabs word ptr [0x200002], ax", {{kRax, 0xABCD}}, {}, 0x8877665544332211,
       0x88776655ABCD2211},
      {"movabs qword ptr [0x200000], rax", {{kRax, 1}}, {}, 0x8877665544332211, 1},
      // All 64 bits of the offset count: 0x100200000 + FS base 0xFFFFFFFF00000000
      // wraps to 0x200000.
      {"movabs rax, qword ptr fs:[0x100200000]", {{kRax, 0}}, {{kRax, 0x8877665544332211}},
       0x8877665544332211, 0x8877665544332211, Mode::kLong64, 0xFFFFFFFF00000000},
      // 67 A1 moffs32: mov eax, [0x00200004].
      {".byte 0x67, 0xA1, 0x04, 0x00, 0x20, 0x00", {{kRax, kG}}, {{kRax, 0x88776655}}},
      {"mov eax, dword ptr [0x200004]", {{kRax, kG}}, {{kRax, 0x88776655}}, 0x8877665544332211,
       0x8877665544332211, Mode::kProtected32},
  });
}

TEST(MovTest, ExtendingMoves) {
  RunCases({
      {"movzx eax, bl", {{kRax, kG}, {kRbx, 0x80}}, {{kRax, 0x80}}},
      {"movzx ecx, bh", {{kRcx, kG}, {kRbx, 0xFF00}}, {{kRcx, 0xFF}}},
      {"movzx ax, bl", {{kRax, kG}, {kRbx, 0x80}}, {{kRax, 0xDEADBEEFCAFE0080}}},
      {"movzx ebx, word ptr [rsi + 6]", {{kRbx, kG}}, {{kRbx, 0x8877}}},
      {"movzx rbx, byte ptr [rsi + 7]", {{kRbx, kG}}, {{kRbx, 0x88}}},
      {"movsx eax, bl", {{kRax, kG}, {kRbx, 0x80}}, {{kRax, 0xFFFFFF80}}},
      {"movsx rax, bl", {{kRax, 0}, {kRbx, 0x80}}, {{kRax, 0xFFFFFFFFFFFFFF80}}},
      {"movsx rax, bl", {{kRax, kG}, {kRbx, 0x7F}}, {{kRax, 0x7F}}},
      {"movsx ax, ch", {{kRax, kG}, {kRcx, 0x8100}}, {{kRax, 0xDEADBEEFCAFEFF81}}},
      {"movsx rax, word ptr [rsi + 6]", {{kRax, 0}}, {{kRax, 0xFFFFFFFFFFFF8877}}},
      {"movsx ecx, word ptr [rsi]", {{kRcx, kG}}, {{kRcx, 0x2211}}},
      {"movsxd rax, ebx", {{kRax, 0}, {kRbx, 0x80000000}}, {{kRax, 0xFFFFFFFF80000000}}},
      {"movsxd rax, dword ptr [rsi + 4]", {{kRax, 0}}, {{kRax, 0xFFFFFFFF88776655}}},
      {"movsxd r8, dword ptr [rsi]", {{kR8, kG}}, {{kR8, 0x44332211}}},
      // 63 /r without REX.W: a 32-bit move (zero-extended like any 32-bit write).
      {".byte 0x63, 0xC3", {{kRax, kG}, {kRbx, 0xFFFFFFFF80000000}}, {{kRax, 0x80000000}}},
  });
}

TEST(MovTest, Lea) {
  RunCases({
      {"lea rax, [rbx + rcx*4 + 0x10]", {{kRbx, 0x1000}, {kRcx, 3}}, {{kRax, 0x101C}}},
      {"lea rax, [rbx - 1]", {{kRbx, 0}}, {{kRax, 0xFFFFFFFFFFFFFFFF}}},
      // 32-bit operand size with 64-bit addresses: the address truncated to 32 bits.
      {"lea eax, [rbx + rcx*8 - 1]", {{kRax, kG}, {kRbx, 0x1234567800000000}, {kRcx, 0}},
       {{kRax, 0xFFFFFFFF}}},
      // 16-bit operand size: only AX is written.
      {"lea ax, [rbx + 0x10]", {{kRax, kG}, {kRbx, 0xFFFF}}, {{kRax, 0xDEADBEEFCAFE000F}}},
      // 67h: 32-bit address size: EBX + ECX wraps at 4 GiB, then zero-extends.
      {"lea rax, [ebx + ecx]", {{kRax, kG}, {kRbx, 0xFFFFFFFF}, {kRcx, 0xAAAAAAAA00000002}},
       {{kRax, 1}}},
      {"lea rax, [ebx + ecx*2 + 4]", {{kRax, kG}, {kRbx, 0xFFFF0000FFFFFFF8}, {kRcx, 4}},
       {{kRax, 0x4}}},
      // RIP-relative: the address of the next instruction plus the displacement.
      {"lea rax, [rip + 0x100]", {}, {{kRax, kCodeBase + 7 + 0x100}}},
      // 67h RIP-relative (EIP-relative): 0x100008 - 0x200000 wraps at 4 GiB.
      {".byte 0x67, 0x48, 0x8D, 0x05, 0x00, 0x00, 0xE0, 0xFF", {}, {{kRax, 0xFFF00008}}},
      // 16-bit addressing in 32-bit code: BX + SI + disp wraps at 64 KiB.
      {"lea eax, [bx + si + 0x10]", {{kRax, kG}, {kRbx, 0x1234FFF0}, {kRsi, 0x5}},
       {{kRax, 0x5}}, 0x8877665544332211, 0x8877665544332211, Mode::kProtected32},
  });
}

TEST(MovTest, RipRelativeData) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(R"(
      mov eax, dword ptr [rip + 1f]
      mov dword ptr [rip + 2f], 0x600DF00D
      hlt
    1: .long 0xCAFEBABE
    2: .long 0
  )").ok());
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0xCAFEBABEu);
  EXPECT_EQ(h.ReadPhys(kCodeBase + h.code_size - 4, 4), 0x600DF00Du);
}

// A faulting store writes nothing; a faulting load changes no register.
TEST(MovTest, FaultsAreClean) {
  constexpr uint64_t kTrap = 0x180000;
  for (const char* code : {"mov qword ptr [rsi], rbx", "mov rbx, qword ptr [rsi + 0x200000]",
                           "movzx ebx, word ptr [rsi + 0x200000]"}) {
    SCOPED_TRACE(code);
    CpuHarness h;
    h.WritePhys(0x3000 + 8 * 2, 0x400000 | 0x85, 8);  // 0x400000: read-only
    h.WritePhys(0x3000 + 8 * 3, 0, 8);                // 0x600000: not present
    h.WritePhys(kTrap, 0xF4, 1);
    h.SetInterruptGate(kPF, kTrap);
    ASSERT_TRUE(h.LoadAsm(std::string(code) + "\n hlt").ok());
    h.WritePhys(0x400000, 0x1234, 8);
    h.cpu.s.gpr[kRsi] = 0x400000;
    h.cpu.s.gpr[kRbx] = kG;
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.rip, kTrap + 1);
    EXPECT_EQ(h.ReadPhys(h.cpu.s.gpr[kRsp] + 8, 8), kCodeBase);
    EXPECT_EQ(h.cpu.s.gpr[kRbx], kG);
    EXPECT_EQ(h.ReadPhys(0x400000, 8), 0x1234u);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
