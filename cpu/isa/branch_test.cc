// JMP, Jcc, CALL, RET, LOOP/LOOPE/LOOPNE, JCXZ/JECXZ/JRCXZ. Conditions are checked
// against SDM Vol. 1 Appendix B (Table B-1) written out case by case, flags against the
// SDM's definitions evaluated with 128-bit arithmetic, and targets by hand.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCodeBase;
using testing::kDataBase;
using testing::kStackTop;
using testing::Mode;

constexpr uint64_t kTrapBase = 0x180000;
constexpr uint64_t kIstTop = 0x7F000;
constexpr uint64_t kArith = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagOF;

const char* const kJcc[16] = {"jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja",
                              "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg"};

// SDM Vol. 1 Appendix B, Table B-1.
bool ConditionHolds(int cc, uint64_t f) {
  const bool cf = f & kFlagCF, zf = f & kFlagZF, sf = f & kFlagSF, of = f & kFlagOF,
             pf = f & kFlagPF;
  switch (cc) {
    case 0: return of;
    case 1: return !of;
    case 2: return cf;
    case 3: return !cf;
    case 4: return zf;
    case 5: return !zf;
    case 6: return cf || zf;
    case 7: return !cf && !zf;
    case 8: return sf;
    case 9: return !sf;
    case 10: return pf;
    case 11: return !pf;
    case 12: return sf != of;
    case 13: return sf == of;
    case 14: return zf || sf != of;
    default: return !zf && sf == of;
  }
}

// ---- snippets: many small programs from one assembly ----------------------------------

constexpr int kSlot = 32;

void LoadSnippets(CpuHarness& h, const std::vector<std::string>& snippets) {
  std::string text;
  for (size_t k = 0; k < snippets.size(); ++k) {
    absl::StrAppend(&text, ".org ", k * kSlot, "\n", snippets[k], "\n");
  }
  absl::Status st = h.LoadAsm(text);
  ASSERT_TRUE(st.ok()) << st;
}

bool RunSnippet(CpuHarness& h, size_t k) {
  h.cpu.s.halted = false;
  h.cpu.s.rip = kCodeBase + kSlot * k;
  return h.Run(100).reason == StopReason::kHalted;
}

// A Jcc that leaves ECX = 2 when taken, 1 when not; rel8 or rel32 encoding.
std::string JccSnippet(int cc, bool rel32) {
  const std::string jcc = rel32 ? absl::StrFormat(".byte 0x0F, 0x%x\n .long 1f - (. + 4)", 0x80 + cc)
                                : absl::StrCat(kJcc[cc], " 1f");
  return absl::StrCat(jcc, "\n mov ecx, 1\n hlt\n1: mov ecx, 2\n hlt");
}

TEST(BranchTest, JccFromEveryFlagState) {
  std::vector<std::string> code;
  for (int rel32 = 0; rel32 < 2; ++rel32) {
    for (int cc = 0; cc < 16; ++cc) code.push_back(JccSnippet(cc, rel32));
  }
  CpuHarness h;
  ASSERT_NO_FATAL_FAILURE(LoadSnippets(h, code));
  for (size_t k = 0; k < code.size(); ++k) {
    const int cc = static_cast<int>(k % 16);
    SCOPED_TRACE(code[k]);
    for (uint64_t v = 0; v < 32; ++v) {  // every combination of CF, PF, ZF, SF, OF
      const uint64_t flags = ((v & 1) ? kFlagCF : 0) | ((v & 2) ? kFlagPF : 0) |
                             ((v & 4) ? kFlagZF : 0) | ((v & 8) ? kFlagSF : 0) |
                             ((v & 16) ? kFlagOF : 0);
      h.cpu.s.SetRflags(flags);
      ASSERT_TRUE(RunSnippet(h, k));
      EXPECT_EQ(h.cpu.s.gpr[kRcx], ConditionHolds(cc, flags) ? 2u : 1u) << std::hex << flags;
    }
  }
}

// The flags of an ALU instruction per the SDM, for the instructions below.
enum class Op { kAdd, kAdc, kSub, kSbb, kCmp, kAnd, kOr, kXor, kTest, kInc, kDec, kNeg };

