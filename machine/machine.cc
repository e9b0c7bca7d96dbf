#include "machine/machine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "machine/memory_map.h"

namespace vmxemu::machine {
namespace {

// Instructions per Cpu::Run call when there is no budget (the loop just goes round).
constexpr uint64_t kChunk = uint64_t{1} << 30;
constexpr int kMaxIcountShift = 10;  // as QEMU's -icount shift=N

absl::Status CheckConfig(const MachineConfig& config) {
  if (config.ram_mb < (kMinRamBytes >> 20) || config.ram_mb > (kMaxRamBytes >> 20)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "RAM size %u MiB is not supported: it must be %u..%u MiB (above 3 GiB a PC's RAM "
        "splits around the PCI hole, which vmxemu does not model yet)",
        config.ram_mb, kMinRamBytes >> 20, kMaxRamBytes >> 20));
  }
  if (config.icount_shift < 0 || config.icount_shift > kMaxIcountShift) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "icount shift %d is out of range 0..%d", config.icount_shift, kMaxIcountShift));
  }
  if (config.kernel.empty()) return absl::InvalidArgumentError("no kernel given");
  return absl::OkStatus();
}

}  // namespace

const char* StopKindName(StopKind kind) {
  switch (kind) {
    case StopKind::kGuestExit: return "guest exit";
    case StopKind::kShutdown: return "shutdown";
    case StopKind::kBudget: return "budget exhausted";
    case StopKind::kHalted: return "halted forever";
    case StopKind::kError: return "emulator error";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<Machine>> Machine::Create(const MachineConfig& config) {
  if (absl::Status s = CheckConfig(config); !s.ok()) return s;
  const MultibootRequest request{.kernel_path = config.kernel,
                                 .cmdline = config.cmdline,
                                 .modules = config.modules};
  absl::StatusOr<MultibootFiles> files = ReadMultibootFiles(request);
  if (!files.ok()) return files.status();

  absl::StatusOr<std::unique_ptr<Board>> board = Board::Create({
      .ram_bytes = config.ram_mb << 20,
      .icount_shift = config.icount_shift,
      .serial_out = config.serial_out,
      .warn = config.warn,
  });
  if (!board.ok()) return board.status();
  absl::StatusOr<LoadedKernel> kernel = LoadMultiboot(request, *files, (*board)->memory());
  if (!kernel.ok()) return kernel.status();
  if (config.warn) {
    for (const std::string& w : kernel->warnings) config.warn(w);
  }
  EnterMultibootKernel(*kernel, (*board)->cpu());
  return std::unique_ptr<Machine>(
      new Machine(*std::move(board), *std::move(kernel), config.budget));
}

RunResult Machine::Run() {
  cpu::Cpu& c = cpu();
  const uint64_t start = c.retired();
  for (;;) {
    const uint64_t done = c.retired() - start;
    uint64_t chunk = kChunk;
    if (budget_ != 0) {
      if (done >= budget_) {
        return {.kind = StopKind::kBudget,
                .message = absl::StrFormat("instruction budget of %u exhausted at RIP=0x%x",
                                           budget_, c.s.rip),
                .instructions = done};
      }
      chunk = std::min(chunk, budget_ - done);
    }
    cpu::RunResult r = c.Run(chunk);
    const uint64_t retired = c.retired() - start;
    switch (r.reason) {
      case cpu::StopReason::kBudget:
        continue;  // the loop decides whether the machine's budget is spent
      case cpu::StopReason::kRequested:
        if (board_->halted_forever()) {
          return {.kind = StopKind::kHalted,
                  .message = absl::StrFormat(
                      "HLT at RIP=0x%x with interrupts disabled: only an NMI could wake the "
                      "CPU and nothing on the board raises one",
                      c.s.rip),
                  .instructions = retired};
        }
        if (!board_->exit_request()) continue;
        return {.kind = StopKind::kGuestExit,
                .exit_status = *board_->exit_request(),
                .message = absl::StrFormat("guest wrote 0x%x to isa-debug-exit",
                                           *board_->exit_request() >> 1),
                .instructions = retired};
      case cpu::StopReason::kHalted:
        return {.kind = StopKind::kHalted, .message = r.message, .instructions = retired};
      case cpu::StopReason::kShutdown:
        return {.kind = StopKind::kShutdown, .message = r.message, .instructions = retired};
      case cpu::StopReason::kError:
        return {.kind = StopKind::kError, .message = r.message, .instructions = retired};
    }
  }
}

}  // namespace vmxemu::machine
