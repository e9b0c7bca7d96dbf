#include "devices/pic8259.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace vmxemu::devices {
namespace {

constexpr int kCascadeIr = 2;

// Rank of `ir` among the eight levels, 0 being the highest priority: the level after
// the lowest-priority one comes first (datasheet "Rotation").
int Rank(int ir, int lowest_priority) { return (ir - lowest_priority - 1) & 7; }

// The highest-priority level set in `bits`, or -1.
int HighestPriority(uint8_t bits, int lowest_priority) {
  for (int rank = 0; rank < 8; ++rank) {
    const int ir = (lowest_priority + 1 + rank) & 7;
    if (bits & (1 << ir)) return ir;
  }
  return -1;
}

}  // namespace

Pic8259Pair::Pic8259Pair(WarningSink warn) : warnings_(std::move(warn)) {
  // PIIX ELCR: IRQ0, 1, 2, 8 and 13 are edge-only on the PC.
  master_.elcr_mask = 0xF8;
  slave_.elcr_mask = 0xDE;
  for (int i = 0; i < 16; ++i) {
    lines_[i].pic = this;
    lines_[i].irq = i;
  }
  // SeaBIOS pic_reset(0x08, 0x70) followed by pic_irqmask_write(PIC_IRQMASK_DEFAULT).
  constexpr std::pair<uint16_t, uint8_t> kSeaBiosSetup[] = {
      {0x20, 0x11}, {0xA0, 0x11}, {0x21, 0x08}, {0xA1, 0x70}, {0x21, 0x04},
      {0xA1, 0x02}, {0x21, 0x01}, {0xA1, 0x01}, {0x21, 0xFB}, {0xA1, 0xFF},
  };
  for (const auto& [port, value] : kSeaBiosSetup) OutByte(port, value);
}

IrqLine* Pic8259Pair::irq(int n) {
  if (n == kCascadeIr) n = 9;
  if (n < 0 || n >= 16) return nullptr;
  return &lines_[n];
}

bool Pic8259Pair::HasInterrupt() const { return PendingIr(master_, true) >= 0; }

uint8_t Pic8259Pair::Acknowledge() {
  const int ir = PendingIr(master_, true);
  uint8_t vector;
  if (ir < 0) {
    vector = master_.vector_base | 7;  // spurious IR7: ISR is not set
  } else if (ir == kCascadeIr) {
    const int slave_ir = PendingIr(slave_, false);
    AcknowledgeIr(master_, ir);
    if (slave_ir < 0) {
      vector = slave_.vector_base | 7;  // spurious IR15: only the master's ISR2 is set
    } else {
      AcknowledgeIr(slave_, slave_ir);
      vector = static_cast<uint8_t>(slave_.vector_base | slave_ir);
    }
    // The slave's INT falls during the INTA sequence, so a request it still has (AEOI,
    // special mask mode) gives the master's edge-triggered IR2 a new edge.
    SetPin(master_, kCascadeIr, false);
  } else {
    AcknowledgeIr(master_, ir);
    vector = static_cast<uint8_t>(master_.vector_base | ir);
  }
  UpdateCascade();
  return vector;
}

void Pic8259Pair::SetIrq(int irq, bool level) {
  if (irq < 8) {
    SetPin(master_, irq, level);
  } else {
    SetPin(slave_, irq - 8, level);
  }
  UpdateCascade();
}

void Pic8259Pair::SetPin(Chip& chip, int ir, bool level) {
  const uint8_t bit = static_cast<uint8_t>(1 << ir);
  const bool was_high = (chip.pins & bit) != 0;
  if (level) {
    chip.pins |= bit;
  } else {
    chip.pins &= ~bit;
  }
  if (chip.LevelTriggered() & bit) {
    // Level-sensitive: IRR follows the input.
    if (level) {
      chip.irr |= bit;
    } else {
      chip.irr &= ~bit;
    }
  } else if (level && !was_high) {
    chip.irr |= bit;  // a rising edge
  }
}

