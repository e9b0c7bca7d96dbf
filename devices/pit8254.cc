#include "devices/pit8254.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"

namespace vmxemu::devices {
namespace {

constexpr uint64_t kNever = UINT64_MAX;
constexpr uint64_t kNsPerSecond = 1'000'000'000;
constexpr uint8_t kAccessLsb = 1;
constexpr uint8_t kAccessMsb = 2;
constexpr uint16_t kControlPort = Pit8254::kBase + 3;

uint32_t Modulus(bool bcd) { return bcd ? 10000 : 65536; }

uint16_t ToBcd(uint32_t v) {
  v %= 10000;
  return static_cast<uint16_t>((v / 1000) << 12 | (v / 100 % 10) << 8 |
                               (v / 10 % 10) << 4 | v % 10);
}

uint32_t FromBcd(uint16_t v) {
  return ((v >> 12) & 0xF) * 1000 + ((v >> 8) & 0xF) * 100 + ((v >> 4) & 0xF) * 10 +
         (v & 0xF);
}

// The counting element and OUT `j` clocks after the CE was loaded with `n` (datasheet,
// "Mode 0" ... "Mode 5"; modes 1 and 5 count from their gate trigger).
uint32_t CountAfter(int mode, uint64_t n, uint64_t j, uint32_t modulus, bool* out) {
  switch (mode) {
    case 2: {  // rate generator: OUT low for the one clock the count is 1
      const uint64_t p = j % n;
      *out = p != n - 1;
      return static_cast<uint32_t>((n - p) % modulus);
    }
    case 3: {  // square wave: high for ceil(N/2), low for floor(N/2), counting by two
      const uint64_t high = (n + 1) / 2;
      const uint64_t p = j % n;
      *out = p < high;
      uint64_t count;
      if (n % 2 == 0) {
        count = n - 2 * (p < high ? p : p - high);
      } else if (p < high) {
        // Odd N: N-1 is loaded; OUT falls one clock after the count expires.
        count = p == high - 1 ? 0 : n - 1 - 2 * p;
      } else {
        count = n - 1 - 2 * (p - high);
      }
      return static_cast<uint32_t>(count % modulus);
    }
    case 0:  // interrupt on terminal count: OUT rises when the count reaches 0
    case 1:  // one-shot: OUT low from the trigger until the count reaches 0
      *out = j >= n;
      break;
    default:  // 4, 5: strobe: OUT low for the one clock the count is 0
      *out = j != n;
      break;
  }
  // Modes 0, 1, 4, 5 keep counting down past 0, wrapping.
  return static_cast<uint32_t>((n + modulus - j % modulus) % modulus);
}

// The first j' > j at which OUT changes, or kNever.
uint64_t NextEdgeAfter(int mode, uint64_t n, uint64_t j) {
  switch (mode) {
    case 0:
    case 1:
      return j < n ? n : kNever;
    case 2: {
      if (n < 2) return kNever;
      const uint64_t p = j % n;
      return p < n - 1 ? j + (n - 1 - p) : j + 1;
    }
    case 3: {
      if (n < 2) return kNever;
      const uint64_t high = (n + 1) / 2;
      const uint64_t p = j % n;
      return p < high ? j + (high - p) : j + (n - p);
    }
    default:
      if (j < n) return n;
      return j == n ? n + 1 : kNever;
  }
}

}  // namespace

uint64_t Pit8254::TickAt(uint64_t ns) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * kFrequencyHz /
                               kNsPerSecond);
}

uint64_t Pit8254::NsOfTick(uint64_t tick) {
  return static_cast<uint64_t>(
      (static_cast<unsigned __int128>(tick) * kNsPerSecond + kFrequencyHz - 1) /
      kFrequencyHz);
}

Pit8254::Pit8254(VirtualClock* clock, IrqLine* irq0, WarningSink warn)
    : clock_(clock), irq0_(irq0), warnings_(std::move(warn)) {
  channels_[2].gate = false;
  // QEMU's reset of channels 1 and 2, then SeaBIOS's pit_setup() of channel 0.
  constexpr std::pair<uint16_t, uint8_t> kSetup[] = {
      {0x43, 0x76}, {0x41, 0x00}, {0x41, 0x00}, {0x43, 0xB6}, {0x42, 0x00},
      {0x42, 0x00}, {0x43, 0x34}, {0x40, 0x00}, {0x40, 0x00},
  };
  for (const auto& [port, value] : kSetup) OutByte(port, value);
}

Pit8254::~Pit8254() {
  if (timer_ != 0) clock_->Cancel(timer_);
}

Pit8254::Snapshot Pit8254::At(const Channel& c, uint64_t tick) const {
  if (!c.counting) return c.held;
  const Segment& s = c.switch_pending && tick >= c.switch_tick ? c.next : c.seg;
  if (tick < s.start) return c.held;
  Snapshot snap;
  snap.count =
      CountAfter(c.mode, s.n, tick - s.start + s.phase, Modulus(c.bcd), &snap.out);
  return snap;
}

void Pit8254::Settle(Channel& c, uint64_t tick) {
  if (c.switch_pending && tick >= c.switch_tick) {
    c.seg = c.next;
    c.switch_pending = false;
  }
}

