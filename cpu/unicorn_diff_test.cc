// Differential test of the integer ISA: random instruction forms with random operands
// run on vmxemu (CpuHarness, 64-bit and 32-bit protected mode) and on Unicorn; every
// GPR, RIP, the data region, the exception if any and the flags the SDM defines for
// the instruction (cpu/testing/defined_flags.cc) must agree. Generator:
// cpu/testing/insn_generator.h; comparison: cpu/testing/diff_checker.h.
//
// The normal suite runs 120,000 seeded cases (12 shards of 10,000, half per mode) and
// fails if fewer than 100,000 of them were compared: a case whose instruction vmxemu
// does not implement yet is counted as skipped, and shows in the shard's summary.
//
// Environment:
//   VMXEMU_DIFF_CASES=N   total cases over both modes (default 120000); e.g. millions:
//     bazel test //cpu:unicorn_diff_test --test_env=VMXEMU_DIFF_CASES=5000000
//         --test_timeout=3600 --test_output=all
//     (or run bazel-bin/cpu/unicorn_diff_test directly; GTEST_TOTAL_SHARDS and
//     GTEST_SHARD_INDEX split the 12 shards over processes).
//   VMXEMU_DIFF_SEED=S    base seed (default 1).
//   VMXEMU_DIFF_MODE=64|32 VMXEMU_DIFF_SEED=S VMXEMU_DIFF_CASE=I   re-runs one case
//     alone and prints it (the Reproduce test; a mismatch report names these values):
//     bazel test //cpu:unicorn_diff_test --test_output=all --test_filter='*Reproduce*'
//         --test_env=VMXEMU_DIFF_MODE=64 --test_env=VMXEMU_DIFF_SEED=1
//         --test_env=VMXEMU_DIFF_CASE=42
#include <Zydis/Zydis.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "cpu/decoder.h"
#include "cpu/flags.h"
#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/defined_flags.h"
#include "cpu/testing/diff_checker.h"
#include "cpu/testing/insn_forms.h"
#include "cpu/testing/insn_generator.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu::testing {
namespace {

// ---- Where Unicorn (2.0.1, QEMU 5 TCG) disagrees with the SDM ----------------------------
// Each deviation keeps its cases in the mix: Unicorn runs an encoding that means the same
// per the SDM, or its outcome is corrected to the SDM's, and vmxemu is compared to that.

// The instruction under test (after the case's lead-in, if any).
ZydisDisassembledInstruction DecodeUnderTest(const DiffCase& c) {
  ZydisDisassembledInstruction insn{};
  ZydisDisassembleIntel(
      c.mode == Mode::kLong64 ? ZYDIS_MACHINE_MODE_LONG_64 : ZYDIS_MACHINE_MODE_LEGACY_32,
      kDiffCodeBase + c.insn_offset, c.code.data() + c.insn_offset, c.code.size() - c.insn_offset,
      &insn);
  return insn;
}

bool IsLegacyPrefix(uint8_t b) {
  switch (b) {
    case 0x26:
    case 0x2E:
    case 0x36:
    case 0x3E:
    case 0x64:
    case 0x65:  // segment
    case 0x66:
    case 0x67:
    case 0xF0:
    case 0xF2:
    case 0xF3:
      return true;
    default:
      return false;
  }
}

// The generator puts legacy prefixes first, then REX (insn_encoding.h): the offset in
// the code of the first byte after the legacy prefixes of the instruction under test.
size_t AfterLegacyPrefixes(const DiffCase& c) {
  size_t n = c.insn_offset;
  while (n < c.code.size() && IsLegacyPrefix(c.code[n])) ++n;
  return n;
}

// The offset of the instruction under test's LOCK prefix, if it has one.
std::optional<size_t> LockAt(const DiffCase& c) {
  for (size_t i = c.insn_offset; i < AfterLegacyPrefixes(c); ++i) {
    if (c.code[i] == 0xF0) return i;
  }
  return std::nullopt;
}

bool HasRex(const DiffCase& c) {
  const size_t n = AfterLegacyPrefixes(c);
  return c.mode == Mode::kLong64 && n < c.code.size() && (c.code[n] & 0xF0) == 0x40;
}

bool IsRipRelative(const ZydisDisassembledInstruction& insn) {
  for (int i = 0; i < insn.info.operand_count_visible; ++i) {
    const ZydisDecodedOperand& op = insn.operands[i];
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY &&
        (op.mem.base == ZYDIS_REGISTER_RIP || op.mem.base == ZYDIS_REGISTER_EIP)) {
      return true;
    }
  }
  return false;
}

