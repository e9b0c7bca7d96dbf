#include "devices/pit8254.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "devices/pic8259.h"
#include "devices/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::devices {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr uint16_t kCounter0 = 0x40, kCounter2 = 0x42, kControl = 0x43, kPortB = 0x61;

class Pit8254Test : public ::testing::Test {
 protected:
  void Out(uint16_t port, uint8_t value) { pit_.Out(port, 1, value); }
  uint8_t In(uint16_t port) { return static_cast<uint8_t>(pit_.In(port, 1)); }
  void WriteWord(uint16_t port, uint16_t count) {
    Out(port, count & 0xFF);
    Out(port, count >> 8);
  }
  // Read-back of count and status (status first), as SeaBIOS's timer_read() does.
  void ReadBack(int channel, uint8_t* status, uint16_t* count) {
    Out(kControl, 0xC0 | (2 << channel));
    *status = In(kCounter0 + channel);
    *count = In(kCounter0 + channel);
    *count |= In(kCounter0 + channel) << 8;
  }

  TestClock clock_;
  FakeIrqLine irq0_{clock_.clock()};
  std::vector<std::string> warnings_;
  Pit8254 pit_{clock_.clock(), &irq0_, [this](std::string m) { warnings_.push_back(m); }};
};

TEST(Pit8254ClockTest, TicksAreExactAtTheirNanosecond) {
  EXPECT_EQ(Pit8254::NsOfTick(1), 839u);  // 838.095... ns, rounded up
  EXPECT_EQ(Pit8254::TickAt(838), 0u);
  EXPECT_EQ(Pit8254::TickAt(839), 1u);
  EXPECT_EQ(Pit8254::NsOfTick(1193182), 1'000'000'000u);  // no drift after a second
  EXPECT_EQ(Pit8254::NsOfTick(1193182ull * 86400 * 365), 86400ull * 365 * 1'000'000'000);
  for (uint64_t k : {0ull, 1ull, 2ull, 999ull, 65536ull, 123456789ull, 1ull << 40}) {
    SCOPED_TRACE(k);
    EXPECT_EQ(Pit8254::TickAt(Pit8254::NsOfTick(k)), k);
    if (k > 0) {
      EXPECT_EQ(Pit8254::TickAt(Pit8254::NsOfTick(k) - 1), k - 1);
    }
  }
}

TEST_F(Pit8254Test, Channel0StartsAtSeaBios18Hz) {
  uint8_t status;
  uint16_t count;
  ReadBack(0, &status, &count);
  EXPECT_EQ(status & 0x3F, 0x34);  // LSB then MSB, mode 2, binary
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 2 * 65536));
  // The first edge is the line going high at reset; then one per 65536 clocks.
  EXPECT_THAT(irq0_.rising_edges(), ElementsAre(0, 54926240, 109851641));
}

TEST_F(Pit8254Test, SeaBiosTscCalibrationOnChannel2) {
  // tsctimer_setup(): gate 2 high, speaker off, channel 2 mode 0 with count 0x800, then
  // poll port 0x61 bit 5 for OUT2.
  Out(kPortB, (In(kPortB) & ~0x02) | 0x01);
  Out(kControl, 0xB0);
  WriteWord(kCounter2, 0x800);
  // OUT rises N + 1 = 2049 clocks after the write.
  clock_.AdvanceTo(1717257 - 1);
  EXPECT_EQ(In(kPortB) & 0x20, 0);
  clock_.AdvanceTo(1717257);
  EXPECT_EQ(In(kPortB) & 0x20, 0x20);
  EXPECT_EQ(In(kPortB) & 0x0F, 0x01);
}

// One counter, programmed at time 0, read back `j` clocks after its count was loaded.
struct CountCase {
  const char* name;
  uint8_t control;  // for channel 2
  uint16_t count;
  uint64_t j;
  uint16_t expected_count;
  bool expected_out;
};

