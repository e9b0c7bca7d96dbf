#include "devices/uart16550.h"

#include <cstdint>
#include <string>
#include <vector>

#include "devices/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::devices {
namespace {

using ::testing::ElementsAre;

constexpr uint16_t kThr = 0x3F8, kIer = 0x3F9, kIir = 0x3FA, kFcr = 0x3FA, kLcr = 0x3FB,
                   kMcr = 0x3FC, kLsr = 0x3FD, kMsr = 0x3FE, kScr = 0x3FF;
constexpr uint8_t kThre = 0x20, kTemt = 0x40, kDataReady = 0x01, kOverrun = 0x02;
// 8N1 at 115200 baud: 10 bits of 16 / 1.8432 MHz = 86805.5 ns, rounded up.
constexpr uint64_t kChar115200 = 86806;

class Uart16550Test : public ::testing::Test {
 protected:
  uint8_t In(uint16_t port) { return static_cast<uint8_t>(uart_.In(port, 1)); }
  void Out(uint16_t port, uint8_t value) { uart_.Out(port, 1, value); }

  // Linux's early_serial_init(): 8N1, no interrupts, no FIFO, DTR|RTS, then the divisor.
  void InitLikeLinux(uint16_t divisor) {
    Out(kLcr, 0x03);
    Out(kIer, 0);
    Out(kFcr, 0);
    Out(kMcr, 0x03);
    const uint8_t lcr = In(kLcr);
    Out(kLcr, lcr | 0x80);
    Out(kThr, divisor & 0xFF);
    Out(kIer, divisor >> 8);
    Out(kLcr, lcr & ~0x80);
  }