void AddToDisp(std::vector<uint8_t>& code, size_t at, int32_t delta) {
  uint32_t d;
  memcpy(&d, &code[at], 4);
  d += static_cast<uint32_t>(delta);
  memcpy(&code[at], &d, 4);
}

// The case's code without the prefix byte at `at`; a RIP-relative displacement grows by
// one so the operand stays where it was.
std::vector<uint8_t> WithoutPrefixAt(const DiffCase& c, size_t at) {
  const ZydisDisassembledInstruction insn = DecodeUnderTest(c);
  std::vector<uint8_t> code = c.code;
  if (IsRipRelative(insn)) AddToDisp(code, c.insn_offset + insn.info.raw.disp.offset, 1);
  code.erase(code.begin() + at);
  return code;
}

std::vector<uint8_t> WithoutLock(const DiffCase& c) { return WithoutPrefixAt(c, *LockAt(c)); }

std::vector<uint8_t> WithoutRex(const DiffCase& c) {
  return WithoutPrefixAt(c, AfterLegacyPrefixes(c));
}

// Only the lead-in: Unicorn stops where the instruction under test starts.
std::vector<uint8_t> LeadInOnly(const DiffCase& c) {
  return std::vector<uint8_t>(c.code.begin(), c.code.begin() + c.insn_offset);
}

// Recognizers: (case, Unicorn's outcome) -> the deviation applies.
bool IsLockNeg(const DiffCase& c, const Outcome&) {
  return c.mnemonic == ZYDIS_MNEMONIC_NEG && LockAt(c).has_value();
}

bool IsLahfSahfWithRex(const DiffCase& c, const Outcome&) {
  return (c.mnemonic == ZYDIS_MNEMONIC_LAHF || c.mnemonic == ZYDIS_MNEMONIC_SAHF) && HasRex(c);
}

bool IsRipRelativeShiftDoubleImm(const DiffCase& c, const Outcome&) {
  if (c.mnemonic != ZYDIS_MNEMONIC_SHLD && c.mnemonic != ZYDIS_MNEMONIC_SHRD) return false;
  const ZydisDisassembledInstruction insn = DecodeUnderTest(c);
  return insn.operands[2].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && IsRipRelative(insn);
}

bool IsCmpxchg32In64BitMode(const DiffCase& c, const Outcome& uc) {
  return c.mode == Mode::kLong64 && c.mnemonic == ZYDIS_MNEMONIC_CMPXCHG && c.opsize_bits == 32 &&
         !uc.faulted;
}

// 32-bit protected mode, an operand written through a CS override: CS is a code segment.
bool IsWriteThroughCs(const DiffCase& c, const Outcome&) {
  if (c.mode != Mode::kProtected32) return false;
  const ZydisDisassembledInstruction insn = DecodeUnderTest(c);
  for (int i = 0; i < insn.info.operand_count; ++i) {
    const ZydisDecodedOperand& op = insn.operands[i];
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.segment == ZYDIS_REGISTER_CS &&
        (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)) {
      return true;
    }
  }
  return false;
}

// QEMU's TCG checks no segment types or limits on data accesses. The SDM's outcome is
// #GP(0) at the instruction, before it changes anything: Unicorn runs the lead-in only
// (LeadInOnly) and the fault is added here.
void RaiseGpAtInstruction(const DiffCase& c, Outcome* uc) {
  uc->state.rip = kDiffCodeBase + c.insn_offset;
  uc->faulted = true;
  uc->vector = kGP;
}

// LOOPE/LOOPNE after a flag-producing lead-in in the same translated block.
bool IsLoopccAfterLeadIn(const DiffCase& c, const Outcome&) {
  return (c.mnemonic == ZYDIS_MNEMONIC_LOOPE || c.mnemonic == ZYDIS_MNEMONIC_LOOPNE) &&
         c.insn_offset != 0;
}

// QEMU 5 leaves its lazy-flags state (cc_op) stale when LOOPE/LOOPNE exit on a zero count,
// so the lead-in's flags are lost. A JMP to the next instruction between them (no effect
// but RIP) ends the translated block and makes QEMU store the flags first.
std::vector<uint8_t> WithJumpBeforeLoopcc(const DiffCase& c) {
  std::vector<uint8_t> code = c.code;
  const uint8_t jmp_next[] = {0xEB, 0x00};
  code.insert(code.begin() + c.insn_offset, std::begin(jmp_next), std::end(jmp_next));
  return code;
}

