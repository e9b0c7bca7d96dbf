// ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST, INC, DEC, NEG, NOT: every operation in
// every form (reg/reg, reg/mem, mem/reg, reg/imm, mem/imm) and width (AL-style low
// bytes, AH-style high bytes, 16, 32, 64 bits), on edge values, with carry-in 0 and 1.
//
// The expected results come from a reference written from the SDM's definitions of the
// flags (Vol. 1 3.4.3.1 and Appendix A; each instruction's "Flags Affected") using
// 128-bit arithmetic: CF is the unsigned carry/borrow out of the width, OF the signed
// result out of range, AF the carry/borrow out of bit 3. The reference is itself pinned
// to hand-computed cases first.
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

constexpr uint64_t kArith = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagOF;

enum class Op { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp, kTest, kInc, kDec, kNeg, kNot };
const char* Name(Op op) {
  static const char* kNames[] = {"add", "or", "adc", "sbb", "and", "sub", "xor",
                                 "cmp", "test", "inc", "dec", "neg", "not"};
  return kNames[static_cast<int>(op)];
}
constexpr Op kBinary[] = {Op::kAdd, Op::kOr, Op::kAdc, Op::kSbb, Op::kAnd,
                          Op::kSub, Op::kXor, Op::kCmp, Op::kTest};
constexpr Op kUnary[] = {Op::kInc, Op::kDec, Op::kNeg, Op::kNot};

// ---- the reference --------------------------------------------------------------------

struct Expected {
  uint64_t result;   // masked to the width
  uint64_t flags;    // arithmetic flags
  uint64_t defined;  // which of them the SDM defines for this instruction
  bool writes;       // the destination is written
};

Expected Reference(Op op, int bits, uint64_t a, uint64_t b, uint64_t flags_in) {
  using i128 = __int128;
  const uint64_t m = bits == 64 ? ~0ull : (1ull << bits) - 1;
  const uint64_t sign = 1ull << (bits - 1);
  a &= m;
  b &= m;
  const i128 lo = -static_cast<i128>(sign), hi = static_cast<i128>(sign) - 1;
  auto sx = [&](uint64_t v) -> i128 { return (v & sign) ? static_cast<i128>(v) - 2 * static_cast<i128>(sign) : static_cast<i128>(v); };
  const int cin = (op == Op::kAdc || op == Op::kSbb) && (flags_in & kFlagCF) ? 1 : 0;
  uint64_t res = 0;
  bool cf = false, of = false, af = false;
  uint64_t defined = kArith;
  switch (op) {
    case Op::kAdd:
    case Op::kAdc: {
      const i128 u = static_cast<i128>(a) + b + cin, s = sx(a) + sx(b) + cin;
      res = static_cast<uint64_t>(u) & m;
      cf = u > static_cast<i128>(m);
      of = s < lo || s > hi;
      af = (a & 0xF) + (b & 0xF) + cin > 0xF;
      break;
    }
    case Op::kSub:
    case Op::kSbb:
    case Op::kCmp: {
      const i128 u = static_cast<i128>(a) - b - cin, s = sx(a) - sx(b) - cin;
      res = static_cast<uint64_t>(u) & m;
      cf = u < 0;
      of = s < lo || s > hi;
      af = static_cast<int>(a & 0xF) - static_cast<int>(b & 0xF) - cin < 0;
      break;
    }
    case Op::kAnd:
    case Op::kTest: res = a & b; defined = kArith & ~kFlagAF; break;  // AF undefined
    case Op::kOr: res = a | b; defined = kArith & ~kFlagAF; break;
    case Op::kXor: res = a ^ b; defined = kArith & ~kFlagAF; break;
    case Op::kInc:  // CF unaffected
      res = (a + 1) & m;
      of = a == sign - 1;
      af = (a & 0xF) == 0xF;
      cf = flags_in & kFlagCF;
      break;
    case Op::kDec:
      res = (a - 1) & m;
      of = a == sign;
      af = (a & 0xF) == 0;
      cf = flags_in & kFlagCF;
      break;
    case Op::kNeg:  // CF = (source != 0); the rest from 0 - source
      res = (0 - a) & m;
      cf = a != 0;
      of = a == sign;
      af = (a & 0xF) != 0;
      break;
    case Op::kNot:  // no flags
      return {~a & m, flags_in & kArith, kArith, true};
  }
  uint64_t f = 0;
  if (cf) f |= kFlagCF;
  if (of) f |= kFlagOF;
  if (af) f |= kFlagAF;
  if (res == 0) f |= kFlagZF;
  if (res & sign) f |= kFlagSF;
  if (!__builtin_parityll(res & 0xFF)) f |= kFlagPF;
  return {res, f & defined, defined, op != Op::kCmp && op != Op::kTest};
}

