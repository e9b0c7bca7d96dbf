#include "devices/lapic.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/strings/str_format.h"

namespace vmxemu::devices {
namespace {

// Register offsets (Table 10-1).
constexpr uint32_t kRegId = 0x020;
constexpr uint32_t kRegVersion = 0x030;
constexpr uint32_t kRegTpr = 0x080;
constexpr uint32_t kRegApr = 0x090;
constexpr uint32_t kRegPpr = 0x0A0;
constexpr uint32_t kRegEoi = 0x0B0;
constexpr uint32_t kRegRrd = 0x0C0;
constexpr uint32_t kRegLdr = 0x0D0;
constexpr uint32_t kRegDfr = 0x0E0;
constexpr uint32_t kRegSpiv = 0x0F0;
constexpr uint32_t kRegIsr = 0x100;  // 8 registers each: ISR, TMR, IRR
constexpr uint32_t kRegTmr = 0x180;
constexpr uint32_t kRegIrr = 0x200;
constexpr uint32_t kRegEsr = 0x280;
constexpr uint32_t kRegIcrLow = 0x300;
constexpr uint32_t kRegIcrHigh = 0x310;
constexpr uint32_t kRegLvtFirst = 0x320;  // timer, thermal, perfmon, LINT0, LINT1, error
constexpr uint32_t kRegLvtLast = 0x370;
constexpr uint32_t kRegTimerInitial = 0x380;
constexpr uint32_t kRegTimerCurrent = 0x390;
constexpr uint32_t kRegTimerDivide = 0x3E0;

constexpr uint32_t kSpivEnable = 0x100;
constexpr uint32_t kLvtMasked = 0x10000;
constexpr uint32_t kDeliveryExtInt = 7;

// Writable bits of each LVT entry (Figure 10-8); delivery status and remote IRR read 0
// because delivery is instant.
constexpr uint32_t kLvtWritable[] = {
    0x000300FF,  // timer: vector, mask, periodic (bit 18, TSC-deadline, reserved)
    0x000107FF,  // thermal: vector, delivery mode, mask
    0x000107FF,  // performance counters
    0x0001A7FF,  // LINT0: vector, delivery mode, polarity, trigger mode, mask
    0x0001A7FF,  // LINT1
    0x000100FF,  // error: vector, mask
};

// ESR bits (10.5.3, Figure 10-9) an xAPIC of this kind reports.
constexpr uint32_t kEsrSendIllegalVector = 1 << 5;
constexpr uint32_t kEsrReceiveIllegalVector = 1 << 6;
constexpr uint32_t kEsrIllegalRegister = 1 << 7;

constexpr uint32_t kIcrWritable = 0x000CCFFF;  // all but delivery status and reserved
constexpr uint32_t kIcrLogical = 1 << 11;
constexpr uint32_t kIcrLevelAssert = 1 << 14;
constexpr uint32_t kIcrLevelTrigger = 1 << 15;

int HighestVector(const std::array<uint32_t, 8>& bits) {
  for (int word = 7; word >= 0; --word) {
    if (bits[word] != 0) return word * 32 + 31 - std::countl_zero(bits[word]);
  }
  return -1;
}

void SetBit(std::array<uint32_t, 8>& bits, int vector, bool value) {
  const uint32_t mask = uint32_t{1} << (vector % 32);
  if (value) {
    bits[vector / 32] |= mask;
  } else {
    bits[vector / 32] &= ~mask;
  }
}

}  // namespace

LocalApic::LocalApic(VirtualClock* clock, Callbacks callbacks, WarningSink warn)
    : clock_(clock), callbacks_(std::move(callbacks)), warnings_(std::move(warn)) {
  PowerUpReset();
  // SeaBIOS smp_setup(): enable the APIC, LINT0 = ExtINT (level), LINT1 = NMI (level).
  WriteRegister(kRegSpiv, spiv_ | kSpivEnable);
  WriteRegister(kRegLvtFirst + 0x10 * kLvtLint0, 0x8700);
  WriteRegister(kRegLvtFirst + 0x10 * kLvtLint1, 0x8400);
}

LocalApic::~LocalApic() {
  if (timer_ != 0) clock_->Cancel(timer_);
}

void LocalApic::PowerUpReset() {
  // 10.4.7.1: IRR, ISR, TMR, ICR, LDR, TPR, timer counts and divide are 0, DFR all
  // ones, every LVT masked, SPIV 0xFF (software-disabled).
  tpr_ = 0;
  ldr_ = 0;
  dfr_ = 0xFFFFFFFF;
  spiv_ = 0xFF;
  esr_ = 0;
  pending_errors_ = 0;
  error_interrupt_armed_ = true;
  icr_low_ = 0;
  icr_high_ = 0;
  lvt_.fill(kLvtMasked);
  irr_.fill(0);
  isr_.fill(0);
  tmr_.fill(0);
  initial_count_ = 0;
  tdcr_ = 0;
  timer_running_ = false;
  ArmTimer();
}

void LocalApic::InitReset() { PowerUpReset(); }

void LocalApic::SetEnabledByMsr(bool enabled) {
  if (enabled == msr_enabled_) return;
  msr_enabled_ = enabled;
  if (!enabled) PowerUpReset();
}

uint64_t LocalApic::Read(uint64_t offset, int size) {
  if (!msr_enabled_ || offset >= kSize) return AllOnes(size);
  const uint32_t byte = offset & 0xF;
  const uint64_t value = ReadRegister(static_cast<uint32_t>(offset & ~uint64_t{0xF}));
  if (byte >= 4) return 0;  // a register is the first 4 bytes of its 16-byte slot
  return (value >> (8 * byte)) & AllOnes(size);
}

void LocalApic::Write(uint64_t offset, int size, uint64_t value) {
  if (!msr_enabled_ || offset >= kSize) return;
  if ((offset & 0xF) != 0 || (size != 4 && size != 8)) {
    warnings_.Report(absl::StrFormat(
        "lapic: %d-byte write at offset 0x%x dropped (registers take aligned 32-bit "
        "writes, SDM 10.4.1)",
        size, offset));
    return;
  }
  WriteRegister(static_cast<uint32_t>(offset), static_cast<uint32_t>(value));
}

uint32_t LocalApic::ReadRegister(uint32_t offset) {
  if (offset >= kRegIsr && offset < kRegIsr + 0x80) return isr_[(offset - kRegIsr) >> 4];
  if (offset >= kRegTmr && offset < kRegTmr + 0x80) return tmr_[(offset - kRegTmr) >> 4];
  if (offset >= kRegIrr && offset < kRegIrr + 0x80) return irr_[(offset - kRegIrr) >> 4];
  if (offset >= kRegLvtFirst && offset <= kRegLvtLast) {
    return lvt_[(offset - kRegLvtFirst) >> 4];
  }
  switch (offset) {
    case kRegId:
      return id_;
    case kRegVersion:
      return kVersion;
    case kRegTpr:
      return tpr_;
    case kRegApr:
      return Apr();
    case kRegPpr:
      return Ppr();
    case kRegEoi:  // write-only
    case kRegRrd:  // remote read is not supported by xAPICs
      return 0;
    case kRegLdr:
      return ldr_;
    case kRegDfr:
      return dfr_;
    case kRegSpiv:
      return spiv_;
    case kRegEsr:
      return esr_;
    case kRegIcrLow:
      return icr_low_;  // delivery status (bit 12) is always idle
    case kRegIcrHigh:
      return icr_high_;
    case kRegTimerInitial:
      return initial_count_;
    case kRegTimerCurrent:
      return CurrentCount(clock_->NowNs());
    case kRegTimerDivide:
      return tdcr_;
    default:
      SignalError(kEsrIllegalRegister);
      return 0;
  }
}

void LocalApic::WriteRegister(uint32_t offset, uint32_t value) {
  if (offset >= kRegLvtFirst && offset <= kRegLvtLast) {
    WriteLvt(static_cast<int>((offset - kRegLvtFirst) >> 4), value);
    return;
  }
  // Read-only registers ignore writes.
  if (offset >= kRegIsr && offset < kRegIrr + 0x80) return;
  const uint64_t now = clock_->NowNs();
  switch (offset) {
    case kRegId:
      id_ = value & 0xFF000000;
      break;
    case kRegTpr:
      tpr_ = value & 0xFF;
      break;
    case kRegEoi:
      Eoi();
      break;
    case kRegLdr:
      ldr_ = value & 0xFF000000;
      break;
    case kRegDfr:
      dfr_ = value | 0x0FFFFFFF;  // only the model, bits 31:28, is writable
      break;
    case kRegSpiv:
      WriteSpiv(value);
      break;
    case kRegEsr:
      // 10.5.3: a write latches the errors seen since the last write, and rearms the
      // error interrupt.
      esr_ = pending_errors_;
      pending_errors_ = 0;
      error_interrupt_armed_ = true;
      break;
    case kRegIcrLow:
      icr_low_ = value & kIcrWritable;
      SendIpi();  // writing the low half sends (10.6.1)
      break;
    case kRegIcrHigh:
      icr_high_ = value & 0xFF000000;
      break;
    case kRegTimerInitial:
      // 10.5.4: writing the initial count (re)starts the timer; 0 stops it.
      CatchUpTimer(now);
      initial_count_ = value;
      timer_running_ = value != 0;
      timer_base_ns_ = now;
      timer_base_count_ = value;
      ArmTimer();
      break;
    case kRegTimerDivide:
      // The count continues from its current value at the new rate.
      RebaseTimer(now);
      tdcr_ = value & 0xB;
      ArmTimer();
      break;
    case kRegVersion:
    case kRegApr:
    case kRegPpr:
    case kRegRrd:
    case kRegTimerCurrent:
      break;
    default:
      SignalError(kEsrIllegalRegister);
      break;
  }
}

void LocalApic::WriteLvt(int lvt, uint32_t value) {
  uint32_t entry = value & kLvtWritable[lvt];
  // 10.4.7.2: while software-disabled, LVT mask bits stay set.
  if (!(spiv_ & kSpivEnable)) entry |= kLvtMasked;
  if (lvt == kLvtTimer) RebaseTimer(clock_->NowNs());
  lvt_[lvt] = entry;
  if (lvt == kLvtTimer) ArmTimer();
  if (lvt == kLvtLint0 && !(entry & kLvtMasked) &&
      ((entry >> 8) & 7) != kDeliveryExtInt) {
    warnings_.Report(absl::StrFormat(
        "lapic: LINT0 = 0x%x: only ExtINT delivery is wired (the 8259); other delivery "
        "modes on LINT0 are not modelled",
        entry));
  }
}

void LocalApic::WriteSpiv(uint32_t value) {
  // Bits 7:0 vector, 8 software enable, 9 focus checking; 12 needs directed EOI.
  spiv_ = value & 0x3FF;
  if (!(spiv_ & kSpivEnable)) {
    for (uint32_t& entry : lvt_) entry |= kLvtMasked;
  }
}

void LocalApic::SendIpi() {
  const uint32_t icr = icr_low_;
  const uint8_t vector = static_cast<uint8_t>(icr & 0xFF);
  bool to_self = false;
  switch ((icr >> 18) & 3) {  // destination shorthand
    case 0:
      to_self = IsDestination(static_cast<uint8_t>(icr_high_ >> 24), icr & kIcrLogical);
      break;
    case 1:  // self
    case 2:  // all including self
      to_self = true;
      break;
    case 3:  // all excluding self: there are no others
      break;
  }
  const uint32_t delivery_mode = (icr >> 8) & 7;
  switch (delivery_mode) {
    case 0:  // fixed
    case 1:  // lowest priority: with one CPU, this one
      if (vector < 16) {
        SignalError(kEsrSendIllegalVector);
        return;
      }
      if (to_self) Accept(vector, (icr & kIcrLevelTrigger) != 0);
      return;
    case 4:
      if (to_self && callbacks_.nmi) callbacks_.nmi();
      return;
    case 5:
      // INIT level de-assert only synchronizes arbitration IDs (10.6.1).
      if (!(icr & kIcrLevelAssert) && (icr & kIcrLevelTrigger)) return;
      if (to_self && callbacks_.init) callbacks_.init();
      return;
    case 6:
      if (to_self && callbacks_.startup) callbacks_.startup(vector);
      return;
    case 2:
      warnings_.Report("lapic: SMI IPIs are not modelled; dropped");
      return;
    default:
      warnings_.Report(absl::StrFormat("lapic: ICR delivery mode %u is reserved; dropped",
                                       delivery_mode));
      return;
  }
}

bool LocalApic::IsDestination(uint8_t destination, bool logical) const {
  // 10.6.2.1 physical, 10.6.2.2 logical (flat and cluster models).
  if (!logical) return destination == 0xFF || destination == (id_ >> 24);
  if (destination == 0xFF) return true;
  const uint8_t ldr = static_cast<uint8_t>(ldr_ >> 24);
  switch (dfr_ >> 28) {
    case 0xF:
      return (destination & ldr) != 0;
    case 0x0:
      return (destination >> 4) == (ldr >> 4) && (destination & ldr & 0x0F) != 0;
    default:
      return false;
  }
}

void LocalApic::Accept(uint8_t vector, bool level_triggered) {
  // 10.5.2: vectors 0-15 are reserved; receiving one is an error, not an interrupt.
  if (vector < 16) {
    SignalError(kEsrReceiveIllegalVector);
    return;
  }
  SetBit(irr_, vector, true);
  SetBit(tmr_, vector, level_triggered);
}

void LocalApic::SignalError(uint32_t bits) {
  pending_errors_ |= bits;
  const uint32_t lvt = lvt_[kLvtError];
  if (!error_interrupt_armed_ || (lvt & kLvtMasked)) return;
  error_interrupt_armed_ = false;
  const uint8_t vector = static_cast<uint8_t>(lvt & 0xFF);
  if (vector < 16) return;  // no recursion: an illegal error vector is simply dropped
  SetBit(irr_, vector, true);
  SetBit(tmr_, vector, false);
}

void LocalApic::Eoi() {
  // 10.8.5: EOI retires the highest-priority vector in service. For a level-triggered
  // one the EOI would go to the I/O APIC, which this board does not have.
  const int vector = HighestVector(isr_);
  if (vector < 0) return;
  SetBit(isr_, vector, false);
  SetBit(tmr_, vector, false);
}

uint8_t LocalApic::Ppr() const {
  // 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0.
  const int isrv = std::max(HighestVector(isr_), 0);
  if ((tpr_ >> 4) >= static_cast<uint32_t>(isrv >> 4)) return static_cast<uint8_t>(tpr_);
  return static_cast<uint8_t>(isrv & 0xF0);
}

uint8_t LocalApic::Apr() const {
  // The arbitration priority as the P6 family defines it (Pentium Pro manual Vol. 3,
  // 7.4.13.3); it only matters for lowest-priority arbitration, which one CPU never does.
  const uint32_t tpr_class = tpr_ >> 4;
  const int isrv = std::max(HighestVector(isr_), 0);
  const int irrv = std::max(HighestVector(irr_), 0);
  if (tpr_class >= static_cast<uint32_t>(irrv >> 4) &&
      tpr_class > static_cast<uint32_t>(isrv >> 4)) {
    return static_cast<uint8_t>(tpr_);
  }
  return static_cast<uint8_t>(
      std::max({tpr_ & 0xF0, uint32_t(isrv & 0xF0), uint32_t(irrv & 0xF0)}));
}

bool LocalApic::HasInterrupt() const {
  if (!msr_enabled_) return false;
  const int irrv = HighestVector(irr_);
  return irrv >= 0 && (irrv >> 4) > (Ppr() >> 4);
}

uint8_t LocalApic::Acknowledge() {
  // 10.9: if nothing qualifies at INTA time (TPR raised meanwhile), the spurious vector
  // is returned and ISR is untouched.
  if (!HasInterrupt()) return static_cast<uint8_t>(spiv_ & 0xFF);
  const int vector = HighestVector(irr_);
  SetBit(irr_, vector, false);
  SetBit(isr_, vector, true);
  return static_cast<uint8_t>(vector);
}

bool LocalApic::ExtIntEnabled() const {
  if (!msr_enabled_) return true;
  const uint32_t lint0 = lvt_[kLvtLint0];
  return !(lint0 & kLvtMasked) && ((lint0 >> 8) & 7) == kDeliveryExtInt;
}

int LocalApic::TimerShift() const {
  // Figure 10-10: bits 3, 1, 0 encode divide by 2, 4, ..., 128; 0b111 is divide by 1.
  const uint32_t code = ((tdcr_ >> 1) & 4) | (tdcr_ & 3);
  return code == 7 ? 0 : static_cast<int>(code) + 1;
}

bool LocalApic::TimerPeriodic() const { return ((lvt_[kLvtTimer] >> 17) & 3) == 1; }

uint32_t LocalApic::CurrentCount(uint64_t now) const {
  if (!timer_running_) return 0;
  const uint64_t elapsed =
      (std::max(now, timer_base_ns_) - timer_base_ns_) >> TimerShift();
  if (elapsed < timer_base_count_) {
    return static_cast<uint32_t>(timer_base_count_ - elapsed);
  }
  if (!TimerPeriodic() || initial_count_ == 0) return 0;
  // Periodic: reloaded from the initial count each time it reaches 0.
  return initial_count_ -
         static_cast<uint32_t>((elapsed - timer_base_count_) % initial_count_);
}

void LocalApic::CatchUpTimer(uint64_t now) {
  if (!timer_running_) return;
  const int shift = TimerShift();
  uint64_t deadline = timer_base_ns_ + (uint64_t{timer_base_count_} << shift);
  if (deadline > now) return;
  // The count reached 0: interrupt, unless the LVT masks it. The IRR holds one request
  // per vector, so periods the CPU missed merge into one.
  if (!(lvt_[kLvtTimer] & kLvtMasked)) {
    Accept(static_cast<uint8_t>(lvt_[kLvtTimer] & 0xFF), false);
  }
  if (!TimerPeriodic() || initial_count_ == 0) {
    timer_running_ = false;  // one-shot: stays at 0
    return;
  }
  const uint64_t period = uint64_t{initial_count_} << shift;
  deadline += (now - deadline) / period * period;  // the last reload at or before now
  timer_base_ns_ = deadline;
  timer_base_count_ = initial_count_;
}

void LocalApic::RebaseTimer(uint64_t now) {
  CatchUpTimer(now);
  if (!timer_running_) return;
  timer_base_count_ = CurrentCount(now);
  timer_base_ns_ = now;
}

void LocalApic::ArmTimer() {
  if (timer_ != 0) clock_->Cancel(timer_);
  timer_ = 0;
  if (!timer_running_) return;
  // Exact: the count reaches 0 (base_count << shift) ns after the base, so periodic
  // deadlines are multiples of the period from the start, with no drift.
  const uint64_t deadline =
      timer_base_ns_ + (uint64_t{timer_base_count_} << TimerShift());
  timer_ = clock_->Schedule(deadline, [this, deadline](uint64_t) {
    timer_ = 0;
    CatchUpTimer(deadline);
    ArmTimer();
  });
}

}  // namespace vmxemu::devices