// QEMU 5 computes [rip+disp] of SHLD/SHRD m, r, imm8 from the end of the displacement,
// one byte short (no rip_offset for the imm8): a disp one larger reaches the SDM's address.
std::vector<uint8_t> RipDispPlusOne(const DiffCase& c) {
  std::vector<uint8_t> code = c.code;
  AddToDisp(code, c.insn_offset + DecodeUnderTest(c).info.raw.disp.offset, 1);
  return code;
}

// CMPXCHG r/m32 in 64-bit mode: QEMU 5 always writes EAX (zero-extending RAX) and always
// writes a register destination back (zero-extending it). The SDM loads the accumulator
// only when the values differ. For a failing compare with a register destination the
// SDM's pseudo-code says DEST := TEMP, but its description makes that write-back the
// bus write cycle of a memory operand; processors leave a register destination untouched,
// bits 63:32 included (QEMU 8 was fixed to match), and so does vmxemu (isa/exchange.cc).
void KeepUnwrittenUpperHalves(const DiffCase& c, Outcome* uc) {
  const ZydisDisassembledInstruction insn = DecodeUnderTest(c);
  const ZydisDecodedOperand& dest = insn.operands[0];
  const int dest_gpr =
      dest.type == ZYDIS_OPERAND_TYPE_REGISTER ? GprByteOffset(dest.reg.value) / 8 : -1;
  constexpr uint64_t kHigh = 0xFFFFFFFF00000000ull;
  auto keep_high = [&](int r) {
    uc->state.gpr[r] = (c.initial.gpr[r] & kHigh) | (uc->state.gpr[r] & ~kHigh);
  };
  if (uc->state.rflags & kFlagZF) {
    if (dest_gpr != kRax) keep_high(kRax);
  } else if (dest_gpr >= 0) {
    keep_high(dest_gpr);
  }
}

// In table order; at most one equivalent encoding per case (the first that applies).
const UnicornDeviation kUnicornDeviations[] = {
    {.name = "writes through a CS override succeed in protected mode",
     .sdm_reference = "SDM Vol. 3A 5.5: no instruction may write into a code segment; each "
                      "instruction's Protected Mode Exceptions: #GP(0) for a destination in a "
                      "non-writable segment; Unicorn's outcome becomes that #GP(0)",
     .applies = &IsWriteThroughCs,
     .equivalent_code = &LeadInOnly,
     .correct = &RaiseGpAtInstruction},
    {.name = "LOCK NEG sets SF/ZF/PF/AF/OF from the operand instead of the result",
     .sdm_reference = "SDM Vol. 2A NEG \"Flags Affected\": from the result; LOCK only makes the "
                      "access atomic (Vol. 2A LOCK), so Unicorn runs NEG without LOCK",
     .applies = &IsLockNeg,
     .equivalent_code = &WithoutLock},
    {.name = "LAHF/SAHF with a REX prefix use SPL instead of AH",
     .sdm_reference = "SDM Vol. 2A 2.2.1: \"If a REX prefix is used when it has no meaning, it "
                      "is ignored\"; so Unicorn runs LAHF/SAHF without REX",
     .applies = &IsLahfSahfWithRex,
     .equivalent_code = &WithoutRex},
    {.name = "LOOPE/LOOPNE ending on a zero count lose the preceding instruction's flags",
     .sdm_reference = "SDM Vol. 2A LOOP/LOOPcc \"Flags Affected\": none; so Unicorn runs a "
                      "JMP to the next instruction before the LOOPcc",
     .applies = &IsLoopccAfterLeadIn,
     .equivalent_code = &WithJumpBeforeLoopcc},
    {.name = "SHLD/SHRD m, r, imm8 with [rip+disp] address one byte low",
     .sdm_reference = "SDM Vol. 2A 2.2.1.6: RIP-relative addresses count from the next "
                      "instruction, after the imm8; so Unicorn runs disp + 1",
     .applies = &IsRipRelativeShiftDoubleImm,
     .equivalent_code = &RipDispPlusOne},
    {.name = "CMPXCHG r/m32 zero-extends RAX on success, a register destination on failure",
     .sdm_reference = "SDM Vol. 2A CMPXCHG \"Operation\" (accumulator := TEMP only if not "
                      "equal) and Vol. 1 3.4.1.1 (only a written 32-bit register is "
                      "zero-extended); Unicorn's bits 63:32 are restored",
     .applies = &IsCmpxchg32In64BitMode,
     .correct = &KeepUnwrittenUpperHalves},
};

constexpr int kShardsPerMode = 6;
constexpr uint64_t kDefaultCases = 120'000;
constexpr uint64_t kRequiredCompared = 100'000;  // of kDefaultCases

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 0) : fallback;
}

struct Shard {
  Mode mode;
  int index;
};

