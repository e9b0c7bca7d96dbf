// Assembles GNU-as source text into raw machine code with the host binutils, so CPU
// tests read as assembly rather than byte arrays. Intel syntax by default.
#ifndef VMXEMU_CPU_TESTING_ASSEMBLER_H_
#define VMXEMU_CPU_TESTING_ASSEMBLER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vmxemu::cpu::testing {

// `bits` is 16, 32 or 64; `origin` is the address the code will run at (for absolute
// references). Returns the flat bytes or the assembler's error text.
absl::StatusOr<std::vector<uint8_t>> Assemble(const std::string& source, int bits,
                                              uint64_t origin = 0, bool intel_syntax = true);

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_ASSEMBLER_H_
