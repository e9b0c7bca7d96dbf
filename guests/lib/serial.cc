// Register map: PC16550D data sheet, "Register Addressing"; port offsets
// from the COM1 base 0x3F8.
#include "guests/lib/serial.h"

#include <stdint.h>

#include "guests/lib/x86.h"

namespace guest {
namespace {

constexpr uint16_t kCom1 = 0x3F8;
constexpr uint16_t kData = kCom1 + 0;             // THR/RBR; DLL when DLAB=1.
constexpr uint16_t kInterruptEnable = kCom1 + 1;  // IER; DLM when DLAB=1.
constexpr uint16_t kFifoControl = kCom1 + 2;      // FCR (write only).
constexpr uint16_t kLineControl = kCom1 + 3;      // LCR
constexpr uint16_t kModemControl = kCom1 + 4;     // MCR
constexpr uint16_t kLineStatus = kCom1 + 5;       // LSR

constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kLcr8N1 = 0x03;             // 8 data bits, no parity, 1 stop.
constexpr uint8_t kFcrEnableAndClear = 0x07;  // FIFO on, clear RX and TX.
constexpr uint8_t kMcrDtrRts = 0x03;          // OUT2 off: no IRQ to the PIC.
constexpr uint8_t kLsrThrEmpty = 0x20;        // THRE: room for one more byte.
constexpr uint8_t kLsrTransmitterEmpty = 0x40;  // TEMT: all bits sent.

}  // namespace

void serial_init() {
  outb(kInterruptEnable, 0x00);
  outb(kLineControl, kLcrDlab);
  outb(kData, 1);               // Divisor 1: 115200 = 1.8432 MHz / (16 * 1).
  outb(kInterruptEnable, 0);    // Divisor high byte.
  outb(kLineControl, kLcr8N1);  // Also clears DLAB.
  outb(kFifoControl, kFcrEnableAndClear);
  outb(kModemControl, kMcrDtrRts);
}

void serial_putc(char c) {
  while ((inb(kLineStatus) & kLsrThrEmpty) == 0) pause();
  outb(kData, static_cast<uint8_t>(c));
}

void serial_write(const char* data, size_t length) {
  for (size_t i = 0; i < length; ++i) serial_putc(data[i]);
}

void serial_flush() {
  while ((inb(kLineStatus) & kLsrTransmitterEmpty) == 0) pause();
}

}  // namespace guest