void Pic8259Pair::UpdateCascade() {
  SetPin(master_, kCascadeIr, PendingIr(slave_, false) >= 0);
}

int Pic8259Pair::PendingIr(const Chip& chip, bool is_master) const {
  const int ir = HighestPriority(chip.irr & ~chip.imr, chip.lowest_priority);
  if (ir < 0) return -1;
  uint8_t in_service = chip.isr;
  // Special mask mode: a masked level in service does not hold off lower ones (OCW3).
  if (chip.special_mask) in_service &= ~chip.imr;
  // Special fully nested mode: the slave may interrupt its own in-service level (ICW4).
  if (is_master && chip.special_fully_nested) in_service &= ~(1 << kCascadeIr);
  const int busy = HighestPriority(in_service, chip.lowest_priority);
  if (busy >= 0 && Rank(busy, chip.lowest_priority) <= Rank(ir, chip.lowest_priority)) {
    return -1;
  }
  return ir;
}

void Pic8259Pair::AcknowledgeIr(Chip& chip, int ir) {
  const uint8_t bit = static_cast<uint8_t>(1 << ir);
  if (chip.auto_eoi) {
    if (chip.rotate_on_auto_eoi) chip.lowest_priority = static_cast<uint8_t>(ir);
  } else {
    chip.isr |= bit;
  }
  // A level-sensitive request stays in IRR while its input is high.
  if (!(chip.LevelTriggered() & bit)) chip.irr &= ~bit;
}

uint8_t Pic8259Pair::InByte(uint16_t port) {
  switch (port) {
    case kElcrBase:
      return master_.elcr;
    case kElcrBase + 1:
      return slave_.elcr;
    case kMasterBase:
    case kMasterBase + 1:
    case kSlaveBase:
    case kSlaveBase + 1:
      break;
    default:
      return 0xFF;
  }
  const bool is_master = (port & ~1) == kMasterBase;
  Chip& chip = is_master ? master_ : slave_;
  // After a poll command the next read of either port is the poll word.
  if (chip.poll) return Poll(chip, is_master);
  if (port & 1) return chip.imr;
  return chip.read_isr ? chip.isr : chip.irr;
}

void Pic8259Pair::OutByte(uint16_t port, uint8_t value) {
  switch (port) {
    case kMasterBase:
      WriteCommand(master_, true, value);
      break;
    case kMasterBase + 1:
      WriteData(master_, true, value);
      break;
    case kSlaveBase:
      WriteCommand(slave_, false, value);
      break;
    case kSlaveBase + 1:
      WriteData(slave_, false, value);
      break;
    case kElcrBase:
    case kElcrBase + 1: {
      Chip& chip = port == kElcrBase ? master_ : slave_;
      chip.elcr = value & chip.elcr_mask;
      const uint8_t level = chip.LevelTriggered();
      chip.irr = static_cast<uint8_t>((chip.irr & ~level) | (chip.pins & level));
      break;
    }
    default:
      return;
  }
  UpdateCascade();
}

void Pic8259Pair::WriteCommand(Chip& chip, bool is_master, uint8_t value) {
  const char* which = is_master ? "master" : "slave";
  if (value & 0x10) {
    // ICW1 (datasheet "Initialization Command Words"): resets the edge sense latches,
    // clears IMR, gives IR7 the lowest priority, clears special mask mode, selects IRR
    // for reading; without IC4 every ICW4 function is zero. ISR is cleared as well, as
    // QEMU and Bochs do, so a re-initialization starts from a clean state.
    chip.init_step = 2;
    chip.expect_icw4 = (value & 0x01) != 0;
    chip.single = (value & 0x02) != 0;
    chip.ltim = (value & 0x08) != 0;
    chip.irr = static_cast<uint8_t>(chip.pins & chip.LevelTriggered());
    chip.isr = 0;
    chip.imr = 0;
    chip.lowest_priority = 7;
    chip.special_mask = false;
    chip.read_isr = false;
    chip.poll = false;
    chip.rotate_on_auto_eoi = false;
    if (!chip.expect_icw4) {
      chip.auto_eoi = false;
      chip.special_fully_nested = false;
      warnings_.Report(absl::StrFormat(
          "8259 %s: ICW1 0x%02x without ICW4 selects 8080/8085 mode, which is not "
          "modelled; 8086 vectors are used",
          which, value));
    }
    if (chip.single) {
      warnings_.Report(absl::StrFormat(
          "8259 %s: single mode (ICW1 bit 1) is not modelled; the PC cascade stays wired",
          which));
    }
    return;
  }
  if (value & 0x08) {
    // OCW3.
    if (value & 0x04) chip.poll = true;
    if (value & 0x02) chip.read_isr = (value & 0x01) != 0;
    if (value & 0x40) chip.special_mask = (value & 0x20) != 0;
    return;
  }
  WriteOcw2(chip, value);
}