struct Result {
  uint64_t value;
  uint64_t flags;
  uint64_t defined;
};

Result Flags(Op op, int bits, uint64_t a, uint64_t b, uint64_t flags_in) {
  using i128 = __int128;
  const uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1, sign = 1ull << (bits - 1);
  a &= m;
  b &= m;
  const i128 lo = -static_cast<i128>(sign), hi = static_cast<i128>(sign) - 1;
  auto sx = [&](uint64_t v) { return (v & sign) ? static_cast<i128>(v) - 2 * static_cast<i128>(sign) : static_cast<i128>(v); };
  const int cin = (op == Op::kAdc || op == Op::kSbb) && (flags_in & kFlagCF);
  uint64_t r = 0;
  bool cf = false, of = false;
  switch (op) {
    case Op::kAdd:
    case Op::kAdc: {
      const i128 u = static_cast<i128>(a) + b + cin, s = sx(a) + sx(b) + cin;
      r = static_cast<uint64_t>(u) & m, cf = u > static_cast<i128>(m), of = s < lo || s > hi;
      break;
    }
    case Op::kSub:
    case Op::kSbb:
    case Op::kCmp: {
      const i128 u = static_cast<i128>(a) - b - cin, s = sx(a) - sx(b) - cin;
      r = static_cast<uint64_t>(u) & m, cf = u < 0, of = s < lo || s > hi;
      break;
    }
    case Op::kAnd:
    case Op::kTest: r = a & b; break;
    case Op::kOr: r = a | b; break;
    case Op::kXor: r = a ^ b; break;
    case Op::kInc: r = (a + 1) & m, of = a == sign - 1, cf = flags_in & kFlagCF; break;
    case Op::kDec: r = (a - 1) & m, of = a == sign, cf = flags_in & kFlagCF; break;
    case Op::kNeg: r = (0 - a) & m, cf = a != 0, of = a == sign; break;
  }
  uint64_t f = (cf ? kFlagCF : 0) | (of ? kFlagOF : 0) | (r == 0 ? kFlagZF : 0) |
               ((r & sign) ? kFlagSF : 0) | (__builtin_parityll(r & 0xFF) ? 0 : kFlagPF);
  const bool writes = op != Op::kCmp && op != Op::kTest;
  return {writes ? r : a, f, kArith & ~kFlagAF};
}