uint64_t Pit8254::NextOutChange(const Channel& c, uint64_t tick) const {
  if (!c.counting) return kNever;
  const Segment& s = c.seg;
  uint64_t from = tick;
  if (tick < s.start) {
    if (At(c, s.start).out != At(c, tick).out) return s.start;
    from = s.start;
  }
  const uint64_t edge = NextEdgeAfter(c.mode, s.n, from - s.start + s.phase);
  uint64_t next = edge == kNever ? kNever : s.start + (edge - s.phase);
  // A pending count takes over at a boundary of the current one; look again from there.
  if (c.switch_pending) next = std::min(next, c.switch_tick);
  return next;
}

void Pit8254::Start(Channel& c, uint64_t tick, uint32_t n) {
  // Until the next clock loads the CE the counter shows what it showed; in mode 0 OUT
  // is already low.
  c.held = At(c, tick);
  if (c.mode == 0) c.held.out = false;
  c.seg = Segment{tick + 1, n, 0};
  c.counting = true;
  c.paused = false;
  c.switch_pending = false;
  c.null_until = tick + 1;
}

void Pit8254::Pause(Channel& c, uint64_t tick) {
  c.held = At(c, tick);
  c.counting = false;
  c.paused = true;
  c.paused_at = tick;
}

uint8_t Pit8254::InByte(uint16_t port) {
  const uint64_t now = clock_->NowNs();
  const uint64_t tick = TickAt(now);
  if (port == kPortB) {
    Channel& c2 = channels_[2];
    Settle(c2, tick);
    // Bit 4 toggles on every DRAM refresh request, every 15.085 us.
    const uint8_t refresh = ((now / 15085) & 1) ? 0x10 : 0;
    return static_cast<uint8_t>(port_b_ | refresh | (At(c2, tick).out ? 0x20 : 0));
  }
  const int index = port - kBase;
  // The control word register cannot be read: the 8254 leaves the bus floating
  // (datasheet, "Read/Write Operations Summary": A1 A0 = 11 with RD is 3-state).
  if (index < 0 || index > 2) return 0xFF;
  Channel& c = channels_[index];
  Settle(c, tick);
  return ReadCounter(c, tick);
}

void Pit8254::OutByte(uint16_t port, uint8_t value) {
  const uint64_t tick = TickAt(clock_->NowNs());
  for (Channel& c : channels_) Settle(c, tick);
  if (port == kPortB) {
    port_b_ = value & 0x0F;
    SetGate2((value & 0x01) != 0, tick);
  } else if (port == kControlPort) {
    WriteControl(value, tick);
  } else if (port >= kBase && port < kControlPort) {
    WriteCounter(port - kBase, value, tick);
  } else {
    return;
  }
  UpdateIrq0(tick);
}

void Pit8254::WriteControl(uint8_t value, uint64_t tick) {
  const int select = value >> 6;
  if (select == 3) {
    // Read-back command: bit 5 = 0 latches the counts, bit 4 = 0 the status, of the
    // counters selected by bits 1-3. A latched value stays until read.
    for (int i = 0; i < 3; ++i) {
      if (!(value & (2 << i))) continue;
      Channel& c = channels_[i];
      if (!(value & 0x20)) LatchCount(c, tick);
      if (!(value & 0x10) && !c.status_latched) {
        const bool null_count = tick < c.null_until;
        c.status =
            static_cast<uint8_t>((At(c, tick).out ? 0x80 : 0) | (null_count ? 0x40 : 0) |
                                 c.access << 4 | c.mode_bits << 1 | (c.bcd ? 1 : 0));
        c.status_latched = true;
      }
    }
    return;
  }
  Channel& c = channels_[select];
  const uint8_t access = (value >> 4) & 3;
  if (access == 0) {
    LatchCount(c, tick);  // counter latch command
    return;
  }
  // A control word resets the counter's control logic and sets OUT to its initial
  // level: low in mode 0, high otherwise. The count is undefined until one is written.
  const Snapshot current = At(c, tick);
  c.mode_bits = (value >> 1) & 7;
  c.mode = c.mode_bits >= 6 ? c.mode_bits - 4 : c.mode_bits;
  c.access = access;
  c.bcd = (value & 1) != 0;
  c.held = Snapshot{current.count, c.mode != 0};
  c.counting = false;
  c.paused = false;
  c.switch_pending = false;
  c.has_initial = false;
  c.null_until = kNever;
  c.write_msb_next = false;
  c.read_msb_next = false;
  c.count_latched = false;
  c.status_latched = false;
}

void Pit8254::WriteCounter(int index, uint8_t value, uint64_t tick) {
  Channel& c = channels_[index];
  if (c.access == kAccessLsb) {
    LoadCount(index, value, tick);
  } else if (c.access == kAccessMsb) {
    LoadCount(index, static_cast<uint16_t>(value << 8), tick);
  } else if (!c.write_msb_next) {
    c.write_lsb = value;
    c.write_msb_next = true;
    if (c.mode == 0) {
      // Mode 0: writing the first byte stops the count and sets OUT low.
      c.held = Snapshot{At(c, tick).count, false};
      c.counting = false;
      c.paused = false;
    }
  } else {
    c.write_msb_next = false;
    LoadCount(index, static_cast<uint16_t>(c.write_lsb | value << 8), tick);
  }
}

