// Runs a multiboot kernel on a platform (QEMU TCG today; vmxemu from the x86-64 core
// issue on) and returns what it printed on COM1 and how it exited. The whole-program
// differential tests run the same kernel on both platforms and compare the results.
#ifndef VMXEMU_TESTING_KERNEL_RUNNER_H_
#define VMXEMU_TESTING_KERNEL_RUNNER_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vmxemu::testing {

enum class Platform {
  kQemu,    // qemu-system-x86_64 -accel tcg (the oracle)
  kVmxemu,  // tools/vmxemu/vmxemu, with QEMU's arguments; a test using it lists
            // //tools/vmxemu in its data and runs from its runfiles directory
};

std::string PlatformName(Platform platform);

// Parses "qemu" / "vmxemu"; false for anything else.
bool ParsePlatform(const std::string& name, Platform* platform);

struct KernelSpec {
  std::string kernel;                 // path to a multiboot kernel (ELF32 or ELF64)
  std::string cmdline;                // -append
  std::vector<std::string> modules;   // -initrd m1,m2,...
  int memory_mb = 128;                // -m
  std::chrono::milliseconds timeout{60'000};
};

struct KernelRun {
  std::string serial;       // every byte the guest wrote to COM1
  int exit_status = 0;      // the platform process's exit status
  // The value the guest wrote to isa-debug-exit (port 0xF4), decoded from the exit
  // status (code << 1) | 1; empty when the guest ended another way (e.g. shutdown).
  std::optional<int> guest_exit_code;
  bool timed_out = false;
  std::string diagnostics;  // the platform's own stderr, for failure messages
};

// The command line that runs `spec` on `platform` (for logs and for the user).
std::vector<std::string> PlatformCommand(Platform platform, const KernelSpec& spec,
                                         const std::string& serial_path);

// Runs the kernel to completion or timeout. An error Status means the platform could not
// be run at all (missing binary, unreadable kernel); a guest that fails is a KernelRun.
absl::StatusOr<KernelRun> RunKernel(Platform platform, const KernelSpec& spec);

}  // namespace vmxemu::testing

#endif  // VMXEMU_TESTING_KERNEL_RUNNER_H_
