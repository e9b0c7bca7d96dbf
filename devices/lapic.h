// The local APIC of the one CPU, in xAPIC mode: a 4 KiB MMIO window at 0xFEE00000
// (SDM Vol. 3A chapter 10 "Advanced Programmable Interrupt Controller (APIC)"; section
// numbers are from the 2016-2022 editions, later editions renumber the chapter).
//
// Choices:
// - Version register 0x00050014: version 0x14 (an xAPIC, as QEMU reports) and max LVT
//   entry 5, i.e. six LVT entries: timer, thermal, performance counters, LINT0, LINT1,
//   error (no CMCI). Thermal and perfmon are registers only: nothing here raises them.
//   No directed-EOI support (bit 24 = 0), so SPIV bit 12 is reserved.
// - Timer bus clock: 1 GHz, one tick per virtual ns before the divider (as QEMU), so
//   with TDCR = divide by D the current count falls by one every D ns, exactly. One-shot
//   and periodic modes; TSC-deadline mode is not offered (CPUID.01H:ECX[24] must be 0)
//   and LVT timer bit 18 is reserved.
// - One CPU: an IPI is delivered only when this APIC is a destination (shorthand self or
//   all-including-self, physical ID match or 0xFF, logical flat/cluster match). IPIs to
//   other APICs are accepted and dropped, so INIT-SIPI-SIPI to APs finds none.
//   Fixed and lowest-priority IPIs to self set IRR; NMI, INIT and SIPI to self go to the
//   callbacks. SMI is not modelled (reported once).
// - State after construction: the power-up state of 10.4.7.1 followed by what SeaBIOS's
//   smp_setup() programs, since kernels are loaded directly after it: SPIV = 0x1FF
//   (software-enabled, spurious vector 0xFF), LINT0 = 0x8700 (ExtINT, level, unmasked:
//   the 8259 reaches the CPU through the APIC, "virtual wire"), LINT1 = 0x8400 (NMI).
//   The APIC is enabled in IA32_APIC_BASE (bit 11) at 0xFEE00000 as the BSP.
// - Only ExtINT is wired to LINT0 (the board asks ExtIntEnabled()); programming LINT0
//   unmasked with another delivery mode is reported once. Nothing drives LINT1.
// - Registers are 32 bits at 16-byte-aligned offsets. Reads of any size return the
//   register's bytes (bytes 4-15 of each slot read 0); writes must be 4 or 8 bytes at the
//   slot's start (the low 32 bits are used), others are dropped and reported once.
//   Reserved offsets read 0 and set ESR "illegal register address".
// - Relocating the APIC (IA32_APIC_BASE bits 35:12) and x2APIC are not supported by
//   the device; the CPU must not let a guest enable them.
#ifndef VMXEMU_DEVICES_LAPIC_H_
#define VMXEMU_DEVICES_LAPIC_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "devices/clock.h"
#include "devices/device.h"

namespace vmxemu::devices {

class LocalApic final : public MmioDevice {
 public:
  static constexpr uint64_t kBase = 0xFEE00000;
  static constexpr uint64_t kSize = 0x1000;
  static constexpr uint32_t kVersion = 0x00050014;

  // What an IPI to this CPU asks of it. Null callbacks drop the request.
  struct Callbacks {
    std::function<void()> nmi;
    std::function<void()> init;
    std::function<void(uint8_t vector)> startup;  // SIPI: start at vector << 12
  };

  // `clock` must outlive the APIC.
  LocalApic(VirtualClock* clock, Callbacks callbacks, WarningSink warn = WarnToStderr);
  ~LocalApic() override;
  LocalApic(const LocalApic&) = delete;
  LocalApic& operator=(const LocalApic&) = delete;

  std::string_view name() const override { return "lapic"; }
  uint64_t Read(uint64_t offset, int size) override;
  void Write(uint64_t offset, int size, uint64_t value) override;

  // The CPU side of interrupt delivery (10.8.3, 10.8.4): an interrupt is pending when
  // the highest IRR vector's priority class is above PPR's. Acknowledge() moves it to
  // ISR and returns it, or returns the spurious vector if none qualifies any more (10.9).
  bool HasInterrupt() const;
  uint8_t Acknowledge();

  // Whether the 8259's INT reaches the CPU's INTR: LINT0 unmasked in ExtINT mode, or the
  // APIC disabled in IA32_APIC_BASE, where LINT0 is the INTR pin (10.4.3). The board
  // offers pic.HasInterrupt() only then, after the APIC's own (as QEMU orders them), and
  // an ExtINT acknowledge goes to the 8259 without touching IRR/ISR.
  bool ExtIntEnabled() const;

  // IA32_APIC_BASE bit 11, owned by the CPU. Clearing it returns the APIC to its
  // power-up state (10.4.3); while clear the window reads all ones and ignores writes.
  void SetEnabledByMsr(bool enabled);
  bool enabled_by_msr() const { return msr_enabled_; }
  uint64_t base() const { return kBase; }

  // TPR, for MOV to/from CR8 (CR8 = TPR[7:4], 10.8.6.1).
  uint8_t tpr() const { return static_cast<uint8_t>(tpr_); }
  void set_tpr(uint8_t tpr) { tpr_ = tpr; }

  // The INIT reset of 10.4.7.3: the power-up state except the APIC ID.
  void InitReset();

 private:
  enum Lvt {
    kLvtTimer,
    kLvtThermal,
    kLvtPerf,
    kLvtLint0,
    kLvtLint1,
    kLvtError,
    kLvtCount
  };
  using Bits256 = std::array<uint32_t, 8>;

  void PowerUpReset();
  uint32_t ReadRegister(uint32_t offset);
  void WriteRegister(uint32_t offset, uint32_t value);
  void WriteLvt(int lvt, uint32_t value);
  void WriteSpiv(uint32_t value);
  void SendIpi();
  bool IsDestination(uint8_t destination, bool logical) const;
  void Accept(uint8_t vector, bool level_triggered);
  void SignalError(uint32_t bits);
  void Eoi();
  uint8_t Ppr() const;
  uint8_t Apr() const;

  // Timer (10.5.4): the current count was `timer_base_count_` at `timer_base_ns_`.
  int TimerShift() const;
  bool TimerPeriodic() const;
  uint32_t CurrentCount(uint64_t now) const;
  void RebaseTimer(uint64_t now);
  void ArmTimer();
  void CatchUpTimer(uint64_t now);  // delivers an expiry that is due by `now`

  VirtualClock* clock_;
  Callbacks callbacks_;
  OnceWarnings warnings_;
  bool msr_enabled_ = true;

  uint32_t id_ = 0;  // the ID register: APIC ID in bits 31:24
  uint32_t tpr_ = 0;
  uint32_t ldr_ = 0;
  uint32_t dfr_ = 0;
  uint32_t spiv_ = 0;
  uint32_t esr_ = 0;
  uint32_t pending_errors_ = 0;
  bool error_interrupt_armed_ = true;
  uint32_t icr_low_ = 0;
  uint32_t icr_high_ = 0;
  std::array<uint32_t, kLvtCount> lvt_{};
  Bits256 irr_{};
  Bits256 isr_{};
  Bits256 tmr_{};

  uint32_t initial_count_ = 0;
  uint32_t tdcr_ = 0;
  bool timer_running_ = false;
  uint64_t timer_base_ns_ = 0;
  uint32_t timer_base_count_ = 0;
  VirtualClock::TimerId timer_ = 0;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_LAPIC_H_
