// What the differential test of the integer ISA (cpu/unicorn_diff_test.cc) runs on both
// vmxemu and Unicorn: a few instruction bytes at a fixed code address followed by HLT,
// an initial register state, and a small data region that every memory operand (and
// the stack) addresses. Both sides use the same layout.
#ifndef VMXEMU_CPU_TESTING_DIFF_CASE_H_
#define VMXEMU_CPU_TESTING_DIFF_CASE_H_

#include <Zydis/Zydis.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cpu/testing/cpu_harness.h"

namespace vmxemu::cpu::testing {

// The code runs at kDiffCodeBase (= the harness's code base); the data region is one
// page at kDiffDataBase (= the harness's data base).
inline constexpr uint64_t kDiffCodeBase = kCodeBase;
inline constexpr uint64_t kDiffDataBase = kDataBase;
inline constexpr uint64_t kDiffDataSize = 0x1000;
inline constexpr uint8_t kHlt = 0xF4;

// Registers, RIP, RFLAGS and the data region. In 32-bit mode only gpr[0..7] are used
// and hold 32-bit values.
struct MachineState {
  std::array<uint64_t, 16> gpr = {};
  uint64_t rip = 0;
  uint64_t rflags = 0x2;
  std::array<uint8_t, kDiffDataSize> data = {};
};

// The result of running a case on one side.
struct Outcome {
  MachineState state;    // at the HLT, or at the faulting instruction
  bool faulted = false;  // an exception was raised (state is the pre-fault state)
  uint8_t vector = 0;
  // The emulator stopped for its own reasons (Unicorn error, vmxemu emulator limit).
  std::string error;
  bool unimplemented = false;  // vmxemu: "unimplemented instruction X"
};

// One generated case. `index` and `seed` reproduce it alone (see InsnGenerator).
struct DiffCase {
  Mode mode = Mode::kLong64;
  uint64_t seed = 0;
  uint64_t index = 0;
  std::vector<uint8_t> code;  // without the trailing HLT
  // Where the instruction under test starts: after an optional flag-producing lead-in
  // (so that it reads flags vmxemu holds lazily), which writes the six arithmetic flags
  // and leaves `lead_in_undefined_flags` undefined.
  size_t insn_offset = 0;
  uint64_t lead_in_undefined_flags = 0;
  MachineState initial;
  ZydisMnemonic mnemonic = ZYDIS_MNEMONIC_INVALID;  // the instruction under test
  int opsize_bits = 0;
  // From the defined-flags table (defined_flags.h) for this mnemonic and count: flags
  // whose value the SDM leaves undefined (not compared), and flags the instruction may
  // write (the others must keep their initial value).
  uint64_t undefined_flags = 0;
  uint64_t written_flags = 0;
  // GPRs (bit i = gpr[i]) whose result the SDM leaves undefined (BSF/BSR of zero).
  uint16_t undefined_gprs = 0;
  // The explicit memory operand, if any (for reports).
  uint64_t mem_address = 0;
  int mem_size = 0;
};

inline int NumGprs(Mode mode) { return mode == Mode::kLong64 ? 16 : 8; }

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_DIFF_CASE_H_
