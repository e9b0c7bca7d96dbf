// The SDM's "Flags Affected" of every integer instruction the differential test
// generates, as one table keyed by mnemonic: which RFLAGS bits the instruction writes,
// and which of those it leaves undefined. Shifts, rotates, SHLD/SHRD and the repeated
// string compares depend on their count; a rule per row says how.
#ifndef VMXEMU_CPU_TESTING_DEFINED_FLAGS_H_
#define VMXEMU_CPU_TESTING_DEFINED_FLAGS_H_

#include <Zydis/Zydis.h>

#include <cstdint>

namespace vmxemu::cpu::testing {

struct FlagEffect {
  uint64_t written = 0;    // flags the instruction may change
  uint64_t undefined = 0;  // of those, the ones whose value the SDM leaves undefined
};

// `count` is the count operand before masking (imm8 or CL) for shifts, rotates and
// SHLD/SHRD, or RCX/ECX for REP-prefixed string compares; -1 when there is none.
// Returns false for a mnemonic the table does not know.
bool LookUpFlagEffect(ZydisMnemonic m, int opsize_bits, int64_t count, FlagEffect* out);

// The Jcc, SETcc and CMOVcc mnemonics in condition-code order (opcode low nibble,
// SDM Vol. 1 Appendix B, Table B-1).
extern const ZydisMnemonic kJccMnemonics[16];
extern const ZydisMnemonic kSetccMnemonics[16];
extern const ZydisMnemonic kCmovccMnemonics[16];

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_DEFINED_FLAGS_H_
