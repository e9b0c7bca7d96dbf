#include "devices/uart16550.h"

#include <algorithm>
#include <utility>

namespace vmxemu::devices {
namespace {

// Register offsets from the base (PC16550D Table II); DLL/DLM when LCR.DLAB = 1.
constexpr uint16_t kRbrThrDll = 0;
constexpr uint16_t kIerDlm = 1;
constexpr uint16_t kIirFcr = 2;
constexpr uint16_t kLcr = 3;
constexpr uint16_t kMcr = 4;
constexpr uint16_t kLsr = 5;
constexpr uint16_t kMsr = 6;
constexpr uint16_t kScr = 7;

constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kMcrLoop = 0x10;

constexpr uint8_t kIerRxData = 0x01;
constexpr uint8_t kIerThre = 0x02;
constexpr uint8_t kIerLineStatus = 0x04;
constexpr uint8_t kIerModemStatus = 0x08;

constexpr uint8_t kLsrDataReady = 0x01;
constexpr uint8_t kLsrOverrun = 0x02;
constexpr uint8_t kLsrThre = 0x20;
constexpr uint8_t kLsrTemt = 0x40;

// IIR bits 3:0 (Table IV), highest priority first.
constexpr uint8_t kIirLineStatus = 0x06;
constexpr uint8_t kIirRxData = 0x04;
constexpr uint8_t kIirRxTimeout = 0x0C;
constexpr uint8_t kIirThre = 0x02;
constexpr uint8_t kIirModemStatus = 0x00;
constexpr uint8_t kIirNone = 0x01;
constexpr uint8_t kIirFifosEnabled = 0xC0;

constexpr size_t kFifoSize = 16;
constexpr size_t kRxTriggerLevels[] = {1, 4, 8, 14};  // FCR bits 7:6

}  // namespace

Uart16550::Uart16550(VirtualClock* clock, IrqLine* irq, OutputSink output, uint16_t base)
    : clock_(clock), irq_(irq), output_(std::move(output)), base_(base) {}

Uart16550::~Uart16550() {
  if (timer_ != 0) clock_->Cancel(timer_);
}

uint64_t Uart16550::CharTimeNs() const {
  // Half bits, so that 1.5 stop bits (5-bit words with LCR bit 2) stay integral.
  const int data_bits = 5 + (lcr_ & 0x03);
  int half_bits = 2 * (1 + data_bits + ((lcr_ & 0x08) ? 1 : 0));
  if (lcr_ & 0x04) {
    half_bits += data_bits == 5 ? 3 : 4;
  } else {
    half_bits += 2;
  }
  const uint64_t divisor = divisor_ == 0 ? 65536 : divisor_;
  // A bit lasts 16 * divisor cycles of the 1.8432 MHz clock; half a bit is
  // 8e9 / 1843200 ns = 78125 / 18 ns per unit of divisor. Rounded up to whole ns.
  return (uint64_t(half_bits) * divisor * 78125 + 17) / 18;
}

void Uart16550::PushInput(char c) {
  const uint64_t now = clock_->NowNs();
  Settle(now);
  Receive(static_cast<uint8_t>(c), now);
  Update(now);
}

uint8_t Uart16550::InByte(uint16_t port) {
  const uint16_t reg = static_cast<uint16_t>(port - base_);
  if (reg >= kPortCount) return 0xFF;
  const uint64_t now = clock_->NowNs();
  Settle(now);
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  uint8_t value = 0;
  switch (reg) {
    case kRbrThrDll:
      value = dlab ? static_cast<uint8_t>(divisor_) : ReadRbr(now);
      break;
    case kIerDlm:
      value = dlab ? static_cast<uint8_t>(divisor_ >> 8) : ier_;
      break;
    case kIirFcr: {
      const uint8_t id = InterruptId(now);
      // Reading IIR while it reports THR empty clears that interrupt (Table IV).
      if (id == kIirThre) thre_pending_ = false;
      value = id | (FifoEnabled() ? kIirFifosEnabled : 0);
      break;
    }
    case kLcr:
      value = lcr_;
      break;
    case kMcr:
      value = mcr_;
      break;
    case kLsr:
      value = Lsr();
      line_errors_ = 0;  // reading LSR clears OE
      break;
    case kMsr:
      value = ModemInputs() | msr_deltas_;
      msr_deltas_ = 0;
      break;
    case kScr:
      value = scr_;
      break;
  }
  Update(now);
  return value;
}

void Uart16550::OutByte(uint16_t port, uint8_t value) {
  const uint16_t reg = static_cast<uint16_t>(port - base_);
  if (reg >= kPortCount) return;
  const uint64_t now = clock_->NowNs();
  Settle(now);
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (reg) {
    case kRbrThrDll:
      if (dlab) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0xFF00) | value);
      } else {
        WriteThr(value, now);
      }
      break;
    case kIerDlm:
      if (dlab) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0x00FF) | (value << 8));
      } else {
        WriteIer(value);
      }
      break;
    case kIirFcr:
      WriteFcr(value, now);
      break;
    case kLcr:
      lcr_ = value;
      break;
    case kMcr:
      WriteMcr(value);
      break;
    case kLsr:  // factory test only (datasheet 8.4); ignored
    case kMsr:  // read-only
      break;
    case kScr:
      scr_ = value;
      break;
  }
  Update(now);
}

