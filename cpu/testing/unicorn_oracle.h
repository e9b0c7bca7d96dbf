// Unicorn (Debian's libunicorn, QEMU TCG inside) as the reference for the integer ISA:
// runs a code snippet from a register state and a data region laid out as in
// diff_case.h, in 64-bit or 32-bit protected mode, and returns the final state or the
// exception it raised.
#ifndef VMXEMU_CPU_TESTING_UNICORN_ORACLE_H_
#define VMXEMU_CPU_TESTING_UNICORN_ORACLE_H_

#include <cstdint>
#include <vector>

#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/diff_case.h"

struct uc_struct;
struct uc_context;

namespace vmxemu::cpu::testing {

class UnicornOracle {
 public:
  // Mode::kLong64 (UC_MODE_64) or Mode::kProtected32 (UC_MODE_32, flat segments).
  explicit UnicornOracle(Mode mode);
  ~UnicornOracle();
  UnicornOracle(const UnicornOracle&) = delete;
  UnicornOracle& operator=(const UnicornOracle&) = delete;

  // Writes `code` + HLT at kDiffCodeBase and the data region, loads the registers and
  // RFLAGS, and runs until RIP reaches the HLT (which Unicorn does not execute) or an
  // exception is raised. On an exception RIP is that of the faulting instruction.
  Outcome Run(const std::vector<uint8_t>& code, const MachineState& in);

 private:
  void WriteRegisters(const MachineState& in);
  void ReadRegisters(MachineState* out);

  Mode mode_;
  uc_struct* uc_ = nullptr;
  uc_context* pristine_ = nullptr;  // CPU state right after initialization
  int intno_ = -1;                  // set by the interrupt hook
};

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_UNICORN_ORACLE_H_
