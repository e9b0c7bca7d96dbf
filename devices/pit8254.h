// The Intel 8254 programmable interval timer (82C54 datasheet, order 231244) at
// 0x40-0x43, clocked at 1.193182 MHz of virtual time, and the PC's system control port B
// (0x61) bits that belong to it: channel 2's gate (bit 0), the speaker enable (bit 1,
// stored; there is no sound), the refresh toggle (bit 4, every 15.085 us) and channel
// 2's OUT (bit 5).
//
// All six modes (0-5, with 6 and 7 as aliases of 2 and 3), binary and BCD counting,
// LSB / MSB / LSB-then-MSB access, the counter latch and read-back commands, the null
// count status bit, and the gate (channel 2 only; channels 0 and 1 have theirs tied
// high, as on the PC). Channel 0's OUT drives IRQ0. Count 1 in modes 2 and 3 is illegal
// per the datasheet: it is reported through the warning sink (the counter then never
// toggles OUT).
//
// Time is exact: PIT clock k happens at ceil(k * 1e9 / 1193182) ns, so the counter is a
// pure function of VirtualClock::NowNs() with no accumulated rounding. A count written
// during clock k is loaded into the counting element on clock k + 1 and decremented
// from k + 2 on (datasheet: "loaded on the next CLK pulse"): in mode 0, OUT rises N + 1
// clocks after the write.
//
// State after construction: channel 0 as SeaBIOS's pit_setup() leaves it (mode 2,
// LSB-then-MSB, count 0 = 65536, i.e. IRQ0 at 18.2 Hz, counting from time 0); channels 1
// and 2 as QEMU resets them (mode 3, count 65536); port B = 0: channel 2's gate is low.
#ifndef VMXEMU_DEVICES_PIT8254_H_
#define VMXEMU_DEVICES_PIT8254_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "devices/clock.h"
#include "devices/device.h"

namespace vmxemu::devices {

class Pit8254 final : public BytePortDevice {
 public:
  static constexpr uint16_t kBase = 0x40;
  static constexpr uint16_t kPortCount = 4;
  static constexpr uint16_t kPortB = 0x61;
  static constexpr uint64_t kFrequencyHz = 1'193'182;

  // `clock` must outlive the PIT; `irq0` (may be null) too.
  Pit8254(VirtualClock* clock, IrqLine* irq0, WarningSink warn = WarnToStderr);
  ~Pit8254() override;
  Pit8254(const Pit8254&) = delete;
  Pit8254& operator=(const Pit8254&) = delete;

  std::string_view name() const override { return "i8254"; }

  // The number of the last PIT clock at or before `ns`, and the time of clock `tick`.
  static uint64_t TickAt(uint64_t ns);
  static uint64_t NsOfTick(uint64_t tick);

 protected:
  uint8_t InByte(uint16_t port) override;
  void OutByte(uint16_t port, uint8_t value) override;

 private:
  struct Snapshot {
    uint32_t count;  // the counting element, 0..65535 (0..9999 in BCD)
    bool out;
  };
  // From clock `start` on, the counting element follows its mode, loaded with `n`
  // (1..65536, or 1..10000 in BCD) and `phase` clocks into its cycle.
  struct Segment {
    uint64_t start = 0;
    uint32_t n = 1;
    uint32_t phase = 0;
  };
  struct Channel {
    uint8_t mode_bits = 0;  // M2..M0 as written (read-back status)
    uint8_t mode = 0;       // 0..5
    uint8_t access = 3;     // 1 LSB, 2 MSB, 3 LSB then MSB
    bool bcd = false;
    uint32_t initial = 0;  // the count register, decoded
    bool has_initial = false;
    bool gate = true;

    bool counting = false;  // else the counter shows `held`
    Snapshot held{0, true};
    Segment seg;
    bool paused = false;  // modes 0 and 4: gate low; resumes where it stopped
    uint64_t paused_at = 0;
    bool switch_pending = false;  // modes 2 and 3: a new count loads at switch_tick
    uint64_t switch_tick = 0;
    Segment next;
    uint64_t null_until = 0;  // status NULL COUNT is 1 before this clock

    bool write_msb_next = false;
    uint8_t write_lsb = 0;
    bool read_msb_next = false;
    bool count_latched = false;
    uint16_t latch = 0;
    bool status_latched = false;
    uint8_t status = 0;
  };

  Snapshot At(const Channel& c, uint64_t tick) const;
  static void Settle(Channel& c, uint64_t tick);
  uint64_t NextOutChange(const Channel& c, uint64_t tick) const;
  void Start(Channel& c, uint64_t tick, uint32_t n);
  void Pause(Channel& c, uint64_t tick);
  void WriteControl(uint8_t value, uint64_t tick);
  void WriteCounter(int index, uint8_t value, uint64_t tick);
  void LoadCount(int index, uint16_t raw, uint64_t tick);
  uint8_t ReadCounter(Channel& c, uint64_t tick);
  void LatchCount(Channel& c, uint64_t tick);
  void SetGate2(bool level, uint64_t tick);
  void UpdateIrq0(uint64_t tick);

  VirtualClock* clock_;
  IrqLine* irq0_;
  OnceWarnings warnings_;
  std::array<Channel, 3> channels_;
  uint8_t port_b_ = 0;  // bits 3:0 as written
  bool irq0_level_ = false;
  VirtualClock::TimerId timer_ = 0;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_PIT8254_H_