TEST(Pit8254CountTest, CounterAndOutAtGivenTimes) {
  const CountCase cases[] = {
      {"mode 0 loaded", 0xB0, 1000, 0, 1000, false},
      {"mode 0 at 1", 0xB0, 1000, 999, 1, false},
      {"mode 0 terminal count", 0xB0, 1000, 1000, 0, true},
      {"mode 0 wraps", 0xB0, 1000, 1001, 65535, true},
      {"mode 0 count 0 is 65536", 0xB0, 0, 65535, 1, false},
      {"mode 2 loaded", 0xB4, 1000, 0, 1000, true},
      {"mode 2 at 1 OUT low", 0xB4, 1000, 999, 1, false},
      {"mode 2 reloaded", 0xB4, 1000, 1000, 1000, true},
      {"mode 2 second period", 0xB4, 1000, 1500, 500, true},
      {"mode 3 even high", 0xB6, 1000, 1, 998, true},
      {"mode 3 even end of high", 0xB6, 1000, 499, 2, true},
      {"mode 3 even low", 0xB6, 1000, 500, 1000, false},
      {"mode 3 even next period", 0xB6, 1000, 1000, 1000, true},
      {"mode 3 odd high", 0xB6, 5, 1, 2, true},
      {"mode 3 odd expired, still high", 0xB6, 5, 2, 0, true},
      {"mode 3 odd low", 0xB6, 5, 3, 4, false},
      {"mode 3 odd low end", 0xB6, 5, 4, 2, false},
      {"mode 3 odd next period", 0xB6, 5, 5, 4, true},
      {"mode 4 before strobe", 0xB8, 10, 9, 1, true},
      {"mode 4 strobe", 0xB8, 10, 10, 0, false},
      {"mode 4 after strobe", 0xB8, 10, 11, 65535, true},
      {"mode 6 is mode 2", 0xBC, 1000, 999, 1, false},
  };
  for (const CountCase& c : cases) {
    SCOPED_TRACE(c.name);
    TestClock clock;
    Pit8254 pit(clock.clock(), nullptr, nullptr);
    pit.Out(kPortB, 1, 0x01);  // gate 2 high
    pit.Out(kControl, 1, c.control);
    pit.Out(kCounter2, 1, c.count & 0xFF);
    pit.Out(kCounter2, 1, c.count >> 8);
    clock.AdvanceTo(Pit8254::NsOfTick(1 + c.j));  // written in clock 0, loaded at clock 1
    pit.Out(kControl, 1, 0xC8);  // read-back count and status of channel 2
    const uint8_t status = static_cast<uint8_t>(pit.In(kCounter2, 1));
    const uint16_t count =
        static_cast<uint16_t>(pit.In(kCounter2, 1) | pit.In(kCounter2, 1) << 8);
    EXPECT_EQ(count, c.expected_count);
    EXPECT_EQ((status & 0x80) != 0, c.expected_out);
    EXPECT_EQ((pit.In(kPortB, 1) & 0x20) != 0, c.expected_out);
    EXPECT_EQ(status & 0x40, 0);  // the count was loaded
  }
}

TEST_F(Pit8254Test, LinuxPeriodicTickReachesThePicOnTime) {
  Pic8259Pair pic(nullptr);
  // Linux: init_8259A (vectors 0x30), then pit_set_periodic: 0x34 and LATCH = 1193.
  for (auto [port, value] : std::vector<std::pair<uint16_t, uint8_t>>{{0x20, 0x11},
                                                                      {0x21, 0x30},
                                                                      {0x21, 0x04},
                                                                      {0x21, 0x01},
                                                                      {0xA0, 0x11},
                                                                      {0xA1, 0x38},
                                                                      {0xA1, 0x02},
                                                                      {0xA1, 0x01},
                                                                      {0x21, 0x00},
                                                                      {0xA1, 0x00}}) {
    pic.Out(port, 1, value);
  }
  TestClock clock;
  Pit8254 pit(clock.clock(), pic.irq(0), nullptr);
  EXPECT_EQ(pic.Acknowledge(), 0x30);  // OUT0 went high at reset
  pic.Out(0x20, 1, 0x20);
  pit.Out(kControl, 1, 0x34);
  pit.Out(kCounter0, 1, 1193 & 0xFF);
  pit.Out(kCounter0, 1, 1193 >> 8);
  EXPECT_FALSE(pic.HasInterrupt());
  int ticks = 0;
  std::vector<uint64_t> times;
  while (clock.now() < 10'000'000) {
    clock.AdvanceBy(100);
    if (pic.HasInterrupt()) {
      EXPECT_EQ(pic.Acknowledge(), 0x30);
      pic.Out(0x20, 1, 0x60);
      times.push_back(clock.now());
      ++ticks;
    }
  }
  // Edges at clock 1 + 1193k: k = 1..10 within 10 ms; the first at 1000686 ns.
  EXPECT_EQ(ticks, 10);
  ASSERT_THAT(times, SizeIs(10));
  EXPECT_GE(times[0], 1000686u);
  EXPECT_LT(times[0], 1000686u + 100);
  EXPECT_GE(times[9], 9999313u);
  EXPECT_LT(times[9], 9999313u + 100);
}