// Jcc right after each flag-setting instruction, including the pairs the core fuses
// into one handler (ADD/SUB/CMP/AND/TEST reg/imm, INC, DEC): the lazy flags and the
// fused condition must both agree with the SDM.
TEST(BranchTest, JccAfterFlagSettingInstructions) {
  struct First {
    std::string code;
    Op op;
    int bits;
    bool imm = false;
    int64_t imm_value = 0;
  } firsts[] = {
      {"cmp rax, rbx", Op::kCmp, 64}, {"cmp eax, ebx", Op::kCmp, 32},
      {"cmp ax, bx", Op::kCmp, 16},   {"cmp al, bl", Op::kCmp, 8},
      {"cmp rax, -1", Op::kCmp, 64, true, -1}, {"cmp eax, 0x40", Op::kCmp, 32, true, 0x40},
      {"sub rax, rbx", Op::kSub, 64}, {"sub al, bl", Op::kSub, 8},
      {"add rax, rbx", Op::kAdd, 64}, {"add eax, 0x7F", Op::kAdd, 32, true, 0x7F},
      {"and rax, rbx", Op::kAnd, 64}, {"test eax, ebx", Op::kTest, 32},
      {"test al, 0x81", Op::kTest, 8, true, 0x81}, {"inc rax", Op::kInc, 64},
      {"inc eax", Op::kInc, 32},      {"dec al", Op::kDec, 8},
      {"dec rax", Op::kDec, 64},      {"or rax, rbx", Op::kOr, 64},
      {"xor eax, ebx", Op::kXor, 32}, {"adc rax, rbx", Op::kAdc, 64},
      {"sbb eax, ebx", Op::kSbb, 32}, {"neg rax", Op::kNeg, 64},
  };
  std::vector<std::string> code;
  for (const First& f : firsts) {
    for (int cc = 0; cc < 16; ++cc) code.push_back(absl::StrCat(f.code, "\n", JccSnippet(cc, cc & 1)));
  }
  CpuHarness h;
  ASSERT_NO_FATAL_FAILURE(LoadSnippets(h, code));
  const uint64_t values[] = {0, 1, 2, 0x40, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0x80000000,
                             0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
                             0xFFFFFFFFFFFFFFFF, 0x123456789ABCDEF0};
  for (size_t fi = 0; fi < std::size(firsts); ++fi) {
    const First& f = firsts[fi];
    for (int cc = 0; cc < 16; ++cc) {
      const size_t k = fi * 16 + cc;
      SCOPED_TRACE(code[k]);
      for (uint64_t a : values) {
        for (uint64_t b : values) {
          if (f.imm && b != values[0]) continue;  // one run per a for immediate forms
          const uint64_t bb = f.imm ? static_cast<uint64_t>(f.imm_value) : b;
          for (uint64_t flags_in : {uint64_t{0}, kFlagCF}) {
            h.cpu.s.gpr[kRax] = a;
            h.cpu.s.gpr[kRbx] = bb;
            h.cpu.s.SetRflags(flags_in);
            ASSERT_TRUE(RunSnippet(h, k));
            const Result e = Flags(f.op, f.bits, a, bb, flags_in);
            const std::string values_text = absl::StrFormat("a=%#x b=%#x cf=%d", a, bb, flags_in != 0);
            ASSERT_EQ(h.cpu.s.gpr[kRcx], ConditionHolds(cc, e.flags) ? 2u : 1u) << values_text;
            ASSERT_EQ(h.cpu.s.Rflags() & e.defined, e.flags) << values_text;
            const uint64_t m = f.bits == 64 ? ~0ull : (1ull << f.bits) - 1;
            const uint64_t rax = f.bits == 32 ? e.value : (a & ~m) | e.value;
            if (f.op != Op::kCmp && f.op != Op::kTest) {
              ASSERT_EQ(h.cpu.s.gpr[kRax], rax) << values_text;
            }
          }
        }
      }
    }
  }
}

// ---- JMP / CALL / RET -----------------------------------------------------------------

struct FlowCase {
  std::string name;
  std::string code;  // ends in HLT; "2:" marks where control must end up
  Mode mode = Mode::kLong64;
  uint64_t rsp_after = kStackTop;
};

TEST(BranchTest, JmpCallRet) {
  const FlowCase cases[] = {
      {"jmp reg", "lea rax, [rip + 2f]\n jmp rax\n mov ecx, 1\n hlt\n2: mov ecx, 2\n hlt"},
      {"jmp mem", "lea rax, [rip + 2f]\n mov [rsi], rax\n jmp qword ptr [rsi]\n mov ecx, 1\n hlt\n"
                  "2: mov ecx, 2\n hlt"},
      // CALL pushes the address of the next instruction.
      {"call rel", "call 3f\n1: hlt\n3: pop rbx\n lea rdx, [rip + 1b]\n cmp rbx, rdx\n jne 1b\n"
                   "2: mov ecx, 2\n hlt"},
      {"call reg", "lea rax, [rip + 3f]\n call rax\n1: hlt\n3: pop rbx\n lea rdx, [rip + 1b]\n"
                   " cmp rbx, rdx\n jne 1b\n2: mov ecx, 2\n hlt"},
      {"call mem", "lea rax, [rip + 3f]\n mov [rsi], rax\n call qword ptr [rsi]\n1: hlt\n"
                   "3: pop rbx\n lea rdx, [rip + 1b]\n cmp rbx, rdx\n jne 1b\n2: mov ecx, 2\n hlt"},
      // The target is read from [RSP] before the push.
      {"call [rsp]", "lea rax, [rip + 3f]\n push rax\n call qword ptr [rsp]\n1: hlt\n"
                     "3: pop rbx\n pop rdx\n lea rax, [rip + 1b]\n cmp rbx, rax\n jne 1b\n"
                     " lea rax, [rip + 3b]\n cmp rdx, rax\n jne 1b\n2: mov ecx, 2\n hlt"},
      {"ret", "call 3f\n2: mov ecx, 2\n hlt\n3: ret"},
      // RET imm16 releases imm16 more bytes.
      {"ret 16", "call 3f\n2: mov ecx, 2\n hlt\n3: ret 16", Mode::kLong64, kStackTop + 16},
      {"32-bit call/ret", "call 3f\n2: mov ecx, 2\n hlt\n3: ret 4", Mode::kProtected32,
       kStackTop + 4},
      {"32-bit jmp reg", "mov eax, offset 2f\n jmp eax\n hlt\n2: mov ecx, 2\n hlt",
       Mode::kProtected32},
  };
  for (const FlowCase& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    h.cpu.s.gpr[kRsi] = kDataBase;
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.gpr[kRcx], 2u);
    EXPECT_EQ(h.cpu.s.gpr[kRsp], c.rsp_after);
  }
}

