// The instruction forms the differential test generates: one row per opcode form of
// the integer ISA (SDM Vol. 2 opcode tables), with its operand shape, sizes and the
// prefixes it may take. The generator (insn_generator.h) picks rows and encodes them.
#ifndef VMXEMU_CPU_TESTING_INSN_FORMS_H_
#define VMXEMU_CPU_TESTING_INSN_FORMS_H_

#include <Zydis/Zydis.h>

#include <cstdint>
#include <vector>

namespace vmxemu::cpu::testing {

// Operand shapes (SDM Vol. 2 Appendix A notation: E = ModRM r/m, G = ModRM reg).
enum class Shape : uint8_t {
  kEG,     // op E, G
  kGE,     // op G, E
  kE,      // op E (ModRM.reg = digit)
  kEI,     // op E, imm (digit)
  kE1,     // shift E, 1 (digit)
  kECL,    // shift E, CL (digit)
  kEGI,    // SHLD/SHRD E, G, imm8
  kEGCL,   // SHLD/SHRD E, G, CL
  kGEI,    // IMUL G, E, imm
  kGExt,   // MOVZX/MOVSX/MOVSXD G, E of src_size bytes
  kAccI,   // op AL/AX/EAX/RAX, imm (no ModRM)
  kI,      // PUSH imm
  kO,      // register in the opcode's low 3 bits
  kOI,     // MOV register (opcode low bits), imm
  kNone,   // no explicit operands (string ops, CBW, LAHF, CLC, ...)
  kRel,    // Jcc/LOOP/JrCXZ over a following instruction
  kMoffs,  // MOV AL/eAX <-> absolute address (A0-A3)
};

enum class Imm : uint8_t { kNone, kIb, kIz, kIv };

// Operand sizes in bytes, as a mask.
inline constexpr uint8_t kS8 = 1, kS16 = 2, kS32 = 4, kS64 = 8;
inline constexpr uint8_t kSv = kS16 | kS32 | kS64;

// Modes a form exists in.
inline constexpr uint8_t k64 = 1, k32 = 2, kBoth = k64 | k32;

// Attributes.
inline constexpr uint16_t kLock = 1 << 0;     // LOCK allowed with a memory destination
inline constexpr uint16_t kRep = 1 << 1;      // REP (F3) allowed
inline constexpr uint16_t kRepCc = 1 << 2;    // REPE/REPNE (F3/F2) allowed
inline constexpr uint16_t kCc = 1 << 3;       // opcode's low nibble is a condition code
inline constexpr uint16_t kMemOnly = 1 << 4;  // E must be memory (LEA)
inline constexpr uint16_t kStack = 1 << 5;    // stack operand size: 16 or 32/64 by mode
inline constexpr uint16_t kAddr67 = 1 << 6;   // always has the address-size prefix
inline constexpr uint16_t kAddrOpt = 1 << 7;  // may take the address-size prefix
inline constexpr uint16_t kStore = 1 << 8;    // kMoffs: store (A2/A3) rather than load

struct Form {
  ZydisMnemonic mnemonic;  // for kCc rows: condition 0's; see CcMnemonic()
  uint8_t opcode[3];
  uint8_t opcode_len;
  int8_t digit;  // ModRM.reg for group opcodes, -1 otherwise
  Shape shape;
  uint8_t sizes;
  Imm imm = Imm::kNone;
  uint8_t modes = kBoth;
  uint16_t attrs = 0;
  uint8_t src_size = 0;  // kGExt: source operand size in bytes
};

// All forms, built once.
const std::vector<Form>& AllForms();

// The mnemonic of a kCc row for condition `cc`.
ZydisMnemonic CcMnemonic(const Form& form, int cc);

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_INSN_FORMS_H_