// The reference against hand-computed values (SDM flag definitions applied by hand).
TEST(AluTest, ReferenceMatchesHandComputedCases) {
  struct {
    Op op;
    int bits;
    uint64_t a, b, flags_in, result, flags;
  } cases[] = {
      {Op::kAdd, 8, 0x7F, 0x01, 0, 0x80, kFlagOF | kFlagSF | kFlagAF},
      {Op::kAdd, 8, 0xFF, 0x01, 0, 0x00, kFlagCF | kFlagZF | kFlagAF | kFlagPF},
      {Op::kAdd, 32, 0x0000000F, 0x00000001, 0, 0x10, kFlagAF},
      {Op::kAdd, 64, 0x8000000000000000, 0x8000000000000000, 0, 0, kFlagCF | kFlagOF | kFlagZF | kFlagPF},
      {Op::kAdc, 8, 0xFF, 0x00, kFlagCF, 0x00, kFlagCF | kFlagZF | kFlagAF | kFlagPF},
      {Op::kAdc, 16, 0x7FFF, 0x0000, kFlagCF, 0x8000, kFlagOF | kFlagSF | kFlagAF | kFlagPF},
      {Op::kSub, 8, 0x80, 0x01, 0, 0x7F, kFlagOF | kFlagAF},
      {Op::kSub, 8, 0x05, 0x07, 0, 0xFE, kFlagCF | kFlagSF | kFlagAF},
      {Op::kSbb, 8, 0x00, 0x00, kFlagCF, 0xFF, kFlagCF | kFlagSF | kFlagAF | kFlagPF},
      {Op::kSbb, 32, 0x10, 0x0F, kFlagCF, 0x00, kFlagZF | kFlagAF | kFlagPF},
      {Op::kCmp, 16, 0x1234, 0x1234, 0, 0x0000, kFlagZF | kFlagPF},
      {Op::kAnd, 8, 0xF0, 0x3C, kFlagCF | kFlagOF, 0x30, kFlagPF},
      {Op::kXor, 64, 0x8000000000000001, 1, 0, 0x8000000000000000, kFlagSF | kFlagPF},
      {Op::kInc, 8, 0x7F, 0, kFlagCF, 0x80, kFlagCF | kFlagOF | kFlagSF | kFlagAF},
      {Op::kInc, 16, 0xFFFF, 0, 0, 0x0000, kFlagZF | kFlagAF | kFlagPF},
      {Op::kDec, 8, 0x80, 0, kFlagCF, 0x7F, kFlagCF | kFlagOF | kFlagAF},
      {Op::kDec, 32, 0x00000001, 0, 0, 0, kFlagZF | kFlagPF},
      {Op::kNeg, 8, 0x00, 0, kFlagCF, 0x00, kFlagZF | kFlagPF},
      {Op::kNeg, 32, 0x80000000, 0, 0, 0x80000000, kFlagCF | kFlagOF | kFlagSF | kFlagPF},
      {Op::kNeg, 64, 0x8000000000000000, 0, 0, 0x8000000000000000, kFlagCF | kFlagOF | kFlagSF | kFlagPF},
      {Op::kNeg, 8, 0x01, 0, 0, 0xFF, kFlagCF | kFlagSF | kFlagAF | kFlagPF},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrFormat("%s%d %#x, %#x", Name(c.op), c.bits, c.a, c.b));
    const Expected e = Reference(c.op, c.bits, c.a, c.b, c.flags_in);
    EXPECT_EQ(e.result, c.result);
    EXPECT_EQ(e.flags, c.flags & e.defined);
  }
}

// ---- running many snippets from one assembly ------------------------------------------

constexpr int kSlot = 32;  // bytes per snippet (code + HLT)

