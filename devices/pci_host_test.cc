#include "devices/pci_host.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace vmxemu::devices {
namespace {

TEST(PciHostTest, AddressRegisterReadsBackWhatWasWritten) {
  PciHost host(nullptr);
  for (uint32_t address : {0x80000000u, 0x80001808u, 0x0000ABCDu, 0xFFFFFFFFu}) {
    SCOPED_TRACE(address);
    host.Out(PciHost::kAddressPort, 4, address);
    EXPECT_EQ(host.In(PciHost::kAddressPort, 4), address);
  }
}

TEST(PciHostTest, EveryConfigurationReadFindsNoDevice) {
  PciHost host(nullptr);
  struct Case {
    uint32_t address;
    uint16_t port;
    int size;
    uint32_t expected;
  };
  const Case cases[] = {
      {.address = 0x80000000,
       .port = 0xCFC,
       .size = 4,
       .expected = 0xFFFFFFFF},  // 00:00.0 ID
      {.address = 0x80000800, .port = 0xCFC, .size = 2, .expected = 0xFFFF},  // 00:01.0
      {.address = 0x80000008, .port = 0xCFE, .size = 2, .expected = 0xFFFF},
      {.address = 0x8000000C, .port = 0xCFF, .size = 1, .expected = 0xFF},
      {.address = 0x00000000,
       .port = 0xCFC,
       .size = 4,
       .expected = 0xFFFFFFFF},  // disabled
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.address);
    host.Out(PciHost::kAddressPort, 4, c.address);
    host.Out(c.port, c.size, 0x12345678);  // a write to no device
    EXPECT_EQ(host.In(c.port, c.size), c.expected);
  }
}

TEST(PciHostTest, NarrowAccessesToTheAddressPortsAreNotConfigurationCycles) {
  std::vector<std::string> warnings;
  PciHost host([&](std::string m) { warnings.push_back(std::move(m)); });
  host.Out(PciHost::kAddressPort, 4, 0x80000000);
  host.Out(0xCF9, 1, 0x06);  // PIIX reset request
  host.Out(0xCF9, 1, 0x0E);
  EXPECT_EQ(host.In(PciHost::kAddressPort, 4), 0x80000000u);  // unchanged
  EXPECT_EQ(host.In(0xCF9, 1), 0xFFu);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("0xcf9"), std::string::npos);
}

}  // namespace
}  // namespace vmxemu::devices
