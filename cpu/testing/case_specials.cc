// Per-mnemonic operand values of generated cases (see case_builder.h).
#include <algorithm>

#include "cpu/decoder.h"
#include "cpu/flags.h"
#include "cpu/state.h"
#include "cpu/testing/case_builder.h"

namespace vmxemu::cpu::testing::gen {

// A flag-producing ALU instruction (ADD ADC SUB SBB CMP NEG INC DEC, all six flags
// defined) on a register the instruction under test does not use, placed before it: the
// instruction under test then reads flags that vmxemu holds lazily (cpu/flags.h).
std::vector<uint8_t> CaseBuilder::MakeLeadIn(const std::vector<uint8_t>& insn) {
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, m64_ ? ZYDIS_MACHINE_MODE_LONG_64 : ZYDIS_MACHINE_MODE_LEGACY_32,
                   m64_ ? ZYDIS_STACK_WIDTH_64 : ZYDIS_STACK_WIDTH_32);
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, insn.data(), insn.size(), &zi, ops))) {
    return {};
  }
  uint32_t used = 1u << kRsp;
  auto mark = [&](ZydisRegister r) {
    if (const int off = GprByteOffset(r); off >= 0) used |= 1u << (off / 8);
  };
  for (int i = 0; i < zi.operand_count; ++i) {
    if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER) mark(ops[i].reg.value);
    if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) {
      mark(ops[i].mem.base);
      mark(ops[i].mem.index);
    }
  }
  std::vector<int> free;
  for (int r = 0; r < NumGprs(c_.mode); ++r) {
    if (!(used & (1u << r))) free.push_back(r);
  }
  if (free.empty()) return {};
  // Opcode for 16/32/64 bits (8 bits: 80 for 83, F6 for F7, FE for FF, else one less),
  // /digit or -1 for "E, G", an immediate, and whether AF is left undefined (logic ops:
  // then LAHF, which copies AF, does not get one).
  struct LeadOp {
    uint8_t op;
    int8_t digit;
    bool imm;
    bool logic;
  };
  constexpr LeadOp kOps[] = {
      {0x01, -1, false, false}, {0x11, -1, false, false}, {0x29, -1, false, false},
      {0x19, -1, false, false}, {0x39, -1, false, false}, {0xF7, 3, false, false},
      {0xFF, 0, false, false},  {0xFF, 1, false, false},  {0x83, 0, true, false},
      {0x83, 5, true, false},   {0x83, 7, true, false},   {0x21, -1, false, true},
      {0x85, -1, false, true},  {0x09, -1, false, true},  {0x31, -1, false, true},
      {0x83, 4, true, true},    {0xF7, 0, true, true},
  };
  const LeadOp& op = kOps[Below(std::size(kOps))];
  if (op.logic && c_.mnemonic == ZYDIS_MNEMONIC_LAHF) return {};
  const int size = m64_ ? 1 << Below(4) : 2 << Below(2);  // 8-bit only with REX (64-bit)
  Encoding e;
  e.mode64 = m64_;
  e.rex = size == 1;
  e.rex_w = size == 8;
  if (size == 2) e.prefixes = {0x66};
  e.opcode[0] = op.op;
  if (size == 1) {
    e.opcode[0] = op.op == 0x83 ? 0x80 : op.op == 0xF7 ? 0xF6 : op.op == 0xFF ? 0xFE : op.op - 1;
  }
  e.has_modrm = true;
  e.reg_field = op.digit >= 0 ? op.digit : Below(NumGprs(c_.mode));
  e.e_reg = free[Below(free.size())];
  if (op.imm) {
    e.imm_len = op.op == 0x83 || size == 1 ? 1 : size == 2 ? 2 : 4;
    e.imm = Value(8 * e.imm_len);
  }
  lead_in_undefined_ = op.logic ? kFlagAF : 0;
  return e.Bytes(kDiffCodeBase);
}

// A branch over one following instruction (which runs only if the branch is not taken).
void CaseBuilder::ChooseRel() {
  const int r = Below(8), r2 = Below(8);
  switch (Below(3)) {
    case 0:
      follower_ = {0x83, static_cast<uint8_t>(0xC0 | r), static_cast<uint8_t>(rng_())};
      follower_written_ = kArithFlags;
      break;
    case 1:
      follower_ = {0x29, static_cast<uint8_t>(0xC0 | r2 << 3 | r)};
      follower_written_ = kArithFlags;
      break;
    default: {
      follower_ = {static_cast<uint8_t>(0xB8 + r)};
      const uint32_t v = static_cast<uint32_t>(rng_());
      for (int i = 0; i < 4; ++i) follower_.push_back(static_cast<uint8_t>(v >> (8 * i)));
      break;
    }
  }
  enc_.imm = follower_.size();
  enc_.imm_len = form_->opcode_len == 2 ? 4 : 1;
  if ((form_->attrs & kAddr67) || ((form_->attrs & kAddrOpt) && Chance(30))) Add67();
}

int64_t CaseBuilder::PickCount(int bits) {
  const int64_t choices[] = {0, 1, 2, bits - 1, bits, bits + 1, 31, 32, 33, 63, 64, 65};
  return Chance(25) ? Below(256) : choices[Below(std::size(choices))];
}

