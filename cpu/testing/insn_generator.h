// Seeded generator of random integer-ISA test cases for the differential test: a
// random instruction form from the table in insn_forms.h, random operands (all operand
// sizes, AH..BH and REX byte registers, register and memory operands with every
// addressing form, address-size and segment overrides, LOCK/REP prefixes), random
// initial registers biased to edge values (0, 1, -1, INT_MIN, INT_MAX, 0x7F, 0x80, ...),
// random flags. A third of the cases put a flag-producing ALU instruction (on a register
// the instruction under test does not use) before it, so that it reads flags vmxemu holds
// lazily; Jcc/LOOP/JrCXZ jump over one following instruction.
//
// Memory operands always address the data region of diff_case.h: the generator picks a
// target there and solves for the base register, so nothing faults except on purpose:
// some DIV/IDIV cases divide by zero or overflow (#DE), and in 32-bit mode a write
// through a CS override is #GP.
//
// Case `index` of a seed is generated from its own std::mt19937_64 seeded with
// (seed, mode, index), so any single case can be regenerated without the others.
#ifndef VMXEMU_CPU_TESTING_INSN_GENERATOR_H_
#define VMXEMU_CPU_TESTING_INSN_GENERATOR_H_

#include <cstdint>
#include <vector>

#include "cpu/testing/diff_case.h"
#include "cpu/testing/insn_forms.h"

namespace vmxemu::cpu::testing {

class InsnGenerator {
 public:
  InsnGenerator(Mode mode, uint64_t seed);

  DiffCase Generate(uint64_t index) const;

 private:
  Mode mode_;
  uint64_t seed_;
  // The forms that exist in mode_, grouped by mnemonic (the condition-code families
  // are one group each), so every mnemonic is picked about equally often.
  std::vector<std::vector<const Form*>> groups_;
};

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_INSN_GENERATOR_H_