// ---- LOOP / JCXZ ----------------------------------------------------------------------

TEST(BranchTest, LoopSumsACountdown) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("mov ecx, 5\n xor eax, eax\n1: add eax, ecx\n loop 1b\n hlt").ok());
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 15u);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
}

TEST(BranchTest, LoopFamilyAndCountRegisterWidth) {
  struct {
    std::string code;
    Mode mode;
    uint64_t rcx;
    bool zf;
    bool taken;
    uint64_t rcx_after;
  } cases[] = {
      {"loop", Mode::kLong64, 1, false, false, 0},
      {"loop", Mode::kLong64, 0, false, true, 0xFFFFFFFFFFFFFFFF},
      {"loop", Mode::kLong64, 0x100000001, false, true, 0x100000000},
      // 67h: ECX is the count; the 32-bit write zero-extends RCX.
      {"addr32 loop", Mode::kLong64, 0x100000001, false, false, 0},
      {"addr32 loop", Mode::kLong64, 0xFFFFFFFF00000000, false, true, 0xFFFFFFFF},
      {"loope", Mode::kLong64, 3, true, true, 2},
      {"loope", Mode::kLong64, 3, false, false, 2},
      {"loope", Mode::kLong64, 1, true, false, 0},
      {"loopne", Mode::kLong64, 3, false, true, 2},
      {"loopne", Mode::kLong64, 3, true, false, 2},
      {"jrcxz", Mode::kLong64, 0, false, true, 0},
      {"jrcxz", Mode::kLong64, 0x100000000, false, false, 0x100000000},
      {"jecxz", Mode::kLong64, 0x100000000, false, true, 0x100000000},
      {"jecxz", Mode::kLong64, 1, false, false, 1},
      // 32-bit code: 67h selects CX, whose update keeps ECX[31:16].
      {"addr16 loop", Mode::kProtected32, 0x00050000, false, true, 0x0005FFFF},
      {"addr16 loop", Mode::kProtected32, 0x00050001, false, false, 0x00050000},
      {"jcxz", Mode::kProtected32, 0x00050000, false, true, 0x00050000},
      {"jecxz", Mode::kProtected32, 0x00050000, false, false, 0x00050000},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrFormat("%s rcx=%#x zf=%d", c.code, c.rcx, c.zf));
    CpuHarness h(c.mode);
    ASSERT_TRUE(h.LoadAsm(c.code + " 1f\n mov ebx, 1\n hlt\n1: mov ebx, 2\n hlt").ok());
    h.cpu.s.gpr[kRcx] = c.rcx;
    h.cpu.s.SetRflags(c.zf ? kFlagZF : 0);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.gpr[kRbx], c.taken ? 2u : 1u);
    EXPECT_EQ(h.cpu.s.gpr[kRcx], c.rcx_after);
    EXPECT_EQ(h.cpu.s.Rflags() & kArith, c.zf ? kFlagZF : 0);  // no flag changes
  }
}

// ---- bad targets: #GP(0) at the branch, nothing changed -------------------------------

