// The PC board: RAM, the one CPU in its socket, and the devices of QEMU's `pc` machine
// that kernels touch, on one port/MMIO bus and one virtual clock:
//
//   0x20-0x21, 0xA0-0xA1, 0x4D0-0x4D1  8259 PIC pair and ELCR
//   0x40-0x43, 0x61                    8254 PIT (IRQ0) and port B
//   0x80                               POST code port (the bus's own)
//   0xF4-0xF7                          isa-debug-exit
//   0x3F8-0x3FF                        COM1 16550 UART (IRQ4)
//   0x510-0x511                        fw_cfg
//   0xCF8-0xCFF                        PCI host bridge (no devices)
//   0xFEE00000-0xFEE00FFF              local APIC
//
// Interrupts: the CPU's INTR is the local APIC's own pending interrupt, else the 8259's
// INT when the APIC passes it through LINT0 as ExtINT (virtual-wire mode, as SeaBIOS
// leaves it); the acknowledge goes to whichever supplied it. NMI comes from the APIC
// (an NMI IPI to self). Timers run on the CPU's virtual time (Cpu::vtime_counter()).
//
// The board owns the CPU because each needs the other at construction: the CPU calls
// the board through cpu::Platform, and the devices' clock reads the CPU's counter. The
// CPU's constructor only stores its Platform reference, so constructing it from the
// board's member initializers is safe.
#ifndef VMXEMU_MACHINE_BOARD_H_
#define VMXEMU_MACHINE_BOARD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "cpu/cpu.h"
#include "cpu/memory.h"
#include "cpu/platform.h"
#include "devices/bus.h"
#include "devices/clock.h"
#include "devices/debug_exit.h"
#include "devices/device.h"
#include "devices/fw_cfg.h"
#include "devices/lapic.h"
#include "devices/pci_host.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/uart16550.h"

namespace vmxemu::machine {

struct BoardConfig {
  uint64_t ram_bytes = 128ull << 20;
  int icount_shift = 0;                   // one instruction = 2^shift virtual ns
  std::function<void(char)> serial_out;   // COM1's output; null discards it
  devices::WarningSink warn = devices::WarnToStderr;  // devices' "not modelled" notes
};

class Board final : public cpu::Platform {
 public:
  static absl::StatusOr<std::unique_ptr<Board>> Create(const BoardConfig& config);
  ~Board() override;
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  cpu::Cpu& cpu() { return cpu_; }
  cpu::PhysicalMemory& memory() { return memory_; }
  devices::VirtualClock& clock() { return clock_; }
  devices::IoBus& bus() { return bus_; }
  devices::Pic8259Pair& pic() { return pic_; }
  devices::LocalApic& lapic() { return lapic_; }
  devices::Uart16550& uart() { return uart_; }

  // The process exit status isa-debug-exit asked for, (value << 1) | 1, once the guest
  // wrote to it (the first write wins; the CPU is asked to stop).
  std::optional<uint64_t> exit_request() const { return exit_request_; }

  // Whether the CPU was found halted with RFLAGS.IF=0 when timers ran, and asked to
  // stop: only an NMI (or SMI/INIT, not modelled) could wake it, and nothing on this board
  // raises one while the CPU is halted (the APIC's NMIs are self-IPIs). Without this a
  // device's periodic timer (the PIT) would keep a `cli; hlt` guest idling forever.
  // TODO(cpu): Cpu::Run could own this with a "can an NMI still come" question to the
  // platform; with VMX, external-interrupt exiting wakes a guest HLT with IF=0 too.
  bool halted_forever() const { return halted_forever_; }

  // cpu::Platform.
  uint32_t PortIn(uint16_t port, int size) override;
  void PortOut(uint16_t port, int size, uint32_t value) override;
  uint64_t MmioRead(uint64_t paddr, int size) override;
  void MmioWrite(uint64_t paddr, int size, uint64_t value) override;
  bool InterruptPending() override;
  uint8_t AcknowledgeInterrupt() override;
  bool TakeNmi() override;
  uint64_t RunTimers(uint64_t now_ns) override;

 private:
  explicit Board(const BoardConfig& config);
  absl::Status Wire();
  void OnDebugExit(uint64_t status);
  // State the CPU and the APIC share lives on the CPU's side and reaches the APIC here,
  // before anything that depends on it (the CPU has no hook for these writes):
  // IA32_APIC_BASE bit 11 (global enable) and CR8, which is TPR[7:4] (SDM Vol. 3A
  // 10.8.6.1). A TPR write through MMIO is copied back to CR8 in MmioWrite.
  void SyncCpuToApic();

  cpu::PhysicalMemory memory_;
  cpu::Cpu cpu_;
  devices::VirtualClock clock_;
  devices::IoBus bus_;
  devices::Pic8259Pair pic_;
  devices::Pit8254 pit_;
  devices::Uart16550 uart_;
  devices::LocalApic lapic_;
  devices::DebugExit debug_exit_;
  devices::FwCfg fw_cfg_;
  devices::PciHost pci_host_;
  bool nmi_pending_ = false;
  uint8_t synced_cr8_ = 0;
  bool halted_forever_ = false;
  std::optional<uint64_t> exit_request_;
};

}  // namespace vmxemu::machine

#endif  // VMXEMU_MACHINE_BOARD_H_
