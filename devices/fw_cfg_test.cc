#include "devices/fw_cfg.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::devices {
namespace {

using ::testing::ElementsAreArray;

std::vector<uint8_t> ReadItem(FwCfg& fw_cfg, uint16_t key, int bytes) {
  fw_cfg.Out(FwCfg::kSelectorPort, 2, key);
  std::vector<uint8_t> out;
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<uint8_t>(fw_cfg.In(FwCfg::kDataPort, 1)));
  }
  return out;
}

TEST(FwCfgTest, WellKnownItems) {
  FwCfg fw_cfg(128ull << 20);  // 128 MiB = 0x08000000
  struct Case {
    const char* name;
    uint16_t key;
    std::vector<uint8_t> bytes;  // followed by zeros past the end
  };
  const Case cases[] = {
      {.name = "signature", .key = 0x0000, .bytes = {'Q', 'E', 'M', 'U'}},
      {.name = "id: traditional interface, no DMA", .key = 0x0001, .bytes = {1, 0, 0, 0}},
      {.name = "ram size", .key = 0x0003, .bytes = {0, 0, 0, 8, 0, 0, 0, 0}},
      {.name = "nb cpus", .key = 0x0005, .bytes = {1, 0}},
      {.name = "max cpus", .key = 0x000F, .bytes = {1, 0}},
      {.name = "file dir: count 0", .key = 0x0019, .bytes = {0, 0, 0, 0}},
      {.name = "unknown key", .key = 0x0042, .bytes = {}},
      {.name = "unknown arch key", .key = 0x8000, .bytes = {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<uint8_t> expected = c.bytes;
    expected.resize(c.bytes.size() + 3, 0);  // reading past the end gives 0
    EXPECT_THAT(ReadItem(fw_cfg, c.key, static_cast<int>(expected.size())),
                ElementsAreArray(expected));
  }
}

TEST(FwCfgTest, SelectingResetsTheOffset) {
  FwCfg fw_cfg(0);
  EXPECT_THAT(ReadItem(fw_cfg, 0, 2), ElementsAreArray({'Q', 'E'}));
  EXPECT_THAT(ReadItem(fw_cfg, 0, 4), ElementsAreArray({'Q', 'E', 'M', 'U'}));
  // Byte-wide selector writes also select (QEMU accepts 1- and 2-byte writes).
  fw_cfg.Out(FwCfg::kSelectorPort, 1, 0);
  EXPECT_EQ(fw_cfg.In(FwCfg::kDataPort, 1), 'Q');
}

TEST(FwCfgTest, InvalidAccessSizesReadAllOnes) {
  FwCfg fw_cfg(0);
  fw_cfg.Out(FwCfg::kSelectorPort, 2, 0);
  EXPECT_EQ(fw_cfg.In(FwCfg::kDataPort, 2), 0xFFFFu);
  EXPECT_EQ(fw_cfg.In(FwCfg::kDataPort, 4), 0xFFFFFFFFu);
  fw_cfg.Out(FwCfg::kDataPort, 1, 0x55);           // data writes are ignored
  EXPECT_EQ(fw_cfg.In(FwCfg::kDataPort, 1), 'Q');  // offset was not moved
}

}  // namespace
}  // namespace vmxemu::devices