std::string ShardName(const ::testing::TestParamInfo<Shard>& info) {
  return absl::StrFormat("%s_%d", info.param.mode == Mode::kLong64 ? "Long64" : "Protected32",
                         info.param.index);
}

class UnicornDiffTest : public ::testing::TestWithParam<Shard> {};

TEST_P(UnicornDiffTest, MatchesUnicorn) {
  const Shard shard = GetParam();
  const uint64_t seed = EnvU64("VMXEMU_DIFF_SEED", 1);
  const uint64_t total = EnvU64("VMXEMU_DIFF_CASES", kDefaultCases);
  const uint64_t shards = 2 * kShardsPerMode;
  const uint64_t cases = total / shards;
  // The share of this shard in the required 100,000 of 120,000, rounded up.
  const uint64_t required = (total * kRequiredCompared / kDefaultCases + shards - 1) / shards;

  InsnGenerator gen(shard.mode, seed);
  DiffRunner runner(shard.mode, kUnicornDeviations);
  DiffStats stats;
  const uint64_t first = shard.index * cases;
  for (uint64_t i = first; i < first + cases; ++i) {
    const DiffCase c = gen.Generate(i);
    stats.Add(c, runner.Run(c));
  }
  std::cout << "[" << ShardName({shard, 0}) << "] seed " << seed << ", cases " << first << ".."
            << first + cases - 1 << ": " << stats.Summary() << "\n";
  for (const std::string& r : stats.reports) ADD_FAILURE() << r;
  EXPECT_EQ(stats.mismatches, 0u);
  EXPECT_GE(stats.compared, required)
      << "too many cases skipped (vmxemu does not implement their instructions yet): the "
         "test needs "
      << kRequiredCompared << " of " << kDefaultCases << " compared";
}

