#include "cpu/testing/insn_forms.h"

#include "cpu/testing/defined_flags.h"

namespace vmxemu::cpu::testing {
namespace {

using S = Shape;

Form F1(ZydisMnemonic m, uint8_t op, int8_t digit, Shape shape, uint8_t sizes, Imm imm = Imm::kNone,
        uint8_t modes = kBoth, uint16_t attrs = 0) {
  return Form{m, {op, 0, 0}, 1, digit, shape, sizes, imm, modes, attrs};
}
Form F2(ZydisMnemonic m, uint8_t op, int8_t digit, Shape shape, uint8_t sizes, Imm imm = Imm::kNone,
        uint8_t modes = kBoth, uint16_t attrs = 0) {
  return Form{m, {0x0F, op, 0}, 2, digit, shape, sizes, imm, modes, attrs};
}

// The eight classic ALU operations in opcode order (00-3F, 80-83 /digit).
void AddAlu(std::vector<Form>& f) {
  constexpr ZydisMnemonic kOps[8] = {ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_OR,  ZYDIS_MNEMONIC_ADC,
                                     ZYDIS_MNEMONIC_SBB, ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_SUB,
                                     ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_CMP};
  for (int k = 0; k < 8; ++k) {
    const ZydisMnemonic m = kOps[k];
    const uint16_t lock = m == ZYDIS_MNEMONIC_CMP ? 0 : kLock;
    const uint8_t base = static_cast<uint8_t>(8 * k);
    const int8_t d = static_cast<int8_t>(k);
    f.push_back(F1(m, base + 0, -1, S::kEG, kS8, Imm::kNone, kBoth, lock));
    f.push_back(F1(m, base + 1, -1, S::kEG, kSv, Imm::kNone, kBoth, lock));
    f.push_back(F1(m, base + 2, -1, S::kGE, kS8));
    f.push_back(F1(m, base + 3, -1, S::kGE, kSv));
    f.push_back(F1(m, base + 4, -1, S::kAccI, kS8, Imm::kIb));
    f.push_back(F1(m, base + 5, -1, S::kAccI, kSv, Imm::kIz));
    f.push_back(F1(m, 0x80, d, S::kEI, kS8, Imm::kIb, kBoth, lock));
    f.push_back(F1(m, 0x81, d, S::kEI, kSv, Imm::kIz, kBoth, lock));
    f.push_back(F1(m, 0x83, d, S::kEI, kSv, Imm::kIb, kBoth, lock));
    f.push_back(F1(m, 0x82, d, S::kEI, kS8, Imm::kIb, k32, lock));  // 80 alias, #UD in 64
  }
}

// Group 2 shifts and rotates (C0/C1/D0-D3 /digit); /6 is undocumented and left out.
void AddShifts(std::vector<Form>& f) {
  constexpr ZydisMnemonic kOps[8] = {ZYDIS_MNEMONIC_ROL,     ZYDIS_MNEMONIC_ROR, ZYDIS_MNEMONIC_RCL,
                                     ZYDIS_MNEMONIC_RCR,     ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR,
                                     ZYDIS_MNEMONIC_INVALID, ZYDIS_MNEMONIC_SAR};
  for (int k = 0; k < 8; ++k) {
    if (k == 6) continue;
    const ZydisMnemonic m = kOps[k];
    const int8_t d = static_cast<int8_t>(k);
    f.push_back(F1(m, 0xC0, d, S::kEI, kS8, Imm::kIb));
    f.push_back(F1(m, 0xC1, d, S::kEI, kSv, Imm::kIb));
    f.push_back(F1(m, 0xD0, d, S::kE1, kS8));
    f.push_back(F1(m, 0xD1, d, S::kE1, kSv));
    f.push_back(F1(m, 0xD2, d, S::kECL, kS8));
    f.push_back(F1(m, 0xD3, d, S::kECL, kSv));
  }
  f.push_back(F2(ZYDIS_MNEMONIC_SHLD, 0xA4, -1, S::kEGI, kSv, Imm::kIb));
  f.push_back(F2(ZYDIS_MNEMONIC_SHLD, 0xA5, -1, S::kEGCL, kSv));
  f.push_back(F2(ZYDIS_MNEMONIC_SHRD, 0xAC, -1, S::kEGI, kSv, Imm::kIb));
  f.push_back(F2(ZYDIS_MNEMONIC_SHRD, 0xAD, -1, S::kEGCL, kSv));
}

void AddUnaryAndMulDiv(std::vector<Form>& f) {
  f.push_back(F1(ZYDIS_MNEMONIC_TEST, 0x84, -1, S::kEG, kS8));
  f.push_back(F1(ZYDIS_MNEMONIC_TEST, 0x85, -1, S::kEG, kSv));
  f.push_back(F1(ZYDIS_MNEMONIC_TEST, 0xA8, -1, S::kAccI, kS8, Imm::kIb));
  f.push_back(F1(ZYDIS_MNEMONIC_TEST, 0xA9, -1, S::kAccI, kSv, Imm::kIz));
  f.push_back(F1(ZYDIS_MNEMONIC_TEST, 0xF6, 0, S::kEI, kS8, Imm::kIb));
  f.push_back(F1(ZYDIS_MNEMONIC_TEST, 0xF7, 0, S::kEI, kSv, Imm::kIz));
  constexpr ZydisMnemonic kF6[8] = {
      ZYDIS_MNEMONIC_INVALID, ZYDIS_MNEMONIC_INVALID, ZYDIS_MNEMONIC_NOT, ZYDIS_MNEMONIC_NEG,
      ZYDIS_MNEMONIC_MUL,     ZYDIS_MNEMONIC_IMUL,    ZYDIS_MNEMONIC_DIV, ZYDIS_MNEMONIC_IDIV};
  for (int k = 2; k < 8; ++k) {
    const uint16_t lock = k < 4 ? kLock : 0;
    const int8_t d = static_cast<int8_t>(k);
    f.push_back(F1(kF6[k], 0xF6, d, S::kE, kS8, Imm::kNone, kBoth, lock));
    f.push_back(F1(kF6[k], 0xF7, d, S::kE, kSv, Imm::kNone, kBoth, lock));
  }
  for (int k = 0; k < 2; ++k) {
    const ZydisMnemonic m = k == 0 ? ZYDIS_MNEMONIC_INC : ZYDIS_MNEMONIC_DEC;
    const int8_t d = static_cast<int8_t>(k);
    f.push_back(F1(m, 0xFE, d, S::kE, kS8, Imm::kNone, kBoth, kLock));
    f.push_back(F1(m, 0xFF, d, S::kE, kSv, Imm::kNone, kBoth, kLock));
    // 40+r / 48+r: REX prefixes in 64-bit mode.
    f.push_back(F1(m, static_cast<uint8_t>(0x40 + 8 * k), -1, S::kO, kS16 | kS32, Imm::kNone, k32));
  }
  f.push_back(F2(ZYDIS_MNEMONIC_IMUL, 0xAF, -1, S::kGE, kSv));
  f.push_back(F1(ZYDIS_MNEMONIC_IMUL, 0x6B, -1, S::kGEI, kSv, Imm::kIb));
  f.push_back(F1(ZYDIS_MNEMONIC_IMUL, 0x69, -1, S::kGEI, kSv, Imm::kIz));
}

void AddBitsAndConditions(std::vector<Form>& f) {
  f.push_back(F2(ZYDIS_MNEMONIC_BT, 0xA3, -1, S::kEG, kSv));
  f.push_back(F2(ZYDIS_MNEMONIC_BTS, 0xAB, -1, S::kEG, kSv, Imm::kNone, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_BTR, 0xB3, -1, S::kEG, kSv, Imm::kNone, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_BTC, 0xBB, -1, S::kEG, kSv, Imm::kNone, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_BT, 0xBA, 4, S::kEI, kSv, Imm::kIb));
  f.push_back(F2(ZYDIS_MNEMONIC_BTS, 0xBA, 5, S::kEI, kSv, Imm::kIb, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_BTR, 0xBA, 6, S::kEI, kSv, Imm::kIb, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_BTC, 0xBA, 7, S::kEI, kSv, Imm::kIb, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_BSF, 0xBC, -1, S::kGE, kSv));
  f.push_back(F2(ZYDIS_MNEMONIC_BSR, 0xBD, -1, S::kGE, kSv));
  f.push_back(F2(kSetccMnemonics[0], 0x90, 0, S::kE, kS8, Imm::kNone, kBoth, kCc));
  f.push_back(F2(kCmovccMnemonics[0], 0x40, -1, S::kGE, kSv, Imm::kNone, kBoth, kCc));
  f.push_back(F1(kJccMnemonics[0], 0x70, -1, S::kRel, kS32, Imm::kNone, kBoth, kCc));
  f.push_back(F2(kJccMnemonics[0], 0x80, -1, S::kRel, kS32, Imm::kNone, kBoth, kCc));
  f.push_back(F1(ZYDIS_MNEMONIC_LOOP, 0xE2, -1, S::kRel, kS32, Imm::kNone, kBoth, kAddrOpt));
  f.push_back(F1(ZYDIS_MNEMONIC_LOOPE, 0xE1, -1, S::kRel, kS32, Imm::kNone, kBoth, kAddrOpt));
  f.push_back(F1(ZYDIS_MNEMONIC_LOOPNE, 0xE0, -1, S::kRel, kS32, Imm::kNone, kBoth, kAddrOpt));
  f.push_back(F1(ZYDIS_MNEMONIC_JRCXZ, 0xE3, -1, S::kRel, kS32, Imm::kNone, k64));
  f.push_back(F1(ZYDIS_MNEMONIC_JECXZ, 0xE3, -1, S::kRel, kS32, Imm::kNone, k64, kAddr67));
  f.push_back(F1(ZYDIS_MNEMONIC_JECXZ, 0xE3, -1, S::kRel, kS32, Imm::kNone, k32));
  f.push_back(F1(ZYDIS_MNEMONIC_JCXZ, 0xE3, -1, S::kRel, kS32, Imm::kNone, k32, kAddr67));
}

void AddMovesAndExchanges(std::vector<Form>& f) {
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0x88, -1, S::kEG, kS8));
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0x89, -1, S::kEG, kSv));
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0x8A, -1, S::kGE, kS8));
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0x8B, -1, S::kGE, kSv));
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0xB0, -1, S::kOI, kS8, Imm::kIb));
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0xB8, -1, S::kOI, kSv, Imm::kIv));
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0xC6, 0, S::kEI, kS8, Imm::kIb));
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0xC7, 0, S::kEI, kSv, Imm::kIz));
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0xA0, -1, S::kMoffs, kS8, Imm::kNone, kBoth, kAddrOpt));
  f.push_back(F1(ZYDIS_MNEMONIC_MOV, 0xA1, -1, S::kMoffs, kSv, Imm::kNone, kBoth, kAddrOpt));
  f.push_back(
      F1(ZYDIS_MNEMONIC_MOV, 0xA2, -1, S::kMoffs, kS8, Imm::kNone, kBoth, kAddrOpt | kStore));
  f.push_back(
      F1(ZYDIS_MNEMONIC_MOV, 0xA3, -1, S::kMoffs, kSv, Imm::kNone, kBoth, kAddrOpt | kStore));
  const struct {
    ZydisMnemonic m;
    uint8_t op;
    uint8_t src;
    uint8_t sizes;
    uint8_t modes;
  } kExt[] = {
      {ZYDIS_MNEMONIC_MOVZX, 0xB6, 1, kSv, kBoth}, {ZYDIS_MNEMONIC_MOVZX, 0xB7, 2, kSv, kBoth},
      {ZYDIS_MNEMONIC_MOVSX, 0xBE, 1, kSv, kBoth}, {ZYDIS_MNEMONIC_MOVSX, 0xBF, 2, kSv, kBoth},
      {ZYDIS_MNEMONIC_MOVSXD, 0x63, 4, kSv, k64},
  };
  for (const auto& e : kExt) {
    Form form = e.op == 0x63 ? F1(e.m, e.op, -1, S::kGExt, e.sizes, Imm::kNone, e.modes)
                             : F2(e.m, e.op, -1, S::kGExt, e.sizes, Imm::kNone, e.modes);
    form.src_size = e.src;
    f.push_back(form);
  }
  f.push_back(F1(ZYDIS_MNEMONIC_LEA, 0x8D, -1, S::kGE, kSv, Imm::kNone, kBoth, kMemOnly));
  f.push_back(F1(ZYDIS_MNEMONIC_XCHG, 0x86, -1, S::kEG, kS8, Imm::kNone, kBoth, kLock));
  f.push_back(F1(ZYDIS_MNEMONIC_XCHG, 0x87, -1, S::kEG, kSv, Imm::kNone, kBoth, kLock));
  f.push_back(F1(ZYDIS_MNEMONIC_XCHG, 0x90, -1, S::kO, kSv));
  f.push_back(F2(ZYDIS_MNEMONIC_XADD, 0xC0, -1, S::kEG, kS8, Imm::kNone, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_XADD, 0xC1, -1, S::kEG, kSv, Imm::kNone, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_CMPXCHG, 0xB0, -1, S::kEG, kS8, Imm::kNone, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_CMPXCHG, 0xB1, -1, S::kEG, kSv, Imm::kNone, kBoth, kLock));
  f.push_back(F2(ZYDIS_MNEMONIC_BSWAP, 0xC8, -1, S::kO, kS32 | kS64));
  f.push_back(F1(ZYDIS_MNEMONIC_PUSH, 0x50, -1, S::kO, 0, Imm::kNone, kBoth, kStack));
  f.push_back(F1(ZYDIS_MNEMONIC_PUSH, 0xFF, 6, S::kE, 0, Imm::kNone, kBoth, kStack));
  f.push_back(F1(ZYDIS_MNEMONIC_PUSH, 0x6A, -1, S::kI, 0, Imm::kIb, kBoth, kStack));
  f.push_back(F1(ZYDIS_MNEMONIC_PUSH, 0x68, -1, S::kI, 0, Imm::kIz, kBoth, kStack));
  f.push_back(F1(ZYDIS_MNEMONIC_POP, 0x58, -1, S::kO, 0, Imm::kNone, kBoth, kStack));
  f.push_back(F1(ZYDIS_MNEMONIC_POP, 0x8F, 0, S::kE, 0, Imm::kNone, kBoth, kStack));
}

