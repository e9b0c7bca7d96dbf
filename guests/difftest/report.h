// The transcript conventions shared by the difftest guests. A guest prints
// result lines (values, flags, vectors, error codes) that must be byte-for-
// byte the same on QEMU TCG and vmxemu; where the SDM fixes the expected
// value, it also checks it with Expect(), which prints "FAIL ..." on a
// mismatch. kmain returns Finish(): 0 if no check failed, 1 otherwise.
//
// Two conventions keep transcripts short (the serial port is slow on an
// emulator that models the UART's baud rate) and comparable:
//  - large groups of results print one digest line (Digest); with "verbose"
//    on the kernel command line, Detail() lines show every case too;
//  - lines that depend on the CPU model, not on correctness (a CPUID
//    feature QEMU's default model lacks and vmxemu has), start with
//    kModelPrefix, and the differential test leaves them out of the
//    comparison; checks made for them are not counted by Finish().
#ifndef GUESTS_DIFFTEST_REPORT_H_
#define GUESTS_DIFFTEST_REPORT_H_

#include <stdint.h>

namespace difftest {

inline constexpr char kModelPrefix[] = "cpu-model: ";

// Counts one check; prints "FAIL <message>" unless passed. Returns passed.
bool Expect(bool passed, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

// Prints "<topic>: <n> checks, <m> failed" and returns the exit code.
int Finish(const char* topic);

// While set, Expect() counts failures but not checks (see kModelPrefix).
void SetModelSpecific(bool model_specific);

// True if the kernel command line has the word "verbose".
bool Verbose();
// printf, but only when Verbose().
void Detail(const char* format, ...) __attribute__((format(printf, 1, 2)));

// FNV-1a over a group of results; Print() writes
// "<name>: <count> cases, fnv=<hash>".
class Digest {
 public:
  void Add(uint64_t value);
  void CountCase() { ++cases_; }
  void Print(const char* name) const;

 private:
  uint32_t hash_ = 2166136261u;
  int cases_ = 0;
};

}  // namespace difftest

#endif  // GUESTS_DIFFTEST_REPORT_H_