void CaseBuilder::ApplySpecials() {
  const ZydisMnemonic m = c_.mnemonic;
  const Shape shape = form_->shape;
  if (IsShift(m)) {
    count_ = shape == Shape::kE1 ? 1 : PickCount(8 * size_);
    // SHLD/SHRD r16 with a count above 16 leave the result undefined: not generated.
    if ((m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD) && size_ == 2) {
      count_ = count_ % 17 + 32 * Below(8);
    }
    if (shape == Shape::kECL || shape == Shape::kEGCL) SetRegValue({kRcx, 1}, count_);
    if (shape == Shape::kEI || shape == Shape::kEGI) enc_.imm = count_;
  } else if (m == ZYDIS_MNEMONIC_BSF || m == ZYDIS_MNEMONIC_BSR) {
    if (Chance(20)) e_mem_ ? WriteData(target_, size_, 0) : SetRegValue(e_reg_, 0);
  } else if ((m == ZYDIS_MNEMONIC_DIV || m == ZYDIS_MNEMONIC_IDIV) && shape == Shape::kE) {
    SetupDivide();
  } else if (IsBitTest(m) && shape == Shape::kEG && e_mem_) {
    // The bit offset reaches outside the operand: keep it within +-256 bits.
    SetRegValue(g_, static_cast<uint64_t>(Below(512) - 256));
  } else if (IsCountJump(m)) {
    const int asize = m64_ ? (has67_ ? 4 : 8) : (has67_ ? 2 : 4);
    const uint64_t counts[] = {0, 0, 1, 2, Value()};
    SetRegValue({kRcx, asize}, counts[Below(std::size(counts))]);
  } else if (m == ZYDIS_MNEMONIC_CMPXCHG && Chance(50)) {
    SetRegValue({kRax, size_}, e_mem_ ? ReadData(target_, size_) : RegValue(e_reg_));
  } else if (shape == Shape::kNone && (form_->attrs & (kRep | kRepCc))) {
    SetupString();
  }
}

// DIV/IDIV: mostly quotients that fit (RDX below the divisor, or the sign-extension of
// RAX), some that overflow or divide by zero: #DE is compared too.
void CaseBuilder::SetupDivide() {
  const int bits = 8 * size_;
  const uint64_t mask = Mask(bits);
  uint64_t d = Value(bits);
  if (d == 0 && Chance(70)) d = 1 + Below(255);
  const uint64_t lo = Value(bits);
  uint64_t hi;
  if (Chance(88)) {
    if (c_.mnemonic == ZYDIS_MNEMONIC_DIV)
      hi = d ? Value(bits) % d : 0;
    else
      hi = (lo >> (bits - 1)) & 1 ? mask : 0;
  } else {
    hi = Value(bits);
  }
  if (bits == 8) {
    SetRegValue({kRax, 2}, hi << 8 | lo);
  } else {
    SetRegValue({kRax, size_}, lo);
    SetRegValue({kRdx, size_}, hi);
  }
  e_mem_ ? WriteData(target_, size_, d) : SetRegValue(e_reg_, d);
}

// String instructions: RSI/RDI inside the region, a small count under REP, and for
// REPE/REPNE compares data that matches for a while.
void CaseBuilder::SetupString() {
  const bool compare = form_->attrs & kRepCc;
  const int rep = Below(3);  // 0: none, 1: F3, 2: F2 (compares only)
  const bool has_rep = rep == 1 || (rep == 2 && compare);
  if (has_rep) legacy_.push_back(rep == 2 ? 0xF2 : 0xF3);
  addr32_ = !m64_ || Chance(25);
  if (m64_ && addr32_) Add67();
  const int asize = addr32_ ? 4 : 8;
  const int n = has_rep ? (Chance(80) ? Below(8) : Below(33)) : 1;  // at most 256 bytes
  const uint64_t rsi = kDiffDataBase + 0x200 + Below(0xC00);
  const uint64_t rdi = kDiffDataBase + 0x200 + Below(0xC00);
  SetRegValue({kRsi, asize}, rsi);
  SetRegValue({kRdi, asize}, rdi);
  if (has_rep) SetRegValue({kRcx, asize}, static_cast<uint64_t>(n));
  count_ = has_rep ? n : -1;
  if (!compare || !Chance(50)) return;
  const int64_t step = (c_.initial.rflags & kFlagDF) ? -size_ : size_;
  const bool scas = c_.mnemonic == ZYDIS_MNEMONIC_SCASB || c_.mnemonic == ZYDIS_MNEMONIC_SCASW ||
                    c_.mnemonic == ZYDIS_MNEMONIC_SCASD || c_.mnemonic == ZYDIS_MNEMONIC_SCASQ;
  for (int i = 0; i < std::max(n, 1); ++i) {
    const uint64_t v = scas ? RegValue({kRax, size_}) : ReadData(rsi + i * step, size_);
    WriteData(rdi + i * step, size_, v);
  }
  if (Chance(40)) {
    const uint64_t at = rdi + Below(std::max(n, 1)) * step + Below(size_);
    WriteData(at, 1, ReadData(at, 1) ^ (1u << Below(8)));
  }
}

}  // namespace vmxemu::cpu::testing::gen
