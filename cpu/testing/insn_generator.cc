#include "cpu/testing/insn_generator.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "cpu/flags.h"
#include "cpu/state.h"
#include "cpu/testing/case_builder.h"
#include "cpu/testing/defined_flags.h"

namespace vmxemu::cpu::testing {
namespace gen {

// Edge-biased values: 0, 1, -1, sign bits, maxima, small numbers, at random widths,
// with the bits above that width zero, sign-extended or random.
uint64_t CaseBuilder::Value(int bits) {
  uint64_t v;
  const int r = Below(10);
  if (r < 4) {
    v = rng_();
  } else if (r < 7) {
    const int w = 8 << Below(4);
    const uint64_t sign = 1ull << (w - 1);
    const uint64_t edges[] = {0,        1,    2,    Mask(w), sign,       sign - 1,
                              sign + 1, 0x7F, 0x80, 0xFF,    Mask(w) - 1};
    v = edges[Below(std::size(edges))] & Mask(w);
    switch (Below(4)) {
      case 0:
        v |= rng_() & ~Mask(w);
        break;
      case 1:
        if (v & sign) v |= ~Mask(w);
        break;
      default:
        break;
    }
  } else if (r < 9) {
    v = static_cast<uint64_t>(Below(33) - 16);
  } else {
    v = rng_() & Mask(8 << Below(4));
  }
  return v & Mask(bits);
}

void CaseBuilder::InitState() {
  MachineState& s = c_.initial;
  for (int i = 0; i < NumGprs(c_.mode); ++i) s.gpr[i] = Value(m64_ ? 64 : 32);
  s.gpr[kRsp] = (kDiffDataBase + 0x300 + Below(0xA00)) & ~uint64_t{Chance(80) ? 7u : 0u};
  for (size_t i = 0; i < s.data.size(); i += 8) {
    const uint64_t v = rng_();
    memcpy(&s.data[i], &v, 8);
  }
  const uint64_t arith = rng_() & kArithFlags;
  s.rflags = 0x2 | arith | (Chance(50) ? kFlagDF : 0);
  s.rip = kDiffCodeBase;
}

int CaseBuilder::PickSize() {
  uint8_t sizes = form_->sizes;
  if (form_->attrs & kStack) sizes = kS16 | (m64_ ? kS64 : kS32);
  if (!m64_) sizes &= ~kS64;
  int options[4], n = 0;
  for (int s = 1; s <= 8; s <<= 1) {
    if (sizes & s) options[n++] = s;
  }
  return options[Below(n)];
}

void CaseBuilder::ChooseRex() {
  const bool byte_regs = size_ == 1 || (form_->shape == Shape::kGExt && form_->src_size == 1);
  enc_.rex_w = m64_ && size_ == 8 && !(form_->attrs & kStack);
  if (!m64_) return;
  enc_.rex = Chance(byte_regs ? 50 : 15);
  rex_present_ = enc_.rex || enc_.rex_w;
  hi_regs_ = !byte_regs || rex_present_;
}

uint64_t CaseBuilder::RegValue(Reg r) const {
  const int full = FullGpr(r);
  const int shift = full != r.num ? 8 : 0;
  return (c_.initial.gpr[full] >> shift) & Mask(8 * r.size);
}

void CaseBuilder::SetRegValue(Reg r, uint64_t v) {
  const int full = FullGpr(r);
  if (full == kRsp) return;  // RSP stays in the data region: exceptions push frames there
  const int shift = full != r.num ? 8 : 0;
  const uint64_t m = Mask(8 * r.size) << shift;
  uint64_t& g = c_.initial.gpr[full];
  g = (g & ~m) | ((v << shift) & m);
  if (!m64_) g &= 0xFFFFFFFFu;
}

uint64_t CaseBuilder::ReadData(uint64_t addr, int size) const {
  uint64_t v = 0;
  memcpy(&v, &c_.initial.data[addr - kDiffDataBase], size);
  return v;
}

void CaseBuilder::WriteData(uint64_t addr, int size, uint64_t v) {
  memcpy(&c_.initial.data[addr - kDiffDataBase], &v, size);
}

// A data address with room for the operand and for the BT bit offsets and string
// iterations around it.
uint64_t CaseBuilder::PickTarget(int size) {
  uint64_t t = kDiffDataBase + 0x100 + Below(0xE00 - size);
  if (Chance(50)) t &= ~uint64_t(size - 1);
  return t;
}

void CaseBuilder::ChooseOperands() {
  const Form& f = *form_;
  switch (f.shape) {
    case Shape::kEG:
    case Shape::kGE:
    case Shape::kEGI:
    case Shape::kEGCL:
    case Shape::kGEI:
      g_ = {PickReg(), size_};
      // A BT* bit offset must be settable (RSP is not: it keeps its value).
      while (IsBitTest(c_.mnemonic) && FullGpr(g_) == kRsp) g_.num = PickReg();
      enc_.has_modrm = true;
      enc_.reg_field = g_.num;
      ChooseE(size_);
      break;
    case Shape::kGExt:
      g_ = {PickReg(), size_};
      enc_.has_modrm = true;
      enc_.reg_field = g_.num;
      ChooseE(f.mnemonic == ZYDIS_MNEMONIC_MOVSXD ? std::min(4, size_) : f.src_size);
      break;
    case Shape::kE:
    case Shape::kEI:
    case Shape::kE1:
    case Shape::kECL:
      enc_.has_modrm = true;
      enc_.reg_field = f.digit;
      ChooseE(size_);
      break;
    case Shape::kO:
    case Shape::kOI: {
      int r = PickReg();
      // 90 without REX.B is NOP, not XCHG eAX, eAX.
      while (f.mnemonic == ZYDIS_MNEMONIC_XCHG && r == 0) r = PickReg();
      enc_.opcode_reg = r;
      g_ = {r, size_};
      break;
    }
    case Shape::kMoffs:
      ChooseMoffs();
      break;
    case Shape::kRel:
      ChooseRel();
      break;
    case Shape::kAccI:
    case Shape::kI:
    case Shape::kNone:
      break;
  }
  switch (f.imm) {
    case Imm::kNone:
      break;
    case Imm::kIb:
      enc_.imm_len = 1;
      break;
    case Imm::kIz:
      enc_.imm_len = size_ == 2 ? 2 : 4;
      break;
    case Imm::kIv:
      enc_.imm_len = size_;
      break;
  }
  if (f.imm != Imm::kNone) enc_.imm = Value(8 * enc_.imm_len);
}

void CaseBuilder::ChooseE(int size) {
  if (!(form_->attrs & kMemOnly) && Chance(50)) {
    e_reg_ = {PickReg(), size};
    enc_.e_is_reg = true;
    enc_.e_reg = e_reg_.num;
    return;
  }
  e_mem_ = true;
  enc_.e_is_reg = false;
  MemEncoding& m = enc_.mem;
  addr32_ = !m64_ || Chance(15);
  const uint32_t excluded = ExcludedAddressRegs();
  auto pick = [&](bool index) {
    for (;;) {
      const int r = PickReg();
      if (excluded & (1u << r)) continue;
      if (index && (r == kRsp || r == m.base)) continue;
      return r;
    }
  };
  const int kind = Below(100);
  m.scale_log2 = Below(4);
  if (m64_ && kind < 12) {
    m.rip_relative = true;
  } else if (kind < 22) {
    m.index = Chance(50) ? pick(true) : -1;
    m.use_sib = Chance(50);
    m.disp_len = 4;
  } else {
    m.base = pick(false);
    m.index = m.base != kRsp && Chance(50) ? pick(true) : -1;
    m.use_sib = Chance(20);
    m.disp_len = (m.base == kRsp) ? Below(2) : Below(3) == 2 ? 4 : Below(2);
    if (m.disp_len == 1) m.disp = static_cast<int8_t>(rng_());
    if (m.disp_len == 4) m.disp = static_cast<int32_t>(rng_());
    if (m.base == kRsp && m.disp_len == 1) m.disp = Below(129) - 64;
  }
  target_ = m.base == kRsp ? c_.initial.gpr[kRsp] + m.disp : PickTarget(size);
  c_.mem_address = target_;
  c_.mem_size = size;
  if (Chance(35)) WriteData(target_, size, Value(8 * size));
}

// Registers the instruction uses implicitly or as a bit offset: they keep the values
// the specials give them, so they do not address memory.
uint32_t CaseBuilder::ExcludedAddressRegs() const {
  uint32_t m = 0;
  if (form_->shape == Shape::kECL || form_->shape == Shape::kEGCL) m |= 1u << kRcx;
  switch (c_.mnemonic) {
    case ZYDIS_MNEMONIC_MUL:
    case ZYDIS_MNEMONIC_IMUL:
    case ZYDIS_MNEMONIC_DIV:
    case ZYDIS_MNEMONIC_IDIV:
      if (form_->shape == Shape::kE) m |= 1u << kRax | 1u << kRdx;
      break;
    case ZYDIS_MNEMONIC_CMPXCHG:
      m |= 1u << kRax;
      break;
    default:
      break;
  }
  if (IsBitTest(c_.mnemonic) && form_->shape == Shape::kEG) m |= 1u << FullGpr(g_);
  return m;
}

// Solves base (and index) register values so the operand lands on target_.
void CaseBuilder::AssignAddressRegisters() {
  if (!e_mem_) return;
  MemEncoding& m = enc_.mem;
  MachineState& s = c_.initial;
  const uint64_t amask = addr32_ ? 0xFFFFFFFFull : ~0ull;
  const uint64_t garbage = m64_ && addr32_ ? rng_() << 32 : 0;
  const uint64_t scale = 1ull << m.scale_log2;
  if (m.rip_relative) {
    m.rip_target = target_;
  } else if (m.base < 0 && m.index < 0) {
    m.disp = static_cast<int32_t>(target_);
  } else if (m.base < 0) {
    // [index*scale + disp32]: disp32 is sign-extended, so keep index*scale small.
    const uint64_t idx =
        addr32_ ? rng_() & amask : static_cast<uint64_t>(Below(1 << 28) - (1 << 27));
    m.disp = static_cast<int32_t>((target_ - idx * scale) & amask);
    s.gpr[m.index] = idx | garbage;
  } else if (m.base != kRsp) {
    const uint64_t idx = m.index >= 0 ? Value() : 0;
    const uint64_t disp = static_cast<uint64_t>(static_cast<int64_t>(m.disp));
    s.gpr[m.base] = ((target_ - idx * scale - disp) & amask) | garbage;
    if (m.index >= 0) s.gpr[m.index] = idx;
  }
  if (m64_ && addr32_) Add67();
}

void CaseBuilder::ChooseMoffs() {
  addr32_ = !m64_ || Chance(25);
  if (m64_ && addr32_) Add67();
  target_ = PickTarget(size_);
  c_.mem_address = target_;
  c_.mem_size = size_;
  enc_.imm = target_;
  enc_.imm_len = addr32_ ? 4 : 8;
  if (Chance(35)) WriteData(target_, size_, Value(8 * size_));
}

void CaseBuilder::Finish() {
  const Form& f = *form_;
  if (size_ == 2) legacy_.push_back(0x66);
  if (e_mem_ && (f.attrs & kLock) && Chance(20)) legacy_.push_back(0xF0);
  // Segment overrides: every segment is flat with base 0 in both modes (in 64-bit mode
  // ES/CS/SS/DS overrides are ignored, FS/GS have base 0 here).
  const bool memory = e_mem_ || f.shape == Shape::kMoffs || f.shape == Shape::kNone;
  if (memory && Chance(10)) {
    constexpr uint8_t kSegmentPrefixes[] = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65};
    legacy_.push_back(kSegmentPrefixes[Below(std::size(kSegmentPrefixes))]);
  }
  std::shuffle(legacy_.begin(), legacy_.end(), rng_);
  enc_.prefixes = legacy_;
  // Branches get a lead-in most often: flag-setting ALU + Jcc is what vmxemu fuses.
  const bool lead_in = Chance(f.shape == Shape::kRel ? 80 : 30);
  c_.code = lead_in ? MakeLeadIn(enc_.Bytes(kDiffCodeBase)) : std::vector<uint8_t>{};
  c_.insn_offset = c_.code.size();
  const std::vector<uint8_t> insn = enc_.Bytes(kDiffCodeBase + c_.insn_offset);
  c_.code.insert(c_.code.end(), insn.begin(), insn.end());
  c_.code.insert(c_.code.end(), follower_.begin(), follower_.end());
  if (!m64_) {
    for (uint64_t& g : c_.initial.gpr) g &= 0xFFFFFFFFu;
  }
  FlagEffect fe;
  if (LookUpFlagEffect(c_.mnemonic, 8 * size_, count_, &fe)) {
    // A flag the lead-in left undefined stays so unless the instruction under test writes
    // it (a Jcc's follower may not run).
    c_.lead_in_undefined_flags = c_.insn_offset ? lead_in_undefined_ : 0;
    c_.undefined_flags = fe.undefined | (c_.lead_in_undefined_flags & ~fe.written);
    c_.written_flags = fe.written | follower_written_ | (c_.insn_offset ? kArithFlags : 0);
  } else {  // not in the table: compare nothing (the form-table test catches this)
    c_.undefined_flags = c_.written_flags = kArithFlags | kFlagDF;
  }
  if (c_.mnemonic == ZYDIS_MNEMONIC_BSF || c_.mnemonic == ZYDIS_MNEMONIC_BSR) {
    // SDM Vol. 2A BSF/BSR: a zero source leaves the destination undefined.
    const uint64_t src = e_mem_ ? ReadData(target_, size_) : RegValue(e_reg_);
    if (src == 0) c_.undefined_gprs |= static_cast<uint16_t>(1u << FullGpr(g_));
  }
}

DiffCase CaseBuilder::Build(const Form& form) {
  form_ = &form;
  InitState();
  const int cc = (form.attrs & kCc) ? Below(16) : 0;
  c_.mnemonic = (form.attrs & kCc) ? CcMnemonic(form, cc) : form.mnemonic;
  size_ = PickSize();
  c_.opsize_bits = 8 * size_;
  std::copy(form.opcode, form.opcode + 3, enc_.opcode);
  enc_.opcode_len = form.opcode_len;
  enc_.opcode[form.opcode_len - 1] = static_cast<uint8_t>(enc_.opcode[form.opcode_len - 1] + cc);
  ChooseRex();
  ChooseOperands();
  ApplySpecials();
  AssignAddressRegisters();
  Finish();
  return std::move(c_);
}

}  // namespace gen

InsnGenerator::InsnGenerator(Mode mode, uint64_t seed) : mode_(mode), seed_(seed) {
  const uint8_t mode_bit = mode == Mode::kLong64 ? k64 : k32;
  std::map<ZydisMnemonic, size_t> group_of;
  for (const Form& f : AllForms()) {
    if (!(f.modes & mode_bit)) continue;
    auto [it, inserted] = group_of.try_emplace(f.mnemonic, groups_.size());
    if (inserted) groups_.emplace_back();
    groups_[it->second].push_back(&f);
  }
}

DiffCase InsnGenerator::Generate(uint64_t index) const {
  gen::CaseBuilder b(mode_, seed_, index);
  const auto& group = groups_[b.Below(groups_.size())];
  return b.Build(*group[b.Below(group.size())]);
}

}  // namespace vmxemu::cpu::testing