// Assembles each snippet, then HLT, at kCodeBase + kSlot * k.
void LoadSnippets(CpuHarness& h, const std::vector<std::string>& snippets) {
  std::string text;
  for (size_t k = 0; k < snippets.size(); ++k) {
    absl::StrAppend(&text, ".org ", k * kSlot, "\n", snippets[k], "\nhlt\n");
  }
  absl::Status st = h.LoadAsm(text);
  ASSERT_TRUE(st.ok()) << st;
}

// Runs snippet k from the current state; true if it ran to its HLT.
bool RunSnippet(CpuHarness& h, size_t k) {
  h.cpu.s.halted = false;
  h.cpu.s.rip = kCodeBase + kSlot * k;
  const RunResult r = h.Run(100);
  const uint64_t end = h.cpu.s.rip;
  return r.reason == StopReason::kHalted && end > kCodeBase + kSlot * k &&
         end <= kCodeBase + kSlot * (k + 1) && h.ReadPhys(end - 1, 1) == 0xF4;
}

// An operand width as the tests name it: the destination/source registers (RBX/RCX),
// the byte position of the operand inside them, and the memory operand size keyword.
struct Width {
  int bits;
  const char* dst;
  const char* src;
  int shift;  // 8 for AH-style high-byte registers
  const char* ptr;
};
constexpr Width kWidths[] = {{8, "bl", "cl", 0, "byte"},
                             {8, "bh", "ch", 8, "byte"},
                             {16, "bx", "cx", 0, "word"},
                             {32, "ebx", "ecx", 0, "dword"},
                             {64, "rbx", "rcx", 0, "qword"}};

uint64_t Mask(int bits) { return bits == 64 ? ~0ull : (1ull << bits) - 1; }

std::vector<uint64_t> Values(int bits) {
  const uint64_t m = Mask(bits), sign = 1ull << (bits - 1);
  return {0, 1, 0xF, 0x10, sign - 1, sign, sign + 1, m - 1, m, 0x5A5A5A5A5A5A5A5A & m,
          0x0123456789ABCDEF & m};
}

// Immediates per width: imm8 (sign-extended) and full-size forms, as written in the
// assembly and as the instruction sees them (sign-extended to the operand size).
std::vector<int64_t> Immediates(int bits) {
  switch (bits) {
    case 8: return {0, 1, 0x7F, -0x80, -1};
    case 16: return {1, -1, 0x7F, 0x7FFF, -0x8000, 0x1234};
    case 32: return {1, -1, -0x80, 0x7FFFFFFF, -0x7FFFFFFF - 1, 0x12345678};
    default: return {1, -1, 0x7F, 0x7FFFFFFF, -0x7FFFFFFF - 1, 0x12345678};
  }
}

constexpr uint64_t kGarbage = 0xDEADBEEFCAFEF00D, kGarbage2 = 0x0BADC0DE600DF00D;
constexpr uint64_t kMemAddr = kDataBase + 0x40;  // [rsi + 0x10]

enum class Form { kRR, kRM, kMR, kRI, kMI, kR, kM };

struct Snippet {
  Op op;
  Form form;
  Width w;
  int64_t imm = 0;
  std::string code;
};

std::vector<Snippet> AllSnippets() {
  std::vector<Snippet> out;
  for (const Width& w : kWidths) {
    const std::string mem = absl::StrCat(w.ptr, " ptr [rsi + 0x10]");
    for (Op op : kBinary) {
      const std::string n = Name(op);
      out.push_back({op, Form::kRR, w, 0, absl::StrCat(n, " ", w.dst, ", ", w.src)});
      if (op != Op::kTest) out.push_back({op, Form::kRM, w, 0, absl::StrCat(n, " ", w.dst, ", ", mem)});
      out.push_back({op, Form::kMR, w, 0, absl::StrCat(n, " ", mem, ", ", w.src)});
      for (int64_t imm : Immediates(w.bits)) {
        out.push_back({op, Form::kRI, w, imm, absl::StrCat(n, " ", w.dst, ", ", imm)});
        out.push_back({op, Form::kMI, w, imm, absl::StrCat(n, " ", mem, ", ", imm)});
      }
    }
    for (Op op : kUnary) {
      out.push_back({op, Form::kR, w, 0, absl::StrCat(Name(op), " ", w.dst)});
      out.push_back({op, Form::kM, w, 0, absl::StrCat(Name(op), " ", mem)});
    }
  }
  return out;
}

