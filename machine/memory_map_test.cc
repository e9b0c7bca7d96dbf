#include "machine/memory_map.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::machine {
namespace {

// mem_upper as QEMU 7.2 reports it for -m 4, 64, 128, 1000 and 3072.
TEST(MemoryMapTest, MemUpperMatchesQemu) {
  const struct {
    uint64_t ram_mb;
    uint32_t mem_upper;
  } cases[] = {{4, 0xB80}, {64, 0xFB80}, {128, 129920}, {1000, 0xF9B80}, {3072, 0x2FFB80}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ram_mb);
    const std::vector<MemoryRegion> map = PcMemoryMap(c.ram_mb << 20);
    EXPECT_EQ(MemLowerKib(map), 639u);
    EXPECT_EQ(MemUpperKib(map), c.mem_upper);
  }
}

TEST(MemoryMapTest, UsableRanges) {
  const std::vector<MemoryRegion> map = PcMemoryMap(128 << 20);
  EXPECT_TRUE(IsUsable(map, 0, 0x9FC00));
  EXPECT_FALSE(IsUsable(map, 0x9F000, 0xA0000));
  EXPECT_FALSE(IsUsable(map, 0xA0000, 0xA1000));  // a hole, neither usable nor reserved
  EXPECT_TRUE(IsUsable(map, 0x100000, 0x7FE0000));
  EXPECT_FALSE(IsUsable(map, 0x100000, 0x7FE0001));
  EXPECT_FALSE(IsUsable(map, 0x9F000, 0x100000));  // spans two regions
  EXPECT_EQ(DescribeUsable(map), "[0x0, 0x9fc00) and [0x100000, 0x7fe0000)");
}

}  // namespace
}  // namespace vmxemu::machine