void Uart16550::Settle(uint64_t now) {
  while (!tx_.empty() && tx_.front().done_ns <= now) {
    const TxChar sent = tx_.front();
    tx_.pop_front();
    // The next character moved from the THR into the TSR when this one finished; if it
    // was the last one waiting, the THR became empty.
    if (tx_.size() == 1) thre_pending_ = true;
    if (sent.looped) Receive(sent.value, sent.done_ns);
  }
}

void Uart16550::Update(uint64_t now) {
  const bool level = InterruptId(now) != kIirNone;
  if (irq_ != nullptr && level != irq_level_) irq_->Set(level);
  irq_level_ = level;

  // The next moment the state changes by itself: a character is sent, or the RX FIFO
  // times out.
  uint64_t next = tx_.empty() ? UINT64_MAX : tx_.front().done_ns;
  const uint64_t timeout = RxTimeoutNs();
  if (timeout > now) next = std::min(next, timeout);
  if (next == timer_deadline_) return;
  if (timer_ != 0) clock_->Cancel(timer_);
  timer_ = 0;
  timer_deadline_ = next;
  if (next == UINT64_MAX) return;
  timer_ = clock_->Schedule(next, [this](uint64_t at) {
    timer_ = 0;
    timer_deadline_ = UINT64_MAX;
    Settle(at);
    Update(at);
  });
}

void Uart16550::WriteThr(uint8_t value, uint64_t now) {
  const bool looped = (mcr_ & kMcrLoop) != 0;
  if (!looped && output_) output_(static_cast<char>(value));
  thre_pending_ = false;  // writing THR clears the THRE interrupt (Table IV)
  const size_t capacity = FifoEnabled() ? kFifoSize : 1;
  const size_t waiting = tx_.empty() ? 0 : tx_.size() - 1;
  if (waiting >= capacity) return;  // overrun: a real part loses the character
  const uint64_t start = tx_.empty() ? now : tx_.back().done_ns;
  tx_.push_back({start + CharTimeNs(), value, looped});
  // Straight into an idle shift register: the THR is empty again at once.
  if (tx_.size() == 1) thre_pending_ = true;
}

uint8_t Uart16550::ReadRbr(uint64_t now) {
  rx_activity_ns_ = now;  // a read restarts the character timeout
  if (rx_.empty()) return rbr_;
  rbr_ = rx_.front();
  rx_.pop_front();
  return rbr_;
}