// Places `v` (width w) inside `background` as the register or memory operand would.
uint64_t Place(uint64_t background, const Width& w, uint64_t v, bool in_register) {
  const int shift = in_register ? w.shift : 0;
  const uint64_t m = Mask(w.bits) << shift;
  return (background & ~m) | ((v << shift) & m);
}

// After a write of `v`: 32-bit register writes zero-extend, narrower ones merge.
uint64_t Written(uint64_t background, const Width& w, uint64_t v, bool in_register) {
  if (in_register && w.bits == 32) return v & 0xFFFFFFFF;
  return Place(background, w, v, in_register);
}

TEST(AluTest, EveryOperationFormAndWidthMatchesTheReference) {
  const std::vector<Snippet> snippets = AllSnippets();
  std::vector<std::string> code;
  for (const Snippet& s : snippets) code.push_back(s.code);
  CpuHarness h;
  ASSERT_NO_FATAL_FAILURE(LoadSnippets(h, code));
  int runs = 0;
  for (size_t k = 0; k < snippets.size(); ++k) {
    const Snippet& s = snippets[k];
    SCOPED_TRACE(s.code);
    const bool has_b = s.form == Form::kRR || s.form == Form::kRM || s.form == Form::kMR;
    const bool dst_mem = s.form == Form::kMR || s.form == Form::kMI || s.form == Form::kM;
    const std::vector<uint64_t> bs =
        has_b ? Values(s.w.bits) : std::vector<uint64_t>{static_cast<uint64_t>(s.imm)};
    for (uint64_t a : Values(s.w.bits)) {
      for (uint64_t b : bs) {
        for (uint64_t flags_in : {uint64_t{0}, kFlagCF, kArith & ~kFlagCF, kArith}) {
          // Destination value a, source value b, each in its register or in memory.
          const uint64_t rbx0 = dst_mem ? kGarbage : Place(kGarbage, s.w, a, true);
          const uint64_t rcx0 = s.form == Form::kRR || s.form == Form::kMR
                                    ? Place(kGarbage2, s.w, b, true) : kGarbage2;
          const uint64_t mem0 = dst_mem ? Place(kGarbage2, s.w, a, false)
                                        : s.form == Form::kRM ? Place(kGarbage, s.w, b, false)
                                                              : kGarbage;
          h.cpu.s.gpr[kRbx] = rbx0;
          h.cpu.s.gpr[kRcx] = rcx0;
          h.cpu.s.gpr[kRsi] = kMemAddr - 0x10;
          h.WritePhys(kMemAddr, mem0, 8);
          h.cpu.s.SetRflags(flags_in);
          ASSERT_TRUE(RunSnippet(h, k));
          const Expected e = Reference(s.op, s.w.bits, a, b, flags_in);
          uint64_t rbx1 = rbx0, mem1 = mem0;
          if (e.writes) {
            if (dst_mem) mem1 = Written(mem0, s.w, e.result, false);
            else rbx1 = Written(rbx0, s.w, e.result, true);
          }
          const std::string values = absl::StrFormat("a=%#x b=%#x flags=%#x", a, b, flags_in);
          ASSERT_EQ(h.cpu.s.gpr[kRbx], rbx1) << values;
          ASSERT_EQ(h.cpu.s.gpr[kRcx], rcx0) << values;
          ASSERT_EQ(h.ReadPhys(kMemAddr, 8), mem1) << values;
          ASSERT_EQ(h.cpu.s.Rflags() & e.defined, e.flags) << values;
          ++runs;
        }
      }
    }
  }
  EXPECT_GT(runs, 50000);
}

// ---- hand-written cases for what the sweep does not show at a glance -----------------

struct Case {
  std::string code;
  uint64_t rax, rbx, flags_in;
  uint64_t out_rax, out_flags;
  uint64_t mask = kArith;  // the flags the SDM defines for the last instruction
};

constexpr uint64_t kLogicDefined = kArith & ~kFlagAF;  // AND/OR/XOR/TEST: AF undefined