// Forms with no explicit operands; the mnemonic depends on the operand size, so each
// size is its own row.
void AddImplicit(std::vector<Form>& f) {
  const struct {
    ZydisMnemonic m;
    uint8_t op;
    uint8_t size;
    uint8_t modes;
    uint16_t attrs;
  } kRows[] = {
      {ZYDIS_MNEMONIC_CBW, 0x98, kS16, kBoth, 0},  {ZYDIS_MNEMONIC_CWDE, 0x98, kS32, kBoth, 0},
      {ZYDIS_MNEMONIC_CDQE, 0x98, kS64, k64, 0},   {ZYDIS_MNEMONIC_CWD, 0x99, kS16, kBoth, 0},
      {ZYDIS_MNEMONIC_CDQ, 0x99, kS32, kBoth, 0},  {ZYDIS_MNEMONIC_CQO, 0x99, kS64, k64, 0},
      {ZYDIS_MNEMONIC_LAHF, 0x9F, kS32, kBoth, 0}, {ZYDIS_MNEMONIC_SAHF, 0x9E, kS32, kBoth, 0},
      {ZYDIS_MNEMONIC_CLC, 0xF8, kS32, kBoth, 0},  {ZYDIS_MNEMONIC_STC, 0xF9, kS32, kBoth, 0},
      {ZYDIS_MNEMONIC_CMC, 0xF5, kS32, kBoth, 0},  {ZYDIS_MNEMONIC_CLD, 0xFC, kS32, kBoth, 0},
      {ZYDIS_MNEMONIC_STD, 0xFD, kS32, kBoth, 0},
  };
  for (const auto& r : kRows)
    f.push_back(F1(r.m, r.op, -1, S::kNone, r.size, Imm::kNone, r.modes, r.attrs));
  // String instructions: byte form, then word/dword/qword of the next opcode.
  struct StringRow {
    uint8_t op;
    uint16_t rep;
    ZydisMnemonic m[4];
  };
  // clang-format off
  const StringRow kStrings[] = {
      {0xA4, kRep, {ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW,
                    ZYDIS_MNEMONIC_MOVSD, ZYDIS_MNEMONIC_MOVSQ}},
      {0xA6, kRepCc, {ZYDIS_MNEMONIC_CMPSB, ZYDIS_MNEMONIC_CMPSW,
                      ZYDIS_MNEMONIC_CMPSD, ZYDIS_MNEMONIC_CMPSQ}},
      {0xAA, kRep, {ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW,
                    ZYDIS_MNEMONIC_STOSD, ZYDIS_MNEMONIC_STOSQ}},
      {0xAC, kRep, {ZYDIS_MNEMONIC_LODSB, ZYDIS_MNEMONIC_LODSW,
                    ZYDIS_MNEMONIC_LODSD, ZYDIS_MNEMONIC_LODSQ}},
      {0xAE, kRepCc, {ZYDIS_MNEMONIC_SCASB, ZYDIS_MNEMONIC_SCASW,
                      ZYDIS_MNEMONIC_SCASD, ZYDIS_MNEMONIC_SCASQ}},
  };
  // clang-format on
  for (const auto& s : kStrings) {
    const uint16_t attrs = s.rep | kAddrOpt;
    f.push_back(F1(s.m[0], s.op, -1, S::kNone, kS8, Imm::kNone, kBoth, attrs));
    f.push_back(F1(s.m[1], s.op + 1, -1, S::kNone, kS16, Imm::kNone, kBoth, attrs));
    f.push_back(F1(s.m[2], s.op + 1, -1, S::kNone, kS32, Imm::kNone, kBoth, attrs));
    f.push_back(F1(s.m[3], s.op + 1, -1, S::kNone, kS64, Imm::kNone, k64, attrs));
  }
}

std::vector<Form> BuildForms() {
  std::vector<Form> f;
  AddAlu(f);
  AddShifts(f);
  AddUnaryAndMulDiv(f);
  AddBitsAndConditions(f);
  AddMovesAndExchanges(f);
  AddImplicit(f);
  return f;
}

}  // namespace

const std::vector<Form>& AllForms() {
  static const std::vector<Form>* forms = new std::vector<Form>(BuildForms());
  return *forms;
}

ZydisMnemonic CcMnemonic(const Form& form, int cc) {
  if (form.mnemonic == kJccMnemonics[0]) return kJccMnemonics[cc];
  if (form.mnemonic == kSetccMnemonics[0]) return kSetccMnemonics[cc];
  return kCmovccMnemonics[cc];
}

}  // namespace vmxemu::cpu::testing
