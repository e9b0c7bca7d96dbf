// What the x86 core asks of the board it sits on: port I/O, MMIO for physical addresses
// outside RAM, and the INTR/INTA handshake with the interrupt controllers. The core
// depends only on this interface; devices/ implements the devices and machine/ wires
// them together behind it.
#ifndef VMXEMU_CPU_PLATFORM_H_
#define VMXEMU_CPU_PLATFORM_H_

#include <cstdint>

namespace vmxemu::cpu {

class Platform {
 public:
  virtual ~Platform() = default;

  // IN/OUT of `size` bytes (1, 2 or 4). Unclaimed ports read all ones.
  virtual uint32_t PortIn(uint16_t port, int size) = 0;
  virtual void PortOut(uint16_t port, int size, uint32_t value) = 0;

  // Accesses of `size` bytes (1, 2, 4 or 8, naturally inside one device) to physical
  // addresses that are not RAM. Unclaimed addresses read all ones; writes are dropped.
  virtual uint64_t MmioRead(uint64_t paddr, int size) = 0;
  virtual void MmioWrite(uint64_t paddr, int size, uint64_t value) = 0;

  // The INTR line (maskable external interrupt) and the INTA cycle that takes its vector.
  // SDM Vol. 3A 6.8.1: the CPU samples INTR only when RFLAGS.IF=1 and no shadow blocks it.
  virtual bool InterruptPending() = 0;
  virtual uint8_t AcknowledgeInterrupt() = 0;

  // The NMI line (e.g. a LAPIC ICR self-NMI). Taking it clears it. SDM Vol. 3A 6.7.1.
  virtual bool TakeNmi() = 0;

  // Runs every device timer whose deadline (virtual nanoseconds) has passed; returns the
  // virtual time of the next deadline, or UINT64_MAX if none is armed.
  virtual uint64_t RunTimers(uint64_t now_ns) = 0;
};

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_PLATFORM_H_