std::vector<Shard> AllShards() {
  std::vector<Shard> v;
  for (Mode m : {Mode::kLong64, Mode::kProtected32}) {
    for (int i = 0; i < kShardsPerMode; ++i) v.push_back({m, i});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Shards, UnicornDiffTest, ::testing::ValuesIn(AllShards()), ShardName);

// One case alone, printed whether or not it matches.
TEST(UnicornDiffReproduce, Reproduce) {
  if (std::getenv("VMXEMU_DIFF_CASE") == nullptr) GTEST_SKIP() << "VMXEMU_DIFF_CASE not set";
  const Mode mode = EnvU64("VMXEMU_DIFF_MODE", 64) == 32 ? Mode::kProtected32 : Mode::kLong64;
  const DiffCase c =
      InsnGenerator(mode, EnvU64("VMXEMU_DIFF_SEED", 1)).Generate(EnvU64("VMXEMU_DIFF_CASE", 0));
  DiffRunner runner(mode, kUnicornDeviations);
  std::vector<const UnicornDeviation*> deviations;
  const Outcome u = runner.RunUnicorn(c, &deviations);
  const Outcome v = runner.RunVmxemu(c);
  auto describe = [](const Outcome& o) {
    return absl::StrFormat("rip=%#x rflags=%#x%s %s", o.state.rip, o.state.rflags,
                           o.faulted ? absl::StrFormat(" exception %d", o.vector) : "", o.error);
  };
  std::cout << DescribeCase(c) << "vmxemu: " << describe(v) << "\nunicorn: " << describe(u) << "\n";
  for (const UnicornDeviation* d : deviations) {
    std::cout << "unicorn deviation applied: " << d->name << "\n";
  }
  const DiffResult r = CompareOutcomes(c, v, u, deviations);
  EXPECT_NE(r.kind, DiffResult::Kind::kMismatch) << r.report;
}

// ---- the harness itself ---------------------------------------------------------------------

DiffCase HandMadeCase(Mode mode, std::vector<uint8_t> code, ZydisMnemonic m, int bits) {
  DiffCase c;
  c.mode = mode;
  c.code = std::move(code);
  c.mnemonic = m;
  c.opsize_bits = bits;
  c.initial.gpr = {0x8000000000000001ull, 0, 2, 0xFFFFFFFF00000003ull};
  c.initial.gpr[kRsp] = kDiffDataBase + 0x800;
  FlagEffect e;
  if (LookUpFlagEffect(m, bits, -1, &e)) {
    c.undefined_flags = e.undefined;
    c.written_flags = e.written;
  }
  return c;
}

TEST(UnicornDiffHarness, ReportsDefinedFlagsAndIgnoresUndefinedOnes) {
  DiffRunner runner(Mode::kLong64, {});
  const DiffCase add = HandMadeCase(Mode::kLong64, {0x48, 0x01, 0xD8}, ZYDIS_MNEMONIC_ADD, 64);
  Outcome v = runner.RunVmxemu(add);
  std::vector<const UnicornDeviation*> d;
  const Outcome u = runner.RunUnicorn(add, &d);
  EXPECT_EQ(CompareOutcomes(add, v, u).kind, DiffResult::Kind::kMatch);
  v.state.rflags ^= kFlagCF;  // ADD defines CF
  const DiffResult r = CompareOutcomes(add, v, u);
  EXPECT_EQ(r.kind, DiffResult::Kind::kMismatch);
  EXPECT_NE(r.report.find("differ in [CF]"), std::string::npos) << r.report;

  const DiffCase andc = HandMadeCase(Mode::kLong64, {0x48, 0x21, 0xD8}, ZYDIS_MNEMONIC_AND, 64);
  v = runner.RunVmxemu(andc);
  v.state.rflags ^= kFlagAF;  // AND leaves AF undefined
  EXPECT_EQ(CompareOutcomes(andc, v, runner.RunUnicorn(andc, &d)).kind, DiffResult::Kind::kMatch);
}

TEST(UnicornDiffHarness, DivideErrorComparesThePreFaultState) {
  for (Mode mode : {Mode::kLong64, Mode::kProtected32}) {
    SCOPED_TRACE(mode == Mode::kLong64 ? "64-bit" : "32-bit");
    DiffRunner runner(mode, {});
    DiffCase div = HandMadeCase(mode, {0xF7, 0xF1}, ZYDIS_MNEMONIC_DIV, 32);  // div ecx, ecx = 0
    const Outcome v = runner.RunVmxemu(div);
    EXPECT_TRUE(v.faulted);
    EXPECT_EQ(v.vector, kDE);
    EXPECT_EQ(v.state.rip, kDiffCodeBase);
    EXPECT_EQ(v.state.gpr[kRsp], div.initial.gpr[kRsp]);
    EXPECT_EQ(v.state.data, div.initial.data);  // the exception frame is not compared
    std::vector<const UnicornDeviation*> d;
    const DiffResult r = CompareOutcomes(div, v, runner.RunUnicorn(div, &d));
    EXPECT_EQ(r.kind, DiffResult::Kind::kMatch) << r.report;
    EXPECT_TRUE(r.faulted);
  }
}

TEST(UnicornDiffHarness, UnimplementedInstructionsAreSkippedNotMismatched) {
  DiffRunner runner(Mode::kLong64, {});
  // FLD1 (x87) is not implemented by vmxemu (cpu_test.cc relies on that too).
  const DiffCase fld1 = HandMadeCase(Mode::kLong64, {0xD9, 0xE8}, ZYDIS_MNEMONIC_FLD1, 64);
  std::vector<const UnicornDeviation*> d;
  const DiffResult r = CompareOutcomes(fld1, runner.RunVmxemu(fld1), runner.RunUnicorn(fld1, &d));
  EXPECT_EQ(r.kind, DiffResult::Kind::kSkipped);
  DiffStats stats;
  stats.Add(fld1, r);
  EXPECT_EQ(stats.compared, 0u);
  EXPECT_EQ(stats.skipped_total(), 1u);
  EXPECT_NE(stats.Summary().find("skipped: unimplemented instruction fld1: 1"), std::string::npos)
      << stats.Summary();
}

TEST(UnicornDiffHarness, CasesAreReproducibleOneByOne) {
  const InsnGenerator a(Mode::kLong64, 7), b(Mode::kLong64, 7);
  for (uint64_t i : {0, 1, 99, 12345}) {
    const DiffCase x = a.Generate(i), y = b.Generate(i);
    EXPECT_EQ(x.code, y.code);
    EXPECT_EQ(x.initial.gpr, y.initial.gpr);
    EXPECT_EQ(x.initial.data, y.initial.data);
  }
  EXPECT_NE(a.Generate(1).code, a.Generate(2).code);
}

// Every generated mnemonic has a row in the defined-flags table.
TEST(UnicornDiffHarness, EveryFormHasAFlagsRow) {
  for (const Form& f : AllForms()) {
    for (int cc = 0; cc < ((f.attrs & kCc) ? 16 : 1); ++cc) {
      const ZydisMnemonic m = (f.attrs & kCc) ? CcMnemonic(f, cc) : f.mnemonic;
      FlagEffect e;
      EXPECT_TRUE(LookUpFlagEffect(m, 32, -1, &e)) << ZydisMnemonicGetString(m);
    }
  }
}

}  // namespace
}  // namespace vmxemu::cpu::testing