void InstallTraps(CpuHarness& h) {
  h.WritePhys(testing::kTss + 0x24, kIstTop, 8);
  for (int v = 0; v < 32; ++v) {
    h.WritePhys(kTrapBase + 16 * v, 0xF4, 1);
    h.SetInterruptGate(v, kTrapBase + 16 * v, 0, false, h.mode == Mode::kLong64 ? 1 : 0);
  }
}

TEST(BranchTest, NonCanonicalTargetIsGpAtTheBranch) {
  constexpr uint64_t kBad = 0x0000800000000000;
  struct {
    std::string code;
    uint64_t stack_top;  // the qword at [RSP] (RET's target)
  } cases[] = {
      {"jmp rax", 0}, {"jmp qword ptr [rsi]", 0}, {"call rax", 0}, {"call qword ptr [rsi]", 0},
      {"ret", kBad}, {"ret 8", kBad},
      {"je 1f\n 1:", 0},  // a reachable target: must not fault
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    CpuHarness h;
    InstallTraps(h);
    ASSERT_TRUE(h.LoadAsm(c.code + "\n hlt").ok());
    const uint64_t rsp = kStackTop - 0x100;
    h.cpu.s.gpr[kRsp] = rsp;
    h.WritePhys(rsp, c.stack_top, 8);
    h.WritePhys(rsp - 8, 0x5E5E5E5E5E5E5E5E, 8);  // a CALL must not have pushed
    h.WritePhys(kDataBase, kBad, 8);
    h.cpu.s.gpr[kRax] = kBad;
    h.cpu.s.gpr[kRsi] = kDataBase;
    h.cpu.s.SetRflags(kFlagZF);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    const uint64_t sp = h.cpu.s.gpr[kRsp];
    if (c.code[0] == 'j' && c.code[1] == 'e') {
      EXPECT_EQ(h.cpu.s.rip, kCodeBase + h.code_size);
      continue;
    }
    EXPECT_EQ(h.cpu.s.rip, kTrapBase + 16 * kGP + 1);
    EXPECT_EQ(h.ReadPhys(sp, 8), 0u);              // error code
    EXPECT_EQ(h.ReadPhys(sp + 8, 8), kCodeBase);   // RIP of the branch
    EXPECT_EQ(h.ReadPhys(sp + 32, 8), rsp);        // RSP unchanged
    EXPECT_EQ(h.ReadPhys(rsp - 8, 8), 0x5E5E5E5E5E5E5E5Eu);
  }
}

// Outside 64-bit mode the target must lie within the CS limit (#GP(0) otherwise).
TEST(BranchTest, TargetBeyondCsLimitIsGp) {
  const char* codes[] = {"jmp 1f", "je 1f", "call 1f", "loop 1f", "jmp eax", "ret"};
  for (const char* code : codes) {
    SCOPED_TRACE(code);
    CpuHarness h(Mode::kProtected32);
    InstallTraps(h);
    // The branch at the limit's end, its target 0x40 beyond.
    ASSERT_TRUE(h.LoadAsm(absl::StrCat(code, "\n hlt\n .fill 0x40, 1, 0x90\n1: hlt")).ok());
    h.cpu.s.seg[kCs].limit = kCodeBase + 0x20;
    h.cpu.StateChanged();
    h.cpu.s.gpr[kRax] = kCodeBase + 0x30;
    h.cpu.s.gpr[kRcx] = 7;
    h.cpu.s.gpr[kRsp] = kStackTop - 0x100;
    h.WritePhys(kStackTop - 0x100, kCodeBase + 0x30, 4);  // RET's target
    h.cpu.s.SetRflags(kFlagZF);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.rip, kTrapBase + 16 * kGP + 1);
    // The frame (error code, EIP, CS, EFLAGS) sits right below the ESP of the branch:
    // a CALL or RET changed no ESP.
    const uint64_t sp = h.cpu.s.gpr[kRsp];
    EXPECT_EQ(sp, kStackTop - 0x100 - 16);
    EXPECT_EQ(h.ReadPhys(sp, 4), 0u);             // error code
    EXPECT_EQ(h.ReadPhys(sp + 4, 4), kCodeBase);  // EIP of the branch
    EXPECT_EQ(h.cpu.s.gpr[kRcx], 7u);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
