// run_kernel: boots a kernel on a platform through the test runner and prints its
// serial output. Used by `./vmx demo` and by people reproducing a failing test.
//   run_kernel [--platform=qemu|vmxemu] KERNEL [CMDLINE] [MODULE...]
// --platform=vmxemu runs tools/vmxemu/vmxemu relative to the current directory: run it
// from bazel-bin, or with `bazel run` (its runfiles hold vmxemu; give absolute paths).
#include <cstdio>
#include <cstring>
#include <string>

#include "testing/kernel_runner.h"

int main(int argc, char** argv) {
  using vmxemu::testing::Platform;
  Platform platform = Platform::kQemu;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; ++i) {
    if (strncmp(argv[i], "--platform=", 11) != 0 ||
        !vmxemu::testing::ParsePlatform(argv[i] + 11, &platform)) {
      fprintf(stderr, "run_kernel: unknown option '%s'\n", argv[i]);
      return 2;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "usage: run_kernel [--platform=qemu|vmxemu] KERNEL [CMDLINE] [MODULE...]\n");
    return 2;
  }
  vmxemu::testing::KernelSpec spec{.kernel = argv[i++]};
  if (i < argc) spec.cmdline = argv[i++];
  for (; i < argc; ++i) spec.modules.push_back(argv[i]);

  auto run = vmxemu::testing::RunKernel(platform, spec);
  if (!run.ok()) {
    fprintf(stderr, "run_kernel: %s\n", std::string(run.status().message()).c_str());
    return 1;
  }
  fwrite(run->serial.data(), 1, run->serial.size(), stdout);
  fflush(stdout);
  if (run->timed_out) {
    fprintf(stderr, "run_kernel: %s timed out\n", spec.kernel.c_str());
    return 1;
  }
  if (!run->guest_exit_code) {
    fprintf(stderr, "run_kernel: guest ended without a debug-exit (status %d)\n%s",
            run->exit_status, run->diagnostics.c_str());
    return 1;
  }
  fprintf(stderr, "[%s: guest exit code %d]\n",
          vmxemu::testing::PlatformName(platform).c_str(), *run->guest_exit_code);
  return *run->guest_exit_code;
}
