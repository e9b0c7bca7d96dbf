// The National Semiconductor PC16550D UART (datasheet, June 1995), at COM1 by default.
//
// Transmitter: the holding register (THR, or the 16-byte TX FIFO once FCR bit 0 is set)
// feeds a shift register (TSR) that sends one character in CharTimeNs() of virtual time
// (start bit + data bits + parity + stop bits at 1.8432 MHz / 16 / divisor). A character
// written while the TSR is idle moves into it at once, so THRE stays 1 and TEMT goes 0
// until it is sent; a character written while the TSR is busy waits in the THR (THRE 0).
// A guest that polls THRE before each write therefore writes at the line rate, and one
// that waits for TEMT before exiting waits for the last stop bit. The byte reaches the
// output sink when it is written (exactly as written, no translation), so nothing is
// lost if the guest exits without draining; the timing only drives LSR and interrupts.
// A write into a full THR/FIFO loses the byte's timing slot, never its output.
//
// Receiver: PushInput() delivers a character; RBR or the 16-byte RX FIFO with trigger
// levels 1/4/8/14, overrun (LSR.OE), and the FIFO character-timeout interrupt after four
// character times without FIFO activity. Loopback (MCR bit 4) sends transmitted
// characters to the receiver (when their stop bit is sent) instead of the sink, and
// feeds MCR's DTR/RTS/OUT1/OUT2 back as MSR's DSR/CTS/RI/DCD (datasheet 8.6, MCR bit 4).
//
// Interrupts (IIR priority order, datasheet Table IV): line status, RX data / timeout,
// THR empty, modem status. The IRQ line is high while one is pending and enabled in IER.
// As QEMU does, and unlike a real PC's OUT2-gated buffer, MCR.OUT2 does not gate it.
//
// Reset state is QEMU's (SeaBIOS only probes COM1): divisor 12 (9600 baud), LCR 0 (5N1),
// MCR = OUT2, MSR = DCD|DSR|CTS (a terminal is attached), FIFOs off. Divisor 0 counts as
// 65536. Changing LCR or the divisor affects characters written afterwards.
#ifndef VMXEMU_DEVICES_UART16550_H_
#define VMXEMU_DEVICES_UART16550_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string_view>

#include "devices/clock.h"
#include "devices/device.h"

namespace vmxemu::devices {

class Uart16550 final : public BytePortDevice {
 public:
  static constexpr uint16_t kCom1Base = 0x3F8;
  static constexpr uint16_t kPortCount = 8;

  using OutputSink = std::function<void(char)>;

  // `clock` must outlive the UART; `irq` (may be null: not wired) too.
  Uart16550(VirtualClock* clock, IrqLine* irq, OutputSink output,
            uint16_t base = kCom1Base);
  ~Uart16550() override;
  Uart16550(const Uart16550&) = delete;
  Uart16550& operator=(const Uart16550&) = delete;

  std::string_view name() const override { return "uart16550"; }

  // A character arrives on the serial input line now.
  void PushInput(char c);

  // Virtual nanoseconds to send one character with the current LCR and divisor.
  uint64_t CharTimeNs() const;

 protected:
  uint8_t InByte(uint16_t port) override;
  void OutByte(uint16_t port, uint8_t value) override;

 private:
  struct TxChar {
    uint64_t done_ns;  // when its last stop bit has been sent
    uint8_t value;
    bool looped;  // sent in loopback mode: goes to the receiver
  };

  void Settle(uint64_t now);  // retires the characters sent by `now`
  void Update(uint64_t now);  // drives the IRQ line and arms the timer for what is next
  void WriteThr(uint8_t value, uint64_t now);
  uint8_t ReadRbr(uint64_t now);
  void Receive(uint8_t value, uint64_t at_ns);
  void WriteIer(uint8_t value);
  void WriteFcr(uint8_t value, uint64_t now);
  void WriteMcr(uint8_t value);
  uint8_t InterruptId(uint64_t now) const;  // IIR bits 3:0
  uint8_t Lsr() const;
  uint8_t ModemInputs() const;  // MSR bits 7:4
  bool FifoEnabled() const { return (fcr_ & 0x01) != 0; }
  bool ThrEmpty() const { return tx_.size() <= 1; }
  uint64_t RxTimeoutNs() const;

  VirtualClock* clock_;
  IrqLine* irq_;
  OutputSink output_;
  uint16_t base_;

  uint16_t divisor_ = 12;
  uint8_t ier_ = 0;
  uint8_t fcr_ = 0;
  uint8_t lcr_ = 0;
  uint8_t mcr_ = 0x08;  // OUT2
  uint8_t scr_ = 0;
  uint8_t line_errors_ = 0;  // LSR.OE; cleared by reading LSR
  uint8_t msr_deltas_ = 0;   // MSR bits 3:0; cleared by reading MSR
  uint8_t rbr_ = 0;          // the last character read stays in RBR
  bool thre_pending_ = false;
  std::deque<TxChar> tx_;  // front: in the TSR; the rest: in the THR / TX FIFO
  std::deque<uint8_t> rx_;
  uint64_t rx_activity_ns_ = 0;

  bool irq_level_ = false;
  VirtualClock::TimerId timer_ = 0;
  uint64_t timer_deadline_ = UINT64_MAX;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_UART16550_H_
