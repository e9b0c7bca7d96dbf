// The PC/AT's two Intel 8259A programmable interrupt controllers (8259A datasheet,
// order 231468): the master at 0x20/0x21 and the slave at 0xA0/0xA1, its INT output on
// the master's IR2, plus the PIIX edge/level control registers (ELCR) at 0x4D0/0x4D1.
//
// Modelled: the ICW1-ICW4 initialization sequence; OCW1 (IMR); OCW2 non-specific and
// specific EOI, and the rotation commands (rotate on EOI, rotate in AEOI mode, set
// priority) which move the lowest-priority level; OCW3 read IRR/ISR, poll mode and
// special mask mode; automatic EOI and special fully nested mode (ICW4); edge- and
// level-triggered inputs (ICW1.LTIM, or per IRQ through the ELCR); priority resolution
// and cascading; spurious interrupts on IR7 / IR15.
//
// Edge-triggered inputs: IRR latches on a rising edge and holds until INTA even if the
// line falls first (as QEMU and Bochs model it; on the chip the request must stay high
// until INTA). Spurious IR7 therefore happens when INTA finds no unmasked request with
// enough priority: a level input fell, or software masked it, between the CPU seeing
// INTR and acknowledging. The master then answers with its IR7 vector without setting
// ISR; if the slave has nothing, it answers its IR7 vector (IRQ15) while the master sets
// ISR bit 2, so the handler must EOI the master only (datasheet "Interrupt Sequence").
//
// Not modelled, and reported once through the warning sink when programmed: 8080/8085
// call mode (ICW4 bit 0 = 0), single mode (ICW1 bit 1), a cascade other than the PC's
// (ICW3 != 0x04 / 0x02), buffered mode is accepted and ignored. The vector is always
// the 8086 one: ICW2 bits 7:3 plus the IR number.
//
// State after construction is what SeaBIOS's pic_setup() leaves: ICW1 0x11, vectors
// 0x08 and 0x70, cascade on IR2, 8086 mode, master IMR 0xFB (all masked except the
// cascade) and slave IMR 0xFF. The IRQs SeaBIOS later unmasks for its own drivers stay
// masked: their handlers do not exist when a kernel is loaded directly.
#ifndef VMXEMU_DEVICES_PIC8259_H_
#define VMXEMU_DEVICES_PIC8259_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "devices/device.h"

namespace vmxemu::devices {

class Pic8259Pair final : public BytePortDevice {
 public:
  static constexpr uint16_t kMasterBase = 0x20;
  static constexpr uint16_t kSlaveBase = 0xA0;
  static constexpr uint16_t kElcrBase = 0x4D0;
  static constexpr uint16_t kPortCount = 2;  // each of the three ranges

  explicit Pic8259Pair(WarningSink warn = WarnToStderr);
  Pic8259Pair(const Pic8259Pair&) = delete;
  Pic8259Pair& operator=(const Pic8259Pair&) = delete;

  std::string_view name() const override { return "i8259-pair"; }

  // The input for IRQ `n` (0..15). The master's IR2 is wired to the slave, so, as on the
  // PC/AT bus, irq(2) drives IRQ9.
  IrqLine* irq(int n);

  // The master's INT output (the CPU's INTR when the LAPIC passes ExtINT).
  bool HasInterrupt() const;
  // The INTA cycle: the vector of the highest-priority request, updating ISR/IRR.
  uint8_t Acknowledge();

 protected:
  uint8_t InByte(uint16_t port) override;
  void OutByte(uint16_t port, uint8_t value) override;

 private:
  struct Chip {
    uint8_t irr = 0;
    uint8_t isr = 0;
    uint8_t imr = 0;
    uint8_t pins = 0;  // input levels
    uint8_t elcr = 0;
    uint8_t elcr_mask = 0;
    uint8_t vector_base = 0;
    uint8_t lowest_priority = 7;  // IR (lowest_priority + 1) % 8 has the highest
    uint8_t init_step = 0;        // 0: initialized; 2, 3, 4: expecting that ICW
    bool expect_icw4 = false;
    bool single = false;
    bool ltim = false;
    bool auto_eoi = false;
    bool rotate_on_auto_eoi = false;
    bool special_mask = false;
    bool special_fully_nested = false;
    bool read_isr = false;
    bool poll = false;

    uint8_t LevelTriggered() const { return ltim ? 0xFF : elcr; }
  };

  class Line final : public IrqLine {
   public:
    void Set(bool level) override { pic->SetIrq(irq, level); }
    Pic8259Pair* pic = nullptr;
    int irq = 0;
  };

  void SetIrq(int irq, bool level);
  void SetPin(Chip& chip, int ir, bool level);
  void UpdateCascade();
  int PendingIr(const Chip& chip, bool is_master) const;
  void AcknowledgeIr(Chip& chip, int ir);
  void WriteCommand(Chip& chip, bool is_master, uint8_t value);
  void WriteData(Chip& chip, bool is_master, uint8_t value);
  void WriteOcw2(Chip& chip, uint8_t value);
  uint8_t Poll(Chip& chip, bool is_master);

  Chip master_;
  Chip slave_;
  std::array<Line, 16> lines_;
  OnceWarnings warnings_;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_PIC8259_H_