TEST_F(Pit8254Test, EdgesKeepTheirOrderWhenTimersRunLate) {
  uint64_t retired = 0;
  VirtualClock clock(&retired, 0);
  FakeIrqLine irq;
  Pit8254 pit(&clock, &irq, nullptr);
  pit.Out(kControl, 1, 0x34);
  pit.Out(kCounter0, 1, 1193 & 0xFF);
  pit.Out(kCounter0, 1, 1193 >> 8);
  retired = 10'000'000;  // the CPU gets to the timers only after 10 ms
  clock.RunDue(clock.NowNs());
  EXPECT_THAT(irq.rising_edges(), SizeIs(1 + 10));  // reset edge + 10 periods
}

TEST_F(Pit8254Test, LatchFreezesTheCountUntilRead) {
  Out(kPortB, 0x01);
  Out(kControl, 0xB4);  // channel 2, mode 2
  WriteWord(kCounter2, 1000);
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 100));
  Out(kControl, 0x80);  // latch channel 2
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 300));
  Out(kControl, 0x80);  // ignored: the first latch was not read yet
  EXPECT_EQ(In(kCounter2), 900 & 0xFF);
  EXPECT_EQ(In(kCounter2), 900 >> 8);
  EXPECT_EQ(In(kCounter2) | In(kCounter2) << 8, 700);  // live again
}

TEST_F(Pit8254Test, LsbOnlyAndMsbOnlyAccess) {
  Out(kPortB, 0x01);
  Out(kControl, 0x94);  // channel 2, LSB only, mode 2
  Out(kCounter2, 0x20);
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 2));
  EXPECT_EQ(In(kCounter2), 0x1E);
  EXPECT_EQ(In(kCounter2), 0x1E);
  Out(kControl, 0xA4);   // MSB only
  Out(kCounter2, 0x01);  // count 0x100
  clock_.AdvanceTo(Pit8254::NsOfTick(3 + 1 + 0x80));
  EXPECT_EQ(In(kCounter2), 0x00);  // 0x80 left: MSB 0
}

TEST_F(Pit8254Test, BcdCounting) {
  Out(kPortB, 0x01);
  Out(kControl, 0xB1);           // channel 2, mode 0, BCD
  WriteWord(kCounter2, 0x1000);  // 1000 decimal
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 1));
  EXPECT_EQ(In(kCounter2) | In(kCounter2) << 8, 0x0999);
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 1001));
  EXPECT_EQ(In(kCounter2) | In(kCounter2) << 8, 0x9999);  // wrapped past 0
}

TEST_F(Pit8254Test, StatusShowsNullCountUntilTheCountIsLoaded) {
  uint8_t status;
  uint16_t count;
  Out(kControl, 0xB6);
  ReadBack(2, &status, &count);
  EXPECT_EQ(status, 0x80 | 0x40 | 0x36);  // OUT high, null count, LSB/MSB, mode 3
  WriteWord(kCounter2, 100);
  ReadBack(2, &status, &count);
  EXPECT_EQ(status & 0x40, 0x40);  // written, not loaded until the next clock
  clock_.AdvanceTo(Pit8254::NsOfTick(1));
  ReadBack(2, &status, &count);
  EXPECT_EQ(status & 0x40, 0);
}

