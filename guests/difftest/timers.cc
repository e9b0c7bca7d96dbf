// timers: interrupts from the 8254 PIT through a remapped 8259 PIC, then
// from the local APIC timer. Nothing time-dependent is printed (QEMU's
// clock is real time, vmxemu's is virtual): only counts, the in-service
// registers seen inside the handlers, mode bits read back, and checksums
// over what the handlers saw. Every count is fixed by construction: a
// handler masks its source when its target count is reached, and counts
// nothing after that (an edge may already be latched in the 8259's IRR or
// the APIC's IRR if the handler ran late; it is acknowledged and ignored).
// The PIT part ends, with IRQ0 masked, before the LAPIC part starts.
#include <stdint.h>

#include "guests/difftest/report.h"
#include "guests/lib/boot_info.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/x86.h"

namespace difftest {
namespace {

// 8259A (Intel 8259A data sheet): command/data ports, ICW1-4, OCW2/3.
constexpr uint16_t kPicMasterCommand = 0x20, kPicMasterData = 0x21;
constexpr uint16_t kPicSlaveCommand = 0xA0, kPicSlaveData = 0xA1;
constexpr uint8_t kIcw1Init = 0x11;  // Edge, cascade, ICW4 follows.
constexpr uint8_t kIcw4Mode8086 = 0x01;
constexpr uint8_t kOcw2Eoi = 0x20;  // Non-specific EOI.
constexpr uint8_t kOcw3ReadIsr = 0x0B;
constexpr uint8_t kPicVectorBase = 0x20;  // IRQ0 -> vector 20h.

// 8254 (Intel 8254 data sheet): channel 0 data, control word, read-back.
constexpr uint16_t kPitChannel0 = 0x40, kPitControl = 0x43;
constexpr uint8_t kPitChannel0Mode2 = 0x34;  // LSB then MSB, rate generator.
constexpr uint8_t kPitChannel0Mode0 = 0x30;  // Interrupt on terminal count.
constexpr uint8_t kPitReadBackStatus0 = 0xE2;
constexpr uint16_t kPitCount = 1193;  // About 1 kHz.

// xAPIC registers (SDM Vol. 3A 10.4.1, Table 10-1), offsets from the base.
constexpr uint32_t kMsrApicBase = 0x1B;
constexpr uintptr_t kApicEoi = 0xB0, kApicSpurious = 0xF0;
constexpr uintptr_t kApicIsr = 0x100, kApicLvtTimer = 0x320;
constexpr uintptr_t kApicInitialCount = 0x380, kApicCurrentCount = 0x390;
constexpr uintptr_t kApicDivide = 0x3E0;
constexpr uint32_t kLvtMasked = 1u << 16, kLvtPeriodic = 1u << 17;
constexpr uint8_t kApicTimerVector = 0x40, kSpuriousVector = 0xFF;

uintptr_t apic_base;

uint32_t ApicRead(uintptr_t reg) {
  return *reinterpret_cast<volatile uint32_t*>(apic_base + reg);
}
void ApicWrite(uintptr_t reg, uint32_t value) {
  *reinterpret_cast<volatile uint32_t*>(apic_base + reg) = value;
}
bool ApicInService(uint8_t vector) {
  return (ApicRead(kApicIsr + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

struct Counter {
  int interrupts;  // Counted: at most `target`.
  int eois;
  int target;         // The handler masks its source when this is reached.
  uint32_t checksum;  // FNV-1a over what the handler saw.
  uint32_t first_isr;
};
Counter pit, apic;
int spurious;

void Mix(Counter& c, uint32_t value) {
  c.checksum = (c.checksum ^ value) * 16777619u;
}

void OnPit(guest::TrapFrame& frame) {
  if (pit.interrupts == pit.target) {  // Latched before the mask: ignored.
    guest::outb(kPicMasterCommand, kOcw2Eoi);
    return;
  }
  ++pit.interrupts;
  guest::outb(kPicMasterCommand, kOcw3ReadIsr);
  uint32_t isr = guest::inb(kPicMasterCommand);
  if (pit.interrupts == 1) pit.first_isr = isr;
  Mix(pit, static_cast<uint32_t>(frame.vector) << 8 | isr);
  if (pit.interrupts == pit.target) guest::outb(kPicMasterData, 0xFF);
  guest::outb(kPicMasterCommand, kOcw2Eoi);
  ++pit.eois;
}

void OnApicTimer(guest::TrapFrame& frame) {
  if (apic.interrupts == apic.target) {
    ApicWrite(kApicEoi, 0);
    return;
  }
  ++apic.interrupts;
  uint32_t in_service = ApicInService(kApicTimerVector);
  if (apic.interrupts == 1) apic.first_isr = in_service;
  Mix(apic, static_cast<uint32_t>(frame.vector) << 8 | in_service);
  if (apic.interrupts == apic.target) {
    ApicWrite(kApicLvtTimer, kLvtMasked | kApicTimerVector);
    ApicWrite(kApicInitialCount, 0);  // Stops the timer.
  }
  ApicWrite(kApicEoi, 0);
  ++apic.eois;
}

void OnSpurious(guest::TrapFrame&) { ++spurious; }

// Sleeps until `c` reached `count` interrupts. STI's interrupt shadow keeps
// an interrupt from slipping in between STI and HLT (SDM Vol. 2B STI).
void WaitFor(const Counter& c, int count) {
  while (*static_cast<const volatile int*>(&c.interrupts) < count) {
    asm volatile("sti\n\thlt\n\tcli" : : : "memory");
  }
}

void RemapPic() {
  guest::outb(kPicMasterCommand, kIcw1Init);
  guest::outb(kPicSlaveCommand, kIcw1Init);
  guest::outb(kPicMasterData, kPicVectorBase);  // ICW2: vector base.
  guest::outb(kPicSlaveData, kPicVectorBase + 8);
  guest::outb(kPicMasterData, 0x04);  // ICW3: slave on IRQ2.
  guest::outb(kPicSlaveData, 0x02);
  guest::outb(kPicMasterData, kIcw4Mode8086);
  guest::outb(kPicSlaveData, kIcw4Mode8086);
  guest::outb(kPicMasterData, 0xFF);  // All masked for now.
  guest::outb(kPicSlaveData, 0xFF);
}

void ProgramPit(uint8_t control, uint16_t count) {
  guest::outb(kPitControl, control);
  guest::outb(kPitChannel0, static_cast<uint8_t>(count));
  guest::outb(kPitChannel0, static_cast<uint8_t>(count >> 8));
}

void RunPit() {
  RemapPic();
  guest::set_irq_handler(kPicVectorBase, OnPit);
  ProgramPit(kPitChannel0Mode2, kPitCount);
  // Read-back status: bits 5:0 are the programmed access and mode (bit 7,
  // OUT, and bit 6, null count, depend on time and are masked).
  guest::outb(kPitControl, kPitReadBackStatus0);
  uint8_t status = guest::inb(kPitChannel0) & 0x3F;
  guest::printf("pit: channel 0 status %02x\n", status);
  Expect(status == 0x34, "pit read-back: want 34");
  pit = {0, 0, 10, 2166136261u, 0};
  guest::outb(kPicMasterData, 0xFE);  // Unmask IRQ0.
  WaitFor(pit, 10);
  guest::printf("pit: mode 2: %d interrupts, %d EOIs, isr=%02x, sum=%08x\n",
                pit.interrupts, pit.eois, pit.first_isr, pit.checksum);
  Expect(pit.interrupts == 10 && pit.eois == 10 && pit.first_isr == 0x01,
         "pit mode 2: want 10 interrupts, ISR 01");

  // Mode 0 raises OUT once, at terminal count.
  pit = {0, 0, 1, 2166136261u, 0};
  ProgramPit(kPitChannel0Mode0, kPitCount);
  guest::outb(kPicMasterData, 0xFE);
  WaitFor(pit, 1);
  guest::printf("pit: mode 0: %d interrupt, %d EOI\n", pit.interrupts,
                pit.eois);
}

void RunApic() {
  uint64_t msr = guest::rdmsr(kMsrApicBase);
  apic_base = static_cast<uintptr_t>(msr & 0xFFFFF000);
  bool enabled = (msr >> 11) & 1;
  guest::printf("lapic: base=%lx global enable=%d\n",
                static_cast<unsigned long>(apic_base), enabled);
  guest::set_irq_handler(kApicTimerVector, OnApicTimer);
  guest::set_irq_handler(kSpuriousVector, OnSpurious);
  ApicWrite(kApicSpurious, 0x100 | kSpuriousVector);  // Software enable.
  ApicWrite(kApicDivide, 0xB);                        // Divide by 1.

  apic = {0, 0, 1, 2166136261u, 0};
  ApicWrite(kApicLvtTimer, kApicTimerVector);  // One-shot.
  ApicWrite(kApicInitialCount, 100000);
  WaitFor(apic, 1);
  uint32_t current = ApicRead(kApicCurrentCount);
  guest::printf(
      "lapic: one-shot: %d interrupt, %d EOI, isr=%u, current=%u, "
      "in service after EOI=%d\n",
      apic.interrupts, apic.eois, apic.first_isr, current,
      ApicInService(kApicTimerVector));
  Expect(apic.interrupts == 1 && apic.first_isr == 1 && current == 0,
         "lapic one-shot");

  apic = {0, 0, 5, 2166136261u, 0};
  ApicWrite(kApicLvtTimer, kLvtPeriodic | kApicTimerVector);
  ApicWrite(kApicInitialCount, 50000);
  WaitFor(apic, 5);
  guest::printf("lapic: periodic: %d interrupts, %d EOIs, sum=%08x\n",
                apic.interrupts, apic.eois, apic.checksum);
  Expect(apic.interrupts == 5 && apic.eois == 5, "lapic periodic");

  // A masked LVT: the count still runs down, but nothing is delivered.
  apic = {0, 0, 1, 2166136261u, 0};
  ApicWrite(kApicLvtTimer, kLvtMasked | kApicTimerVector);
  ApicWrite(kApicInitialCount, 20000);
  while (ApicRead(kApicCurrentCount) != 0) guest::pause();
  asm volatile("sti\n\tnop\n\tcli" : : : "memory");  // Window for any IRQ.
  guest::printf("lapic: masked one-shot: expired, %d interrupts\n",
                apic.interrupts);
  Expect(apic.interrupts == 0, "lapic masked");
}

}  // namespace
}  // namespace difftest

int kmain(const guest::BootInfo&) {
  using namespace difftest;
  RunPit();
  RunApic();
  guest::printf("lapic: %d spurious interrupts\n", spurious);
  Expect(spurious == 0, "no spurious interrupt");
  return Finish("timers");
}
