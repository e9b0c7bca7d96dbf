// Internal to the differential-test generator (insn_generator.cc, case_specials.cc):
// builds one case from a form. The operand choice and addressing are in
// insn_generator.cc; the per-mnemonic operand values (shift counts, divisors, bit
// offsets, string and loop counts) in case_specials.cc.
#ifndef VMXEMU_CPU_TESTING_CASE_BUILDER_H_
#define VMXEMU_CPU_TESTING_CASE_BUILDER_H_

#include <Zydis/Zydis.h>

#include <cstdint>
#include <random>
#include <vector>

#include "cpu/testing/diff_case.h"
#include "cpu/testing/insn_encoding.h"
#include "cpu/testing/insn_forms.h"

namespace vmxemu::cpu::testing::gen {

inline uint64_t Mask(int bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }

inline bool IsShift(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_ROL:
    case ZYDIS_MNEMONIC_ROR:
    case ZYDIS_MNEMONIC_RCL:
    case ZYDIS_MNEMONIC_RCR:
    case ZYDIS_MNEMONIC_SHL:
    case ZYDIS_MNEMONIC_SHR:
    case ZYDIS_MNEMONIC_SAR:
    case ZYDIS_MNEMONIC_SHLD:
    case ZYDIS_MNEMONIC_SHRD:
      return true;
    default:
      return false;
  }
}

inline bool IsBitTest(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_BT || m == ZYDIS_MNEMONIC_BTS || m == ZYDIS_MNEMONIC_BTR ||
         m == ZYDIS_MNEMONIC_BTC;
}

inline bool IsCountJump(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_LOOP || m == ZYDIS_MNEMONIC_LOOPE || m == ZYDIS_MNEMONIC_LOOPNE ||
         m == ZYDIS_MNEMONIC_JCXZ || m == ZYDIS_MNEMONIC_JECXZ || m == ZYDIS_MNEMONIC_JRCXZ;
}

// A register operand: its encoding number (0-15) and size in bytes.
struct Reg {
  int num = -1;
  int size = 0;
};

// Builds one case; all randomness comes from rng_.
class CaseBuilder {
 public:
  CaseBuilder(Mode mode, uint64_t seed, uint64_t index) : m64_(mode == Mode::kLong64) {
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                      static_cast<uint32_t>(mode), static_cast<uint32_t>(index),
                      static_cast<uint32_t>(index >> 32)};
    rng_.seed(seq);
    c_.mode = mode;
    c_.seed = seed;
    c_.index = index;
    enc_.mode64 = m64_;
  }

  int Below(uint64_t n) { return static_cast<int>(rng_() % n); }
  bool Chance(int percent) { return Below(100) < percent; }

  DiffCase Build(const Form& form);

 private:
  uint64_t Value(int bits = 64);
  void InitState();
  int PickSize();
  void ChooseRex();
  int PickReg() { return Below(hi_regs_ ? 16 : 8); }
  int FullGpr(Reg r) const {
    return r.size == 1 && !rex_present_ && r.num >= 4 && r.num < 8 ? r.num - 4 : r.num;
  }
  uint64_t RegValue(Reg r) const;
  // Sets the low r.size bytes (the rest keeps its value); never RSP.
  void SetRegValue(Reg r, uint64_t v);
  uint64_t ReadData(uint64_t addr, int size) const;
  void WriteData(uint64_t addr, int size, uint64_t v);
  uint64_t PickTarget(int size);

  void ChooseOperands();
  void ChooseE(int size);
  uint32_t ExcludedAddressRegs() const;
  void AssignAddressRegisters();
  void ChooseMoffs();
  void ChooseRel();
  void ApplySpecials();
  void SetupDivide();
  void SetupString();
  int64_t PickCount(int bits);
  void Add67() {
    legacy_.push_back(0x67);
    has67_ = true;
  }
  std::vector<uint8_t> MakeLeadIn(const std::vector<uint8_t>& insn);
  void Finish();

  std::mt19937_64 rng_;
  const bool m64_;
  DiffCase c_;
  Encoding enc_;
  const Form* form_ = nullptr;
  int size_ = 4;
  bool rex_present_ = false;  // a REX prefix will be emitted (byte registers 4-7 = SPL..)
  bool hi_regs_ = false;      // registers 8-15 may be chosen
  bool addr32_ = false;       // 32-bit addressing of a memory operand (67 in 64-bit mode)
  bool has67_ = false;        // the address-size prefix is present
  Reg g_, e_reg_;
  bool e_mem_ = false;
  uint64_t target_ = 0;
  int64_t count_ = -1;           // for the flag rules (defined_flags.h)
  std::vector<uint8_t> legacy_;  // legacy prefixes, shuffled at the end
  std::vector<uint8_t> follower_;
  uint64_t follower_written_ = 0;
  uint64_t lead_in_undefined_ = 0;  // flags the lead-in leaves undefined
};

}  // namespace vmxemu::cpu::testing::gen

#endif  // VMXEMU_CPU_TESTING_CASE_BUILDER_H_
