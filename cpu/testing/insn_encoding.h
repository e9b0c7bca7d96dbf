// Byte-level x86 instruction encoding for the differential-test generator: legacy
// prefixes, REX, opcode, ModRM/SIB/displacement and immediate (SDM Vol. 2A ch. 2). The
// generator chooses every field; this only lays them out, so unusual but valid forms
// (redundant REX, SIB without index, disp8 of 0, [rbp]/[r13] forms) are all reachable.
#ifndef VMXEMU_CPU_TESTING_INSN_ENCODING_H_
#define VMXEMU_CPU_TESTING_INSN_ENCODING_H_

#include <cstdint>
#include <vector>

namespace vmxemu::cpu::testing {

// A ModRM memory operand.
struct MemEncoding {
  int base = -1;   // GPR number 0-15, or -1 for none
  int index = -1;  // GPR number 0-15 except 4 (RSP), or -1
  int scale_log2 = 0;
  int32_t disp = 0;
  int disp_len = 0;           // 0, 1 or 4 bytes (4 is forced with no base)
  bool use_sib = false;       // also for base-only forms that could do without one
  bool rip_relative = false;  // 64-bit mode: [rip + disp32], disp set from rip_target
  uint64_t rip_target = 0;    // address the RIP-relative operand must reach
};

struct Encoding {
  bool mode64 = true;
  std::vector<uint8_t> prefixes;  // legacy prefixes in emission order
  bool rex = false;               // emit a REX prefix (even 0x40)
  bool rex_w = false;
  uint8_t opcode[3] = {};
  int opcode_len = 1;
  int opcode_reg = -1;  // register added to the last opcode byte (0-15), or -1
  bool has_modrm = false;
  int reg_field = 0;  // ModRM.reg: a register number (0-15) or a /digit
  bool e_is_reg = true;
  int e_reg = 0;  // ModRM.rm register when e_is_reg
  MemEncoding mem;
  // Immediate, moffs address or relative displacement, little-endian.
  uint64_t imm = 0;
  int imm_len = 0;

  // The instruction's bytes when it starts at `address` (for RIP-relative operands).
  std::vector<uint8_t> Bytes(uint64_t address) const;
};

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_INSN_ENCODING_H_
