// A whole machine: the PC board (with its CPU) and a multiboot kernel loaded on it, run
// until something stops it. Every way a run ends is a value (RunResult), never an
// exception or a crash: the guest's debug-exit, a triple fault, the instruction budget,
// a HLT nothing can wake, or an emulator limit (unimplemented instruction or feature).
#ifndef VMXEMU_MACHINE_MACHINE_H_
#define VMXEMU_MACHINE_MACHINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"
#include "machine/board.h"
#include "machine/loader.h"

namespace vmxemu::machine {

struct MachineConfig {
  std::string kernel;                // multiboot kernel (ELF32, ELF64 or a.out kludge)
  std::string cmdline;               // -append
  std::vector<std::string> modules;  // -initrd entries "file[ args]"
  // RAM in MiB, 2..3072: above 3 GiB the PC's RAM splits around the PCI hole, which the
  // board does not model yet.
  uint64_t ram_mb = 128;
  std::function<void(char)> serial_out;  // COM1's output; null discards it
  int icount_shift = 0;                  // 0..10: one instruction = 2^shift virtual ns
  uint64_t budget = 0;                   // instructions to run at most; 0 = no limit
  devices::WarningSink warn = devices::WarnToStderr;
};

enum class StopKind {
  kGuestExit,  // the guest wrote to isa-debug-exit
  kShutdown,   // triple fault
  kBudget,     // the instruction budget ran out
  kHalted,     // HLT with nothing that can ever wake the CPU
  kError,      // an emulator limit: unimplemented instruction or feature
};

const char* StopKindName(StopKind kind);

struct RunResult {
  StopKind kind = StopKind::kError;
  // kGuestExit: the status QEMU's isa-debug-exit exits with, (value << 1) | 1.
  uint64_t exit_status = 0;
  // What happened, naming the RIP; for kShutdown the CPU's register dump.
  std::string message;
  uint64_t instructions = 0;  // retired during the run
};

class Machine {
 public:
  // Builds the board and loads the kernel: errors name the file and the problem.
  static absl::StatusOr<std::unique_ptr<Machine>> Create(const MachineConfig& config);

  // Runs until the guest stops the machine or the budget (if any) is spent. Calling it
  // again continues (a new budget of config.budget instructions).
  RunResult Run();

  Board& board() { return *board_; }
  cpu::Cpu& cpu() { return board_->cpu(); }
  const LoadedKernel& kernel() const { return kernel_; }

 private:
  Machine(std::unique_ptr<Board> board, LoadedKernel kernel, uint64_t budget)
      : board_(std::move(board)), kernel_(std::move(kernel)), budget_(budget) {}

  std::unique_ptr<Board> board_;
  LoadedKernel kernel_;
  uint64_t budget_;
};

}  // namespace vmxemu::machine

#endif  // VMXEMU_MACHINE_MACHINE_H_
