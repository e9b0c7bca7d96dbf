// vmxemu: boots a multiboot kernel on the emulated PC. See cli.h and `vmxemu --help`.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "machine/machine.h"
#include "tools/vmxemu/cli.h"

namespace vmxemu::tools {
namespace {

int Fail(const std::string& message) {
  fprintf(stderr, "vmxemu: %s\n", message.c_str());
  return kExitUsage;
}

int Main(int argc, char** argv) {
  absl::StatusOr<Options> options = ParseArgs(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) return Fail(std::string(options.status().message()));
  if (options->help) {
    fputs(Usage().c_str(), stdout);
    return 0;
  }

  FILE* serial = nullptr;
  switch (options->serial) {
    case SerialKind::kStdio:
      serial = stdout;
      setvbuf(stdout, nullptr, _IOLBF, 0);
      break;
    case SerialKind::kFile:
      serial = fopen(options->serial_path.c_str(), "wb");
      if (serial == nullptr) {
        return Fail("-serial file:" + options->serial_path + ": " + strerror(errno));
      }
      break;
    case SerialKind::kNull:
      break;
  }
  machine::MachineConfig config = options->config;
  if (serial != nullptr) config.serial_out = [serial](char c) { fputc(c, serial); };

  absl::StatusOr<std::unique_ptr<machine::Machine>> m = machine::Machine::Create(config);
  if (!m.ok()) {
    if (serial != nullptr && serial != stdout) fclose(serial);
    return Fail(std::string(m.status().message()));
  }
  const machine::RunResult result = (*m)->Run();
  if (serial != nullptr) {
    fflush(serial);
    if (serial != stdout) fclose(serial);
  }
  if (result.kind != machine::StopKind::kGuestExit) {
    fprintf(stderr, "vmxemu: %s after %llu instructions: %s\n",
            machine::StopKindName(result.kind),
            static_cast<unsigned long long>(result.instructions), result.message.c_str());
  }
  return ExitStatusFor(result);
}

}  // namespace
}  // namespace vmxemu::tools

int main(int argc, char** argv) { return vmxemu::tools::Main(argc, argv); }
