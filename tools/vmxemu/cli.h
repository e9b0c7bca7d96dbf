// The vmxemu command line. It takes QEMU's spellings, so a script that boots a kernel
// with qemu-system-x86_64 boots it with vmxemu by changing the program name:
//
//   vmxemu -kernel K [-append STR] [-initrd M1[,M2...]] [-m MB] [-serial stdio|file:PATH]
//          [-icount N] [-budget N]
//
// QEMU options that describe what vmxemu always is are accepted and ignored (-accel tcg,
// -M pc, -display none, -no-reboot, -nodefaults, -monitor none, -device
// isa-debug-exit,iobase=0xf4,iosize=4); anything else is refused by name.
#ifndef VMXEMU_TOOLS_VMXEMU_CLI_H_
#define VMXEMU_TOOLS_VMXEMU_CLI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "machine/machine.h"

namespace vmxemu::tools {

// Process exit statuses (documented in Usage()). A guest's isa-debug-exit write of v
// exits with (v << 1) | 1 (odd, low 8 bits kept), as QEMU does.
enum ExitStatus : int {
  kExitShutdown = 0,   // triple fault: QEMU with -no-reboot also exits 0
  kExitUsage = 2,      // bad command line, unreadable or unloadable kernel/module
  kExitBudget = 4,     // -budget instructions ran without the guest exiting
  kExitHalted = 6,     // HLT that nothing can ever wake (QEMU would hang)
  kExitEmulator = 8,   // an emulator limit: unimplemented instruction or feature
};

enum class SerialKind { kStdio, kFile, kNull };

struct Options {
  bool help = false;
  machine::MachineConfig config;  // serial_out and warn left for main() to fill in
  SerialKind serial = SerialKind::kStdio;
  std::string serial_path;  // for kFile
};

// Parses the arguments after the program name. Errors name the option and say why.
absl::StatusOr<Options> ParseArgs(const std::vector<std::string>& args);

// Splits a QEMU option list at commas, ",," standing for a literal comma (QEMU's
// get_opt_value), e.g. -initrd "a.bin x,,y,b.bin" -> {"a.bin x,y", "b.bin"}.
std::vector<std::string> SplitQemuList(const std::string& value);

// The --help text.
std::string Usage();

// The exit status for a run's end.
int ExitStatusFor(const machine::RunResult& result);

}  // namespace vmxemu::tools

#endif  // VMXEMU_TOOLS_VMXEMU_CLI_H_
