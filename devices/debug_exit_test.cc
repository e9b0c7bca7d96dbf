#include "devices/debug_exit.h"

#include <cstdint>
#include <vector>

#include "devices/bus.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::devices {
namespace {

TEST(DebugExitTest, WriteRequestsExitWithValueShiftedAndOred) {
  struct Case {
    uint16_t port;
    int size;
    uint32_t value;
    uint64_t status;
  };
  const Case cases[] = {
      {.port = 0xF4, .size = 1, .value = 0x00, .status = 1},
      {.port = 0xF4, .size = 1, .value = 0x01, .status = 3},
      {.port = 0xF4, .size = 1, .value = 0x10, .status = 0x21},
      {.port = 0xF4, .size = 2, .value = 0x1234, .status = 0x2469},
      {.port = 0xF4, .size = 4, .value = 0x80000000, .status = 0x100000001},
      {.port = 0xF7, .size = 1, .value = 0x05, .status = 0x0B},  // any of the 4 ports
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    std::vector<uint64_t> exits;
    DebugExit device([&](uint64_t status) { exits.push_back(status); });
    IoBus bus(nullptr);
    ASSERT_TRUE(bus.AddPorts(DebugExit::kBase, DebugExit::kPortCount, &device).ok());
    bus.Out(c.port, c.size, c.value);
    EXPECT_THAT(exits, ::testing::ElementsAre(c.status));
  }
}

TEST(DebugExitTest, ReadsAllOnesAndDoNotExit) {
  bool exited = false;
  DebugExit device([&](uint64_t) { exited = true; });
  EXPECT_EQ(device.In(0xF4, 1), 0xFFu);
  EXPECT_EQ(device.In(0xF4, 4), 0xFFFFFFFFu);
  EXPECT_FALSE(exited);
}

}  // namespace
}  // namespace vmxemu::devices