void Uart16550::Receive(uint8_t value, uint64_t at_ns) {
  rx_activity_ns_ = at_ns;
  const size_t capacity = FifoEnabled() ? kFifoSize : 1;
  if (rx_.size() >= capacity) {
    // Overrun (LSR bit 1): without FIFOs the new character overwrites RBR; with them
    // the FIFO is kept and the new character is lost.
    line_errors_ |= kLsrOverrun;
    if (!FifoEnabled()) rx_.back() = value;
    return;
  }
  rx_.push_back(value);
}

void Uart16550::WriteIer(uint8_t value) {
  const uint8_t changed = (ier_ ^ value) & kIerThre;
  ier_ = value & 0x0F;
  // Enabling the THRE interrupt while THR is empty raises it at once; Linux's and
  // Windows' drivers rely on this (QEMU and Bochs model it the same way).
  if (changed) thre_pending_ = (ier_ & kIerThre) && ThrEmpty();
}

void Uart16550::WriteFcr(uint8_t value, uint64_t now) {
  // Changing FCR bit 0 clears both FIFOs; bits 1 and 2 clear one (datasheet 8.5).
  const bool toggled = ((fcr_ ^ value) & 0x01) != 0;
  const bool clear_rx = toggled || (value & 0x03) == 0x03;
  const bool clear_tx = toggled || (value & 0x05) == 0x05;
  fcr_ = value & 0xC9;
  if (clear_rx) {
    rx_.clear();
    rx_activity_ns_ = now;
  }
  if (clear_tx && tx_.size() > 1) {
    tx_.resize(1);  // the character in the TSR is still sent
    thre_pending_ = true;
  }
}

void Uart16550::WriteMcr(uint8_t value) {
  const uint8_t before = ModemInputs();
  mcr_ = value & 0x1F;
  const uint8_t after = ModemInputs();
  const uint8_t changed = before ^ after;
  if (changed & 0x10) msr_deltas_ |= 0x01;                      // DCTS
  if (changed & 0x20) msr_deltas_ |= 0x02;                      // DDSR
  if ((before & 0x40) && !(after & 0x40)) msr_deltas_ |= 0x04;  // TERI: RI fell
  if (changed & 0x80) msr_deltas_ |= 0x08;                      // DDCD
}

uint8_t Uart16550::InterruptId(uint64_t now) const {
  if ((ier_ & kIerLineStatus) && line_errors_) return kIirLineStatus;
  if (ier_ & kIerRxData) {
    if (RxTimeoutNs() <= now) return kIirRxTimeout;
    const size_t trigger = FifoEnabled() ? kRxTriggerLevels[fcr_ >> 6] : 1;
    if (rx_.size() >= trigger) return kIirRxData;
  }
  if ((ier_ & kIerThre) && thre_pending_) return kIirThre;
  if ((ier_ & kIerModemStatus) && msr_deltas_) return kIirModemStatus;
  return kIirNone;
}

uint8_t Uart16550::Lsr() const {
  uint8_t lsr = line_errors_;
  if (!rx_.empty()) lsr |= kLsrDataReady;
  if (ThrEmpty()) lsr |= kLsrThre;
  if (tx_.empty()) lsr |= kLsrTemt;
  return lsr;
}

uint8_t Uart16550::ModemInputs() const {
  if (mcr_ & kMcrLoop) {
    return static_cast<uint8_t>(((mcr_ & 0x02) ? 0x10 : 0) |  // CTS = RTS
                                ((mcr_ & 0x01) ? 0x20 : 0) |  // DSR = DTR
                                ((mcr_ & 0x04) ? 0x40 : 0) |  // RI = OUT1
                                ((mcr_ & 0x08) ? 0x80 : 0));  // DCD = OUT2
  }
  return 0xB0;  // DCD, DSR, CTS: a terminal is attached
}

uint64_t Uart16550::RxTimeoutNs() const {
  // Character timeout (datasheet 8.6, IIR): FIFO mode, data waiting, and no character
  // put into or read from the FIFO for four character times.
  if (!FifoEnabled() || rx_.empty()) return UINT64_MAX;
  return rx_activity_ns_ + 4 * CharTimeNs();
}

}  // namespace vmxemu::devices
