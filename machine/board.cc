#include "machine/board.h"

#include <utility>

namespace vmxemu::machine {
namespace {

constexpr uint64_t kApicGlobalEnable = 1ull << 11;  // IA32_APIC_BASE (SDM Vol. 3A 10.4.4)

devices::Uart16550::OutputSink SerialSink(std::function<void(char)> out) {
  if (out) return out;
  return [](char) {};
}

}  // namespace

Board::Board(const BoardConfig& config)
    : memory_(config.ram_bytes),
      cpu_(memory_, *this, cpu::CpuConfig{.icount_shift = config.icount_shift}),
      clock_(cpu_.vtime_counter(), config.icount_shift),
      bus_(config.warn),
      pic_(config.warn),
      pit_(&clock_, pic_.irq(0), config.warn),
      uart_(&clock_, pic_.irq(4), SerialSink(config.serial_out)),
      lapic_(&clock_, {.nmi = [this] { nmi_pending_ = true; }}, config.warn),
      debug_exit_([this](uint64_t status) { OnDebugExit(status); }),
      fw_cfg_(config.ram_bytes),
      pci_host_(config.warn) {}

Board::~Board() = default;

absl::StatusOr<std::unique_ptr<Board>> Board::Create(const BoardConfig& config) {
  std::unique_ptr<Board> board(new Board(config));
  if (absl::Status s = board->Wire(); !s.ok()) return s;
  return board;
}

absl::Status Board::Wire() {
  using devices::Pic8259Pair;
  using devices::Pit8254;
  const struct {
    uint16_t first;
    uint32_t count;
    devices::PortDevice* device;
  } ranges[] = {
      {Pic8259Pair::kMasterBase, Pic8259Pair::kPortCount, &pic_},
      {Pic8259Pair::kSlaveBase, Pic8259Pair::kPortCount, &pic_},
      {Pic8259Pair::kElcrBase, Pic8259Pair::kPortCount, &pic_},
      {Pit8254::kBase, Pit8254::kPortCount, &pit_},
      {Pit8254::kPortB, 1, &pit_},
      {devices::DebugExit::kBase, devices::DebugExit::kPortCount, &debug_exit_},
      {devices::Uart16550::kCom1Base, devices::Uart16550::kPortCount, &uart_},
      {devices::FwCfg::kSelectorPort, devices::FwCfg::kPortCount, &fw_cfg_},
      {devices::PciHost::kAddressPort, devices::PciHost::kPortCount, &pci_host_},
  };
  for (const auto& r : ranges) {
    if (absl::Status s = bus_.AddPorts(r.first, r.count, r.device); !s.ok()) return s;
  }
  return bus_.AddMmio(devices::LocalApic::kBase, devices::LocalApic::kSize, &lapic_);
}

void Board::OnDebugExit(uint64_t status) {
  if (!exit_request_) exit_request_ = status;
  cpu_.RequestStop();
  cpu_.EndBlock();
}

void Board::SyncCpuToApic() {
  const bool enabled = cpu_.s.msr.apic_base & kApicGlobalEnable;
  if (enabled != lapic_.enabled_by_msr()) lapic_.SetEnabledByMsr(enabled);
  // MOV to CR8 sets TPR[7:4] and clears TPR[3:0].
  if (cpu_.s.cr8 != synced_cr8_) {
    lapic_.set_tpr(static_cast<uint8_t>(cpu_.s.cr8 << 4));
    synced_cr8_ = cpu_.s.cr8;
  }
}

uint32_t Board::PortIn(uint16_t port, int size) { return bus_.In(port, size); }

void Board::PortOut(uint16_t port, int size, uint32_t value) { bus_.Out(port, size, value); }

uint64_t Board::MmioRead(uint64_t paddr, int size) {
  SyncCpuToApic();
  return bus_.Read(paddr, size);
}

void Board::MmioWrite(uint64_t paddr, int size, uint64_t value) {
  SyncCpuToApic();
  bus_.Write(paddr, size, value);
  if (bus_.MmioOwner(paddr) == &lapic_) {
    cpu_.s.cr8 = synced_cr8_ = static_cast<uint8_t>(lapic_.tpr() >> 4);
  }
}

bool Board::InterruptPending() {
  SyncCpuToApic();
  return lapic_.HasInterrupt() || (lapic_.ExtIntEnabled() && pic_.HasInterrupt());
}

// The APIC's own interrupts first, then ExtINT from the 8259, as QEMU's
// apic_get_interrupt / pic_read_irq order them. With nothing left to give (the request
// went away since INTR was sampled), the 8259 answers a spurious IR7 in virtual-wire
// mode and the APIC its spurious vector otherwise.
uint8_t Board::AcknowledgeInterrupt() {
  SyncCpuToApic();
  if (lapic_.HasInterrupt()) return lapic_.Acknowledge();
  if (lapic_.ExtIntEnabled()) return pic_.Acknowledge();
  return lapic_.Acknowledge();
}

bool Board::TakeNmi() { return std::exchange(nmi_pending_, false); }

uint64_t Board::RunTimers(uint64_t now_ns) {
  if (cpu_.s.halted && !(cpu_.s.Rflags() & cpu::kFlagIF) && !nmi_pending_) {
    halted_forever_ = true;
    cpu_.RequestStop();
  }
  return clock_.RunDue(now_ns);
}

}  // namespace vmxemu::machine
