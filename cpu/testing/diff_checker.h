// The differential test's two sides and their comparison: runs a DiffCase on vmxemu
// (CpuHarness) and on Unicorn (UnicornOracle), compares every GPR, RIP, the data region,
// the exception if any, and the flags the SDM defines for the instruction (table in
// defined_flags.h), and writes a report that reproduces a mismatch alone.
#ifndef VMXEMU_CPU_TESTING_DIFF_CHECKER_H_
#define VMXEMU_CPU_TESTING_DIFF_CHECKER_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/diff_case.h"
#include "cpu/testing/unicorn_oracle.h"

namespace vmxemu::cpu::testing {

// Runs cases on vmxemu with the layout of diff_case.h. Exceptions go through IDT gates
// to one HLT per vector, and the pre-fault state is recovered from the exception frame.
class VmxemuRunner {
 public:
  explicit VmxemuRunner(Mode mode);
  Outcome Run(const std::vector<uint8_t>& code, const MachineState& in);

 private:
  void RecoverFaultState(uint8_t vector, const MachineState& in, Outcome* out);

  CpuHarness h_;
};

// A case where Unicorn is known to differ from the SDM. `applies` recognizes it from the
// case and Unicorn's outcome. Then Unicorn runs `equivalent_code` instead (an encoding
// that means the same per the SDM and that Unicorn gets right), and/or `correct` rewrites
// Unicorn's outcome to what the SDM says. Either way vmxemu is still compared.
struct UnicornDeviation {
  const char* name;
  const char* sdm_reference;
  bool (*applies)(const DiffCase& c, const Outcome& unicorn);
  std::vector<uint8_t> (*equivalent_code)(const DiffCase& c);
  void (*correct)(const DiffCase& c, Outcome* unicorn);
};

struct DiffResult {
  enum class Kind { kMatch, kSkipped, kMismatch };
  Kind kind = Kind::kMatch;
  std::string report;                               // kMismatch: what differs; kSkipped: why
  std::vector<const UnicornDeviation*> deviations;  // applied to Unicorn's outcome
  bool faulted = false;
};

// Compares the two outcomes of case `c`; `deviations` (those applied to Unicorn's outcome)
// are named in reports.
DiffResult CompareOutcomes(const DiffCase& c, const Outcome& vmxemu, const Outcome& unicorn,
                           std::vector<const UnicornDeviation*> deviations = {});

// Intel-syntax disassembly of the case's code, one instruction per line.
std::string Disassemble(Mode mode, const std::vector<uint8_t>& code);

// The case's code, initial registers and memory operand, for reports.
std::string DescribeCase(const DiffCase& c);

// Both sides for one mode; Run() generates nothing, it runs and compares a given case.
class DiffRunner {
 public:
  DiffRunner(Mode mode, std::span<const UnicornDeviation> deviations)
      : vmxemu_(mode), unicorn_(mode), deviations_(deviations) {}
  DiffResult Run(const DiffCase& c);
  // Unicorn's outcome for `c` with every matching deviation applied, in table order (at
  // most one equivalent encoding), listed in *applied.
  Outcome RunUnicorn(const DiffCase& c, std::vector<const UnicornDeviation*>* applied);
  Outcome RunVmxemu(const DiffCase& c) { return vmxemu_.Run(c.code, c.initial); }

 private:
  VmxemuRunner vmxemu_;
  UnicornOracle unicorn_;
  std::span<const UnicornDeviation> deviations_;
};

// Counts over many cases, and the first few mismatch reports.
struct DiffStats {
  uint64_t compared = 0;
  uint64_t mismatches = 0;
  uint64_t faults = 0;                      // compared cases that raised an exception on both sides
  std::map<std::string, uint64_t> skipped;  // "unimplemented instruction X" -> cases
  std::map<std::string, uint64_t> deviations;  // deviation name -> cases corrected
  std::map<std::string, uint64_t> mismatched;  // mnemonic -> mismatching cases
  std::vector<std::string> reports;

  void Add(const DiffCase& c, const DiffResult& r, size_t max_reports = 10);
  uint64_t skipped_total() const;
  std::string Summary() const;
};

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_DIFF_CHECKER_H_
