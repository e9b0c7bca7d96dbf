#include "cpu/testing/defined_flags.h"

#include <array>

#include "cpu/flags.h"

namespace vmxemu::cpu::testing {
namespace {

constexpr uint64_t C = kFlagCF, P = kFlagPF, A = kFlagAF, Z = kFlagZF, S = kFlagSF, O = kFlagOF,
                   D = kFlagDF;
constexpr uint64_t kAll = C | P | A | Z | S | O;

// How the count changes a row's effect.
enum class Rule : uint8_t {
  kFixed,
  // SAL/SHL/SHR/SAR (SDM Vol. 2B "SAL/SAR/SHL/SHR", Flags Affected): count masked to 5
  // bits (6 with REX.W); masked count 0 affects no flags; otherwise AF is undefined,
  // OF is defined only for count 1. kShiftLogical: CF is undefined for SHL/SHR when the
  // count is >= the operand size.
  kShiftLogical,
  kShiftArith,
  // ROL/ROR/RCL/RCR (SDM Vol. 2B "RCL/RCR/ROL/ROR", Flags Affected): masked count 0
  // affects no flags; OF is defined only for masked count 1.
  kRotate,
  // SHLD/SHRD (SDM Vol. 2B "SHLD"/"SHRD", Flags Affected): masked count 0 affects no
  // flags; count > operand size leaves all six undefined; otherwise AF is undefined and
  // OF is defined only for count 1.
  kDoubleShift,
  // REP CMPS/SCAS with a zero count execute no iteration and change no flags
  // (SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ", Operation).
  kRepString,
};

struct Row {
  ZydisMnemonic mnemonic;
  uint64_t written;
  uint64_t undefined;
  Rule rule = Rule::kFixed;
};

// SDM Vol. 2A/2B, each instruction's "Flags Affected" section.
constexpr Row kRows[] = {
    // Arithmetic: all six defined. Logic: OF, CF cleared, AF undefined.
    {ZYDIS_MNEMONIC_ADD, kAll, 0},
    {ZYDIS_MNEMONIC_ADC, kAll, 0},
    {ZYDIS_MNEMONIC_SUB, kAll, 0},
    {ZYDIS_MNEMONIC_SBB, kAll, 0},
    {ZYDIS_MNEMONIC_CMP, kAll, 0},
    {ZYDIS_MNEMONIC_NEG, kAll, 0},
    {ZYDIS_MNEMONIC_AND, kAll, A},
    {ZYDIS_MNEMONIC_OR, kAll, A},
    {ZYDIS_MNEMONIC_XOR, kAll, A},
    {ZYDIS_MNEMONIC_TEST, kAll, A},
    {ZYDIS_MNEMONIC_INC, kAll & ~C, 0},  // CF unaffected
    {ZYDIS_MNEMONIC_DEC, kAll & ~C, 0},
    {ZYDIS_MNEMONIC_NOT, 0, 0},
    // Shifts and rotates.
    {ZYDIS_MNEMONIC_SHL, kAll, 0, Rule::kShiftLogical},
    {ZYDIS_MNEMONIC_SHR, kAll, 0, Rule::kShiftLogical},
    {ZYDIS_MNEMONIC_SAR, kAll, 0, Rule::kShiftArith},
    {ZYDIS_MNEMONIC_ROL, C | O, 0, Rule::kRotate},
    {ZYDIS_MNEMONIC_ROR, C | O, 0, Rule::kRotate},
    {ZYDIS_MNEMONIC_RCL, C | O, 0, Rule::kRotate},
    {ZYDIS_MNEMONIC_RCR, C | O, 0, Rule::kRotate},
    {ZYDIS_MNEMONIC_SHLD, kAll, 0, Rule::kDoubleShift},
    {ZYDIS_MNEMONIC_SHRD, kAll, 0, Rule::kDoubleShift},
    // Multiply and divide: MUL/IMUL define only CF and OF; DIV/IDIV define none.
    {ZYDIS_MNEMONIC_MUL, kAll, S | Z | A | P},
    {ZYDIS_MNEMONIC_IMUL, kAll, S | Z | A | P},
    {ZYDIS_MNEMONIC_DIV, kAll, kAll},
    {ZYDIS_MNEMONIC_IDIV, kAll, kAll},
    // Bit operations: BT* define CF, leave ZF alone; BSF/BSR define only ZF.
    {ZYDIS_MNEMONIC_BT, kAll & ~Z, O | S | A | P},
    {ZYDIS_MNEMONIC_BTS, kAll & ~Z, O | S | A | P},
    {ZYDIS_MNEMONIC_BTR, kAll & ~Z, O | S | A | P},
    {ZYDIS_MNEMONIC_BTC, kAll & ~Z, O | S | A | P},
    {ZYDIS_MNEMONIC_BSF, kAll, C | O | S | A | P},
    {ZYDIS_MNEMONIC_BSR, kAll, C | O | S | A | P},
    // Exchanges: XADD as ADD, CMPXCHG as CMP.
    {ZYDIS_MNEMONIC_XADD, kAll, 0},
    {ZYDIS_MNEMONIC_CMPXCHG, kAll, 0},
    {ZYDIS_MNEMONIC_XCHG, 0, 0},
    {ZYDIS_MNEMONIC_BSWAP, 0, 0},
    // Data movement and conversions: no flags.
    {ZYDIS_MNEMONIC_MOV, 0, 0},
    {ZYDIS_MNEMONIC_MOVZX, 0, 0},
    {ZYDIS_MNEMONIC_MOVSX, 0, 0},
    {ZYDIS_MNEMONIC_MOVSXD, 0, 0},
    {ZYDIS_MNEMONIC_LEA, 0, 0},
    {ZYDIS_MNEMONIC_CBW, 0, 0},
    {ZYDIS_MNEMONIC_CWDE, 0, 0},
    {ZYDIS_MNEMONIC_CDQE, 0, 0},
    {ZYDIS_MNEMONIC_CWD, 0, 0},
    {ZYDIS_MNEMONIC_CDQ, 0, 0},
    {ZYDIS_MNEMONIC_CQO, 0, 0},
    {ZYDIS_MNEMONIC_PUSH, 0, 0},
    {ZYDIS_MNEMONIC_POP, 0, 0},
    // Strings: moves, stores and loads change no flags; compares set them as CMP.
    {ZYDIS_MNEMONIC_MOVSB, 0, 0},
    {ZYDIS_MNEMONIC_MOVSW, 0, 0},
    {ZYDIS_MNEMONIC_MOVSD, 0, 0},
    {ZYDIS_MNEMONIC_MOVSQ, 0, 0},
    {ZYDIS_MNEMONIC_STOSB, 0, 0},
    {ZYDIS_MNEMONIC_STOSW, 0, 0},
    {ZYDIS_MNEMONIC_STOSD, 0, 0},
    {ZYDIS_MNEMONIC_STOSQ, 0, 0},
    {ZYDIS_MNEMONIC_LODSB, 0, 0},
    {ZYDIS_MNEMONIC_LODSW, 0, 0},
    {ZYDIS_MNEMONIC_LODSD, 0, 0},
    {ZYDIS_MNEMONIC_LODSQ, 0, 0},
    {ZYDIS_MNEMONIC_CMPSB, kAll, 0, Rule::kRepString},
    {ZYDIS_MNEMONIC_CMPSW, kAll, 0, Rule::kRepString},
    {ZYDIS_MNEMONIC_CMPSD, kAll, 0, Rule::kRepString},
    {ZYDIS_MNEMONIC_CMPSQ, kAll, 0, Rule::kRepString},
    {ZYDIS_MNEMONIC_SCASB, kAll, 0, Rule::kRepString},
    {ZYDIS_MNEMONIC_SCASW, kAll, 0, Rule::kRepString},
    {ZYDIS_MNEMONIC_SCASD, kAll, 0, Rule::kRepString},
    {ZYDIS_MNEMONIC_SCASQ, kAll, 0, Rule::kRepString},
    // Flag instructions.
    {ZYDIS_MNEMONIC_LAHF, 0, 0},
    {ZYDIS_MNEMONIC_SAHF, S | Z | A | P | C, 0},
    {ZYDIS_MNEMONIC_CLC, C, 0},
    {ZYDIS_MNEMONIC_STC, C, 0},
    {ZYDIS_MNEMONIC_CMC, C, 0},
    {ZYDIS_MNEMONIC_CLD, D, 0},
    {ZYDIS_MNEMONIC_STD, D, 0},
    // Loops and count jumps.
    {ZYDIS_MNEMONIC_LOOP, 0, 0},
    {ZYDIS_MNEMONIC_LOOPE, 0, 0},
    {ZYDIS_MNEMONIC_LOOPNE, 0, 0},
    {ZYDIS_MNEMONIC_JCXZ, 0, 0},
    {ZYDIS_MNEMONIC_JECXZ, 0, 0},
    {ZYDIS_MNEMONIC_JRCXZ, 0, 0},
    // Jcc, SETcc, CMOVcc read flags only: added from the condition-code lists below.
};

struct Table {
  std::array<Row, ZYDIS_MNEMONIC_MAX_VALUE + 1> rows{};
  std::array<bool, ZYDIS_MNEMONIC_MAX_VALUE + 1> known{};