void Pit8254::LoadCount(int index, uint16_t raw, uint64_t tick) {
  Channel& c = channels_[index];
  uint32_t n = c.bcd ? FromBcd(raw) % 10000 : raw;
  if (n == 0) n = Modulus(c.bcd);
  if ((c.mode == 2 || c.mode == 3) && n == 1) {
    warnings_.Report(absl::StrFormat(
        "i8254 channel %d: count 1 is illegal in mode %d (82C54 datasheet); OUT will not "
        "toggle",
        index, c.mode));
  }
  c.initial = n;
  c.has_initial = true;
  switch (c.mode) {
    case 0:
    case 4:
      Start(c, tick, n);
      if (!c.gate) Pause(c, tick + 1);  // loaded, but counting waits for the gate
      break;
    case 1:
    case 5:
      // Loaded by the next gate trigger; a one-shot in progress is not disturbed.
      c.null_until = kNever;
      break;
    default:  // 2, 3
      if (c.counting && tick >= c.seg.start) {
        // A new count takes effect at the end of the current period (mode 2) or
        // half-period (mode 3), without disturbing OUT.
        const Segment& s = c.seg;
        const uint64_t p = (tick - s.start + s.phase) % s.n;
        const uint64_t high = (s.n + 1) / 2;
        c.switch_pending = true;
        if (c.mode == 3 && p < high) {
          c.switch_tick = tick + (high - p);
          c.next = Segment{c.switch_tick, n, (n + 1) / 2};  // enters its low half
        } else {
          c.switch_tick = tick + (s.n - p);
          c.next = Segment{c.switch_tick, n, 0};
        }
        c.null_until = c.switch_tick;
      } else if (!c.gate) {
        c.held =
            Snapshot{n % Modulus(c.bcd), true};  // loaded; counts when the gate rises
        c.counting = false;
        c.null_until = tick + 1;
      } else {
        Start(c, tick, n);
      }
      break;
  }
}

uint8_t Pit8254::ReadCounter(Channel& c, uint64_t tick) {
  if (c.status_latched) {
    c.status_latched = false;
    return c.status;
  }
  uint16_t value;
  if (c.count_latched) {
    value = c.latch;
  } else {
    const uint32_t count = At(c, tick).count;
    value = c.bcd ? ToBcd(count) : static_cast<uint16_t>(count);
  }
  bool msb;
  bool done = true;
  if (c.access == kAccessLsb) {
    msb = false;
  } else if (c.access == kAccessMsb) {
    msb = true;
  } else {
    msb = c.read_msb_next;
    c.read_msb_next = !c.read_msb_next;
    done = msb;
  }
  if (done) c.count_latched = false;
  return static_cast<uint8_t>(msb ? value >> 8 : value);
}

void Pit8254::LatchCount(Channel& c, uint64_t tick) {
  if (c.count_latched) return;  // a second latch before the read is ignored
  const uint32_t count = At(c, tick).count;
  c.latch = c.bcd ? ToBcd(count) : static_cast<uint16_t>(count);
  c.count_latched = true;
}

void Pit8254::SetGate2(bool level, uint64_t tick) {
  Channel& c = channels_[2];
  if (c.gate == level) return;
  c.gate = level;
  if (!level) {
    if (!c.counting) return;
    if (c.mode == 0 || c.mode == 4) {
      Pause(c, tick);  // counting suspended, OUT unchanged
    } else if (c.mode == 2 || c.mode == 3) {
      c.held = Snapshot{At(c, tick).count, true};  // OUT forced high, counting stops
      c.counting = false;
      c.switch_pending = false;
    }
    return;  // modes 1 and 5 ignore the gate level
  }
  if (c.mode == 0 || c.mode == 4) {
    if (!c.paused) return;
    if (tick > c.paused_at) c.seg.start += tick - c.paused_at;
    c.counting = true;
    c.paused = false;
  } else if (c.has_initial) {
    // Modes 1, 5: trigger; modes 2, 3: restart. The count loads on the next clock.
    Start(c, tick, c.initial);
  }
}

void Pit8254::UpdateIrq0(uint64_t tick) {
  Channel& c = channels_[0];
  Settle(c, tick);
  const bool level = At(c, tick).out;
  if (level != irq0_level_ && irq0_ != nullptr) irq0_->Set(level);
  irq0_level_ = level;
  if (timer_ != 0) clock_->Cancel(timer_);
  timer_ = 0;
  const uint64_t next = NextOutChange(c, tick);
  if (next == kNever) return;
  // The callback evaluates OUT at its own clock, not at the (possibly later) time the
  // CPU gets to run timers, so every edge reaches the PIC in order.
  timer_ = clock_->Schedule(NsOfTick(next), [this, next](uint64_t) {
    timer_ = 0;
    UpdateIrq0(next);
  });
}

}  // namespace vmxemu::devices
