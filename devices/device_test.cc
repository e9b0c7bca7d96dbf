#include "devices/device.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "devices/clock.h"
#include "devices/test_util.h"
#include "gtest/gtest.h"

namespace vmxemu::devices {
namespace {

TEST(AllOnesTest, EverySize) {
  EXPECT_EQ(AllOnes(1), 0xFFu);
  EXPECT_EQ(AllOnes(2), 0xFFFFu);
  EXPECT_EQ(AllOnes(4), 0xFFFFFFFFu);
  EXPECT_EQ(AllOnes(8), ~uint64_t{0});
}

TEST(OnceWarningsTest, EachDistinctMessageOnce) {
  std::vector<std::string> seen;
  OnceWarnings warnings([&](std::string m) { seen.push_back(std::move(m)); });
  warnings.Report("a");
  warnings.Report("b");
  warnings.Report("a");
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

// Records byte accesses so the splitting of wide accesses is visible.
class ByteRecorder final : public BytePortDevice {
 public:
  std::string_view name() const override { return "recorder"; }
  std::vector<std::pair<uint16_t, uint8_t>> writes;
  std::vector<uint16_t> reads;

 protected:
  uint8_t InByte(uint16_t port) override {
    reads.push_back(port);
    return static_cast<uint8_t>(port);
  }
  void OutByte(uint16_t port, uint8_t value) override { writes.push_back({port, value}); }
};

TEST(BytePortDeviceTest, WideAccessesAreConsecutiveBytesLowFirst) {
  ByteRecorder device;
  device.Out(0x10, 4, 0xAABBCCDD);
  EXPECT_EQ(device.writes, (std::vector<std::pair<uint16_t, uint8_t>>{
                               {0x10, 0xDD}, {0x11, 0xCC}, {0x12, 0xBB}, {0x13, 0xAA}}));
  EXPECT_EQ(device.In(0x20, 2), 0x2120u);
  EXPECT_EQ(device.reads, (std::vector<uint16_t>{0x20, 0x21}));
}

TEST(VirtualClockTest, TimersFireInDeadlineThenArmingOrder) {
  uint64_t retired = 0;
  VirtualClock clock(&retired, 2);
  std::vector<int> fired;
  clock.Schedule(20, [&](uint64_t) { fired.push_back(1); });
  clock.Schedule(10, [&](uint64_t) { fired.push_back(2); });
  const VirtualClock::TimerId cancelled =
      clock.Schedule(15, [&](uint64_t) { fired.push_back(3); });
  clock.Schedule(20, [&](uint64_t) { fired.push_back(4); });
  clock.Cancel(cancelled);
  retired = 5;  // 5 instructions << 2 = 20 ns
  EXPECT_EQ(clock.NowNs(), 20u);
  EXPECT_EQ(clock.RunDue(clock.NowNs()), UINT64_MAX);
  EXPECT_EQ(fired, (std::vector<int>{2, 1, 4}));
}

TEST(TestClockTest, FiresEachTimerAtItsDeadline) {
  TestClock clock;
  std::vector<uint64_t> seen;
  clock.clock()->Schedule(100, [&](uint64_t now) {
    seen.push_back(now);
    clock.clock()->Schedule(now + 50, [&](uint64_t later) { seen.push_back(later); });
  });
  clock.AdvanceTo(1000);
  EXPECT_EQ(seen, (std::vector<uint64_t>{100, 150}));
  EXPECT_EQ(clock.now(), 1000u);
}

}  // namespace
}  // namespace vmxemu::devices