TEST(AluTest, HandComputedCases) {
  const Case cases[] = {
      // ADC/SBB chains propagate the carry: 0xFFFFFFFF + 2 carries into the ADC.
      {"add eax, ebx\n adc eax, 0", 0xFFFFFFFF, 2, 0, 2, 0},
      // AL = 0 - 1 borrows; AH = 1 - 0 - CF = 0.
      {"sub al, bl\n sbb ah, 0", 0x0100, 1, 0, 0x00FF, kFlagZF | kFlagPF},
      // INC/DEC keep CF, in both states.
      {"inc rax", 0xFFFFFFFFFFFFFFFF, 0, kFlagCF, 0, kFlagCF | kFlagZF | kFlagAF | kFlagPF},
      {"dec eax", 0, 0, 0, 0xFFFFFFFF, kFlagSF | kFlagAF | kFlagPF},
      // NEG of 0 clears CF; NEG of the most negative value overflows to itself.
      {"neg ax", 0xAAAA0000, 0, kFlagCF, 0xAAAA0000, kFlagZF | kFlagPF},
      {"neg al", 0x80, 0, 0, 0x80, kFlagCF | kFlagOF | kFlagSF},
      // A 32-bit TEST/CMP writes nothing, not even the zero-extension.
      {"test eax, ebx", 0xFFFFFFFF00000001, 1, 0, 0xFFFFFFFF00000001, 0, kLogicDefined},
      {"cmp eax, 1", 0xFFFFFFFF00000001, 0, 0, 0xFFFFFFFF00000001, kFlagZF | kFlagPF},
      // XOR of a register with itself: zero, ZF, PF; a 32-bit one zero-extends.
      {"xor eax, eax", 0xFFFFFFFFFFFFFFFF, 0, kArith, 0, kFlagZF | kFlagPF, kLogicDefined},
      // NOT changes no flag.
      {"not eax", 0xFFFFFFFF0F0F0F0F, 0, kFlagCF | kFlagOF, 0xF0F0F0F0, kFlagCF | kFlagOF},
      // 64-bit ADD with a sign-extended imm8: 1 + 0xFF..FE = 0xFF..FF.
      {"add rax, -2", 1, 0, 0, 0xFFFFFFFFFFFFFFFF, kFlagSF | kFlagPF},
      // AH as the destination, AL untouched.
      {"add ah, bl", 0x7F33, 0x01, 0, 0x8033, kFlagOF | kFlagSF | kFlagAF},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm(c.code + "\n hlt").ok());
    h.cpu.s.gpr[kRax] = c.rax;
    h.cpu.s.gpr[kRbx] = c.rbx;
    h.cpu.s.SetRflags(c.flags_in);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.gpr[kRax], c.out_rax);
    EXPECT_EQ(h.cpu.s.Rflags() & c.mask, c.out_flags);
  }
}

// A faulting read-modify-write changes neither memory nor flags (faults are precise).
TEST(AluTest, FaultingMemoryDestinationLeavesFlags) {
  constexpr uint64_t kTrap = 0x180000;
  for (const char* code : {"add dword ptr [rsi], 1", "neg qword ptr [rsi]", "inc byte ptr [rsi]",
                           "sbb word ptr [rsi], cx"}) {
    SCOPED_TRACE(code);
    CpuHarness h;
    h.WritePhys(0x3000 + 8 * 2, 0x400000 | 0x85, 8);  // 0x400000: read-only
    h.WritePhys(kTrap, 0xF4, 1);
    h.SetInterruptGate(kPF, kTrap);
    ASSERT_TRUE(h.LoadAsm(std::string(code) + "\n hlt").ok());
    h.WritePhys(0x400000, 0x80, 8);
    h.cpu.s.gpr[kRsi] = 0x400000;
    h.cpu.s.SetRflags(kFlagCF | kFlagZF);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.rip, kTrap + 1);
    const uint64_t sp = h.cpu.s.gpr[kRsp];
    EXPECT_EQ(h.ReadPhys(sp, 8), 3u);  // present, write
    EXPECT_EQ(h.ReadPhys(sp + 8, 8), kCodeBase);
    EXPECT_EQ(h.ReadPhys(sp + 24, 8) & kArith, kFlagCF | kFlagZF);
    EXPECT_EQ(h.ReadPhys(0x400000, 8), 0x80u);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