TEST_F(Pit8254Test, NewCountInMode2WaitsForTheEndOfThePeriod) {
  Out(kControl, 0x34);
  WriteWord(kCounter0, 100);  // loaded at clock 1: edges at 101, 201, ...
  clock_.AdvanceTo(Pit8254::NsOfTick(30));
  WriteWord(kCounter0, 50);  // no control word: takes over at clock 101
  clock_.AdvanceTo(Pit8254::NsOfTick(100));
  EXPECT_EQ(In(kCounter0) | In(kCounter0) << 8, 1);
  clock_.AdvanceTo(Pit8254::NsOfTick(101));
  EXPECT_EQ(In(kCounter0) | In(kCounter0) << 8, 50);
  clock_.AdvanceTo(Pit8254::NsOfTick(201));
  EXPECT_THAT(irq0_.rising_edges(),
              ElementsAre(0, Pit8254::NsOfTick(101), Pit8254::NsOfTick(151),
                          Pit8254::NsOfTick(201)));
}

TEST_F(Pit8254Test, GateSuspendsMode0AndRestartsMode2) {
  Out(kPortB, 0x01);
  Out(kControl, 0xB0);
  WriteWord(kCounter2, 1000);
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 100));
  Out(kPortB, 0x00);  // gate low: counting stops at 900
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 500));
  EXPECT_EQ(In(kCounter2) | In(kCounter2) << 8, 900);
  Out(kPortB, 0x01);  // resumes from 900
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 500 + 899));
  EXPECT_EQ(In(kPortB) & 0x20, 0);
  clock_.AdvanceTo(Pit8254::NsOfTick(1 + 500 + 900));
  EXPECT_EQ(In(kPortB) & 0x20, 0x20);

  Out(kControl, 0xB4);  // mode 2
  WriteWord(kCounter2, 10);
  const uint64_t start = Pit8254::TickAt(clock_.now()) + 1;
  clock_.AdvanceTo(Pit8254::NsOfTick(start + 9));  // count 1: OUT low
  EXPECT_EQ(In(kPortB) & 0x20, 0);
  Out(kPortB, 0x00);  // gate low forces OUT high
  EXPECT_EQ(In(kPortB) & 0x20, 0x20);
  Out(kPortB, 0x01);  // rising gate: reload on the next clock
  clock_.AdvanceTo(Pit8254::NsOfTick(start + 9 + 1));
  EXPECT_EQ(In(kCounter2) | In(kCounter2) << 8, 10);
}

TEST_F(Pit8254Test, Mode1IsTriggeredByGate2) {
  Out(kControl, 0xB2);  // channel 2, mode 1
  WriteWord(kCounter2, 5);
  clock_.AdvanceTo(Pit8254::NsOfTick(20));
  EXPECT_EQ(In(kPortB) & 0x20, 0x20);  // waiting for a trigger, OUT high
  Out(kPortB, 0x01);                   // trigger in clock 20: loads at 21
  clock_.AdvanceTo(Pit8254::NsOfTick(21));
  EXPECT_EQ(In(kPortB) & 0x20, 0);
  clock_.AdvanceTo(Pit8254::NsOfTick(25));
  EXPECT_EQ(In(kPortB) & 0x20, 0);
  clock_.AdvanceTo(Pit8254::NsOfTick(26));
  EXPECT_EQ(In(kPortB) & 0x20, 0x20);
}

TEST_F(Pit8254Test, PortBRefreshBitTogglesEvery15085Ns) {
  Out(kPortB, 0x0F);
  EXPECT_EQ(In(kPortB) & 0x1F, 0x0F);
  clock_.AdvanceTo(15085);
  EXPECT_EQ(In(kPortB) & 0x10, 0x10);
  clock_.AdvanceTo(2 * 15085);
  EXPECT_EQ(In(kPortB) & 0x10, 0);
}

TEST_F(Pit8254Test, IllegalCountIsReported) {
  Out(kControl, 0x34);
  WriteWord(kCounter0, 1);
  ASSERT_THAT(warnings_, SizeIs(1));
  EXPECT_THAT(warnings_[0], HasSubstr("count 1 is illegal in mode 2"));
  clock_.AdvanceTo(1'000'000);  // and it does not spin the timer
}

}  // namespace
}  // namespace vmxemu::devices