  Table() {
    for (const Row& r : kRows) Add(r);
    for (int cc = 0; cc < 16; ++cc) {
      Add({kJccMnemonics[cc], 0, 0});
      Add({kSetccMnemonics[cc], 0, 0});
      Add({kCmovccMnemonics[cc], 0, 0});
    }
  }
  void Add(const Row& r) {
    rows[r.mnemonic] = r;
    known[r.mnemonic] = true;
  }
};

const Table& GetTable() {
  static const Table* table = new Table();
  return *table;
}

FlagEffect ApplyRule(const Row& row, int bits, int64_t count) {
  FlagEffect e{row.written, row.undefined};
  if (row.rule == Rule::kFixed) return e;
  if (row.rule == Rule::kRepString) {
    if (count == 0) e = {};
    return e;
  }
  const int64_t masked = count & (bits == 64 ? 0x3F : 0x1F);
  if (masked == 0) return {};
  switch (row.rule) {
    case Rule::kShiftLogical:
    case Rule::kShiftArith:
      e.undefined |= A;
      if (masked != 1) e.undefined |= O;
      if (row.rule == Rule::kShiftLogical && masked >= bits) e.undefined |= C;
      break;
    case Rule::kRotate:
      if (masked != 1) e.undefined |= O;
      break;
    case Rule::kDoubleShift:
      if (masked > bits) {
        e.undefined = kAll;
      } else {
        e.undefined |= A;
        if (masked != 1) e.undefined |= O;
      }
      break;
    default:
      break;
  }
  return e;
}

}  // namespace

const ZydisMnemonic kJccMnemonics[16] = {
    ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,  ZYDIS_MNEMONIC_JNB,
    ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
    ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,  ZYDIS_MNEMONIC_JNP,
    ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE,
};
const ZydisMnemonic kSetccMnemonics[16] = {
    ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETNB,
    ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
    ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,  ZYDIS_MNEMONIC_SETNP,
    ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE,
};
const ZydisMnemonic kCmovccMnemonics[16] = {
    ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,  ZYDIS_MNEMONIC_CMOVNB,
    ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
    ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP,  ZYDIS_MNEMONIC_CMOVNP,
    ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE,
};

bool LookUpFlagEffect(ZydisMnemonic m, int opsize_bits, int64_t count, FlagEffect* out) {
  const Table& t = GetTable();
  if (m < 0 || m > ZYDIS_MNEMONIC_MAX_VALUE || !t.known[m]) return false;
  *out = ApplyRule(t.rows[m], opsize_bits, count);
  return true;
}

}  // namespace vmxemu::cpu::testing