  TestClock clock_;
  FakeIrqLine irq_{clock_.clock()};
  std::string output_;
  Uart16550 uart_{clock_.clock(), &irq_, [this](char c) { output_ += c; }};
};

TEST_F(Uart16550Test, ResetStateIsQemus) {
  EXPECT_EQ(In(kIir), 0x01);  // no interrupt, FIFOs off
  EXPECT_EQ(In(kLcr), 0x00);
  EXPECT_EQ(In(kMcr), 0x08);  // OUT2
  EXPECT_EQ(In(kLsr), kThre | kTemt);
  EXPECT_EQ(In(kMsr), 0xB0);  // DCD, DSR, CTS
  Out(kLcr, 0x80);
  EXPECT_EQ(In(kThr), 12);  // 9600 baud
  EXPECT_EQ(In(kIer), 0);
}

TEST_F(Uart16550Test, CharacterTimeFollowsLineControlAndDivisor) {
  struct Case {
    const char* name;
    uint8_t lcr;
    uint16_t divisor;
    uint64_t ns;
  };
  const Case cases[] = {
      {.name = "8N1 115200", .lcr = 0x03, .divisor = 1, .ns = 86806},
      {.name = "8N1 9600", .lcr = 0x03, .divisor = 12, .ns = 1041667},
      {.name = "7N1", .lcr = 0x02, .divisor = 1, .ns = 78125},
      {.name = "8E1", .lcr = 0x1B, .divisor = 1, .ns = 95487},
      {.name = "8N2", .lcr = 0x07, .divisor = 1, .ns = 95487},
      {.name = "5N1.5", .lcr = 0x04, .divisor = 1, .ns = 65105},
      {.name = "divisor 0 is 65536", .lcr = 0x03, .divisor = 0, .ns = 5688888889},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Out(kLcr, 0x80);
    Out(kThr, c.divisor & 0xFF);
    Out(kIer, c.divisor >> 8);
    Out(kLcr, c.lcr);
    EXPECT_EQ(uart_.CharTimeNs(), c.ns);
  }
}

TEST_F(Uart16550Test, OutputIsExactlyTheBytesWritten) {
  InitLikeLinux(1);
  const std::string bytes("a\r\n\0\xff\x1b[0m", 9);
  for (char c : bytes) Out(kThr, static_cast<uint8_t>(c));
  EXPECT_EQ(output_, bytes);
}

TEST_F(Uart16550Test, ThreAndTemtFollowTheShiftRegister) {
  InitLikeLinux(1);
  Out(kThr, 'a');  // into the idle shift register: the THR is empty again at once
  EXPECT_EQ(In(kLsr) & (kThre | kTemt), kThre);
  Out(kThr, 'b');  // waits in the THR until 'a' is sent
  EXPECT_EQ(In(kLsr) & (kThre | kTemt), 0);
  clock_.AdvanceTo(kChar115200 - 1);
  EXPECT_EQ(In(kLsr) & (kThre | kTemt), 0);
  clock_.AdvanceTo(kChar115200);  // 'a' sent, 'b' moves into the shift register
  EXPECT_EQ(In(kLsr) & (kThre | kTemt), kThre);
  clock_.AdvanceTo(2 * kChar115200 - 1);
  EXPECT_EQ(In(kLsr) & (kThre | kTemt), kThre);
  clock_.AdvanceTo(2 * kChar115200);
  EXPECT_EQ(In(kLsr) & (kThre | kTemt), kThre | kTemt);
}

TEST_F(Uart16550Test, GuestPollingThreWritesAtTheLineRateAndTemtWaitsForTheLastBit) {
  InitLikeLinux(1);
  constexpr uint64_t kPollNs = 10;  // one LSR poll loop iteration
  std::vector<uint64_t> write_times;
  for (char c : std::string("hello")) {
    while ((In(kLsr) & kThre) == 0) clock_.AdvanceBy(kPollNs);
    write_times.push_back(clock_.now());
    Out(kThr, static_cast<uint8_t>(c));
  }
  while ((In(kLsr) & kTemt) == 0) clock_.AdvanceBy(kPollNs);
  EXPECT_EQ(output_, "hello");
  // 'h' and 'e' go at once (shift register + THR); each later one waits for a character
  // to leave, so the k-th write happens at the end of character k-2.
  ASSERT_EQ(write_times.size(), 5u);
  EXPECT_EQ(write_times[0], 0u);
  EXPECT_EQ(write_times[1], 0u);
  for (int k = 2; k < 5; ++k) {
    SCOPED_TRACE(k);
    EXPECT_GE(write_times[k], (k - 1) * kChar115200);
    EXPECT_LT(write_times[k], (k - 1) * kChar115200 + kPollNs);
  }
  EXPECT_GE(clock_.now(), 5 * kChar115200);
  EXPECT_LT(clock_.now(), 5 * kChar115200 + kPollNs);
}

TEST_F(Uart16550Test, FifoAcceptsSixteenCharactersBehindTheShiftRegister) {
  InitLikeLinux(1);
  Out(kFcr, 0x07);  // enable and clear both FIFOs
  for (int i = 0; i < 16; ++i) {
    Out(kThr, static_cast<uint8_t>('A' + i));
    EXPECT_EQ(In(kLsr) & kThre, i == 0 ? kThre : 0) << i;
  }
  Out(kThr, 'Q');  // 1 in the TSR + 15 in the FIFO: fills it
  EXPECT_EQ(In(kLsr) & kThre, 0);
  EXPECT_EQ(output_.size(), 17u);
  clock_.AdvanceTo(16 * kChar115200);  // the FIFO has drained into the TSR
  EXPECT_EQ(In(kLsr) & (kThre | kTemt), kThre);
  clock_.AdvanceTo(17 * kChar115200);
  EXPECT_EQ(In(kLsr) & (kThre | kTemt), kThre | kTemt);
}

TEST_F(Uart16550Test, ThrEmptyInterrupt) {
  InitLikeLinux(1);
  Out(kIer, 0x02);  // enabling it with the THR empty raises it at once
  EXPECT_TRUE(irq_.level());
  EXPECT_EQ(In(kIir), 0x02);
  EXPECT_FALSE(irq_.level());  // reading IIR cleared it
  EXPECT_EQ(In(kIir), 0x01);
  Out(kThr, 'x');  // straight into the shift register: THR empty again, so it re-fires
  EXPECT_TRUE(irq_.level());
  Out(kThr, 'y');  // writing THR clears it; 'y' waits
  EXPECT_FALSE(irq_.level());
  clock_.AdvanceTo(3 * kChar115200);
  // 'y' moved into the TSR when 'x' finished.
  EXPECT_THAT(irq_.rising_edges(), ElementsAre(0, 0, kChar115200));
  Out(kIer, 0);
  EXPECT_FALSE(irq_.level());
}

TEST_F(Uart16550Test, ReceiveDataAndOverrun) {
  InitLikeLinux(1);
  Out(kIer, 0x05);  // RX data + line status
  uart_.PushInput('x');
  EXPECT_EQ(In(kLsr) & kDataReady, kDataReady);
  EXPECT_TRUE(irq_.level());
  EXPECT_EQ(In(kIir), 0x04);
  EXPECT_EQ(In(kThr), 'x');
  EXPECT_EQ(In(kLsr) & kDataReady, 0);
  EXPECT_FALSE(irq_.level());

  uart_.PushInput('a');
  uart_.PushInput('b');       // no FIFO: overwrites RBR
  EXPECT_EQ(In(kIir), 0x06);  // line status outranks data
  EXPECT_EQ(In(kLsr) & (kOverrun | kDataReady), kOverrun | kDataReady);
  EXPECT_EQ(In(kLsr) & kOverrun, 0);  // cleared by the read
  EXPECT_EQ(In(kIir), 0x04);
  EXPECT_EQ(In(kThr), 'b');
  EXPECT_EQ(In(kThr), 'b');  // RBR keeps the last character
}

TEST_F(Uart16550Test, FifoTriggerLevelAndCharacterTimeout) {
  InitLikeLinux(1);
  Out(kFcr, 0x87);  // FIFOs on, trigger level 8
  Out(kIer, 0x01);
  for (char c : std::string("12345")) uart_.PushInput(c);
  EXPECT_EQ(In(kIir), 0xC1);  // below the trigger level
  clock_.AdvanceTo(4 * kChar115200 - 1);
  EXPECT_FALSE(irq_.level());
  clock_.AdvanceTo(4 * kChar115200);  // four character times without FIFO activity
  EXPECT_TRUE(irq_.level());
  EXPECT_EQ(In(kIir), 0xCC);
  EXPECT_EQ(In(kThr), '1');  // a read restarts the timeout
  EXPECT_EQ(In(kIir), 0xC1);
  for (char c : std::string("6789")) uart_.PushInput(c);  // 8 waiting: trigger level
  EXPECT_EQ(In(kIir), 0xC4);
  EXPECT_THAT(irq_.rising_edges(), ElementsAre(4 * kChar115200, 4 * kChar115200));
}

TEST_F(Uart16550Test, LinuxAutoconfigProbe) {
  // serial8250 autoconfig(): IER bits 3:0 stick, loopback with RTS|OUT2 reads
  // CTS|DCD in MSR, and enabling the FIFO shows IIR bits 7:6 = 3 (a 16550A).
  Out(kIer, 0);
  EXPECT_EQ(In(kIer) & 0x0F, 0);
  Out(kIer, 0x0F);
  EXPECT_EQ(In(kIer) & 0x0F, 0x0F);
  Out(kIer, 0);
  Out(kMcr, 0x10 | 0x0A);
  EXPECT_EQ(In(kMsr) & 0xF0, 0x90);
  Out(kMcr, 0x03);
  Out(kFcr, 0x01);
  EXPECT_EQ(In(kIir) >> 6, 3);
  Out(kScr, 0xA5);
  EXPECT_EQ(In(kScr), 0xA5);
}

TEST_F(Uart16550Test, LoopbackDeliversToTheReceiverAfterOneCharacterTime) {
  InitLikeLinux(1);
  Out(kMcr, 0x13);
  Out(kThr, 'Z');
  EXPECT_EQ(output_, "");  // nothing leaves the chip in loopback
  clock_.AdvanceTo(kChar115200 - 1);
  EXPECT_EQ(In(kLsr) & kDataReady, 0);
  clock_.AdvanceTo(kChar115200);
  EXPECT_EQ(In(kLsr) & kDataReady, kDataReady);
  EXPECT_EQ(In(kThr), 'Z');
  Out(kMcr, 0x03);
  Out(kThr, 'O');
  EXPECT_EQ(output_, "O");
}

TEST_F(Uart16550Test, ModemStatusDeltasInLoopback) {
  Out(kMcr, 0x10);  // loopback, all outputs off: CTS, DSR and DCD fall
  EXPECT_EQ(In(kMsr), 0x0B);
  EXPECT_EQ(In(kMsr), 0x00);  // reading cleared the deltas
  Out(kIer, 0x08);
  Out(kMcr, 0x10 | 0x02 | 0x04);  // RTS -> CTS, OUT1 -> RI
  EXPECT_TRUE(irq_.level());
  EXPECT_EQ(In(kIir), 0x00);
  EXPECT_EQ(In(kMsr), 0x50 | 0x01);  // CTS, RI, delta CTS
  EXPECT_FALSE(irq_.level());
  Out(kMcr, 0x10);  // RI falls: trailing edge
  EXPECT_EQ(In(kMsr), 0x04 | 0x01);
}

}  // namespace
}  // namespace vmxemu::devices