void Pic8259Pair::WriteData(Chip& chip, bool is_master, uint8_t value) {
  const char* which = is_master ? "master" : "slave";
  switch (chip.init_step) {
    case 2:  // ICW2: vector bits 7:3 (8086 mode)
      chip.vector_base = value & 0xF8;
      chip.init_step = chip.single ? (chip.expect_icw4 ? 4 : 0) : 3;
      return;
    case 3: {  // ICW3: master: slaves on these IRs; slave: its ID
      const uint8_t expected = is_master ? 0x04 : 0x02;
      if ((is_master ? value : (value & 0x07)) != expected) {
        warnings_.Report(absl::StrFormat(
            "8259 %s: ICW3 0x%02x differs from the PC wiring (slave on IR2, 0x%02x); the "
            "PC wiring is used",
            which, value, expected));
      }
      chip.init_step = chip.expect_icw4 ? 4 : 0;
      return;
    }
    case 4:  // ICW4
      if (!(value & 0x01)) {
        warnings_.Report(absl::StrFormat(
            "8259 %s: ICW4 0x%02x selects 8080/8085 mode, which is not modelled; 8086 "
            "vectors are used",
            which, value));
      }
      chip.auto_eoi = (value & 0x02) != 0;
      chip.special_fully_nested = (value & 0x10) != 0;
      chip.init_step = 0;
      return;
    default:  // OCW1
      chip.imr = value;
      return;
  }
}

void Pic8259Pair::WriteOcw2(Chip& chip, uint8_t value) {
  const uint8_t level = value & 0x07;
  // Bits 7:5 are R, SL, EOI.
  switch (value >> 5) {
    case 0:  // rotate in automatic EOI mode (clear)
      chip.rotate_on_auto_eoi = false;
      break;
    case 4:  // rotate in automatic EOI mode (set)
      chip.rotate_on_auto_eoi = true;
      break;
    case 1:    // non-specific EOI
    case 5: {  // rotate on non-specific EOI
      const int ir = HighestPriority(chip.isr, chip.lowest_priority);
      if (ir < 0) break;
      chip.isr &= ~(1 << ir);
      if ((value >> 5) == 5) chip.lowest_priority = static_cast<uint8_t>(ir);
      break;
    }
    case 3:  // specific EOI
      chip.isr &= ~(1 << level);
      break;
    case 7:  // rotate on specific EOI
      chip.isr &= ~(1 << level);
      chip.lowest_priority = level;
      break;
    case 6:  // set priority: `level` becomes the lowest
      chip.lowest_priority = level;
      break;
    case 2:  // no operation
      break;
  }
}

uint8_t Pic8259Pair::Poll(Chip& chip, bool is_master) {
  // Poll command (OCW3 P=1): this read is the INTA; bit 7 says whether there was a
  // request, bits 2:0 which level.
  chip.poll = false;
  const int ir = PendingIr(chip, is_master);
  if (ir < 0) return 0;
  AcknowledgeIr(chip, ir);
  UpdateCascade();
  return static_cast<uint8_t>(0x80 | ir);
}

}  // namespace vmxemu::devices
