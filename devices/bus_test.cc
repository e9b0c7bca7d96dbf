#include "devices/bus.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::devices {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Returns a fixed pattern and records what reached it.
class FakePort final : public PortDevice {
 public:
  explicit FakePort(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  uint32_t In(uint16_t port, int size) override {
    ins.push_back({port, size});
    return 0x12345678;
  }
  void Out(uint16_t port, int size, uint32_t value) override {
    outs.push_back({port, size, value});
  }
  struct Access {
    uint16_t port;
    int size;
    uint32_t value = 0;
    bool operator==(const Access&) const = default;
  };
  std::vector<Access> ins;
  std::vector<Access> outs;

 private:
  std::string name_;
};

class FakeMmio final : public MmioDevice {
 public:
  std::string_view name() const override { return "fake-mmio"; }
  uint64_t Read(uint64_t offset, int) override {
    last_offset = offset;
    return 0x1122334455667788;
  }
  void Write(uint64_t offset, int, uint64_t value) override {
    last_offset = offset;
    last_value = value;
  }
  uint64_t last_offset = 0;
  uint64_t last_value = 0;
};

class IoBusTest : public ::testing::Test {
 protected:
  IoBus bus_{[this](std::string m) { warnings_.push_back(std::move(m)); }};
  std::vector<std::string> warnings_;
};

TEST_F(IoBusTest, RejectsOverlappingPortRanges) {
  FakePort uart("uart"), other("other");
  ASSERT_TRUE(bus_.AddPorts(0x3F8, 8, &uart).ok());
  struct Case {
    const char* name;
    uint16_t first;
    uint32_t count;
    absl::StatusCode code;
  };
  constexpr absl::StatusCode kExists = absl::StatusCode::kAlreadyExists;
  constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
  constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
  const Case cases[] = {
      {.name = "same range", .first = 0x3F8, .count = 8, .code = kExists},
      {.name = "overlaps start", .first = 0x3F0, .count = 9, .code = kExists},
      {.name = "overlaps end", .first = 0x3FF, .count = 4, .code = kExists},
      {.name = "inside", .first = 0x3FA, .count = 1, .code = kExists},
      {.name = "contains", .first = 0x300, .count = 0x200, .code = kExists},
      {.name = "post code", .first = 0x80, .count = 1, .code = kExists},
      {.name = "empty", .first = 0x500, .count = 0, .code = kInvalid},
      {.name = "past 0xffff", .first = 0xFFFF, .count = 2, .code = kInvalid},
      {.name = "just below", .first = 0x3F0, .count = 8, .code = kOk},
      {.name = "just above", .first = 0x400, .count = 1, .code = kOk},
      {.name = "last port", .first = 0xFFFF, .count = 1, .code = kOk},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(bus_.AddPorts(c.first, c.count, &other).code(), c.code);
  }
}

TEST_F(IoBusTest, OverlapMessageNamesBothDevices) {
  FakePort uart("uart16550"), pic("i8259");
  ASSERT_TRUE(bus_.AddPorts(0x3F8, 8, &uart).ok());
  const absl::Status status = bus_.AddPorts(0x3FC, 2, &pic);
  EXPECT_THAT(std::string(status.message()), HasSubstr("i8259"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("uart16550"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("0x3f8-0x3ff"));
}

TEST_F(IoBusTest, WideAccessGoesToTheOwnerOfTheFirstPort) {
  FakePort low("low"), high("high");
  ASSERT_TRUE(bus_.AddPorts(0x100, 2, &low).ok());
  ASSERT_TRUE(bus_.AddPorts(0x102, 2, &high).ok());
  EXPECT_EQ(bus_.In(0x101, 4), 0x12345678u);
  EXPECT_EQ(bus_.In(0x101, 2), 0x5678u);  // masked to the access size
  bus_.Out(0x101, 4, 0xCAFEF00D);
  EXPECT_THAT(low.ins,
              ElementsAre(FakePort::Access{0x101, 4}, FakePort::Access{0x101, 2}));
  EXPECT_THAT(low.outs, ElementsAre(FakePort::Access{0x101, 4, 0xCAFEF00D}));
  EXPECT_TRUE(high.ins.empty());
  EXPECT_TRUE(high.outs.empty());
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(IoBusTest, UnclaimedPortsReadAllOnesAndAreReportedOnce) {
  struct Case {
    int size;
    uint32_t expected;
  };
  for (const Case& c : {Case{1, 0xFF}, Case{2, 0xFFFF}, Case{4, 0xFFFFFFFF}}) {
    SCOPED_TRACE(c.size);
    EXPECT_EQ(bus_.In(0x2F8, c.size), c.expected);
  }
  bus_.Out(0x2F8, 1, 0x41);  // dropped, and the port was already reported
  bus_.In(0x2F9, 1);
  EXPECT_THAT(warnings_, ElementsAre("unhandled I/O port 0x2f8 (reads all ones)",
                                     "unhandled I/O port 0x2f9 (reads all ones)"));
}

TEST_F(IoBusTest, PostCodePortIsSilent) {
  bus_.Out(0x80, 1, 0x42);
  EXPECT_EQ(bus_.In(0x80, 1), 0xFFu);
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(bus_.PortOwner(0x80)->name(), "post-code");
}

TEST_F(IoBusTest, MmioDispatchesWithOffsetsFromTheBase) {
  FakeMmio lapic;
  ASSERT_TRUE(bus_.AddMmio(0xFEE00000, 0x1000, &lapic).ok());
  EXPECT_EQ(bus_.Read(0xFEE00030, 4), 0x55667788u);
  EXPECT_EQ(lapic.last_offset, 0x30u);
  EXPECT_EQ(bus_.Read(0xFEE00FF8, 8), 0x1122334455667788u);
  bus_.Write(0xFEE000B0, 4, 0x1'0000'0000 | 7);  // masked to 4 bytes
  EXPECT_EQ(lapic.last_offset, 0xB0u);
  EXPECT_EQ(lapic.last_value, 7u);
  EXPECT_EQ(bus_.AddMmio(0xFEE00800, 0x1000, &lapic).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(bus_.AddMmio(0xFEDFF000, 0x1001, &lapic).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(bus_.AddMmio(0xFEDFF000, 0x1000, &lapic).ok());
  EXPECT_EQ(bus_.AddMmio(~uint64_t{0}, 2, &lapic).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(IoBusTest, UnclaimedMmioReadsAllOnesReportedOncePerPage) {
  EXPECT_EQ(bus_.Read(0xFEC00000, 4), 0xFFFFFFFFu);
  EXPECT_EQ(bus_.Read(0xFEC00010, 8), ~uint64_t{0});
  bus_.Write(0xFEC00FFC, 4, 1);
  EXPECT_EQ(bus_.Read(0xFEC01000, 1), 0xFFu);
  ASSERT_EQ(warnings_.size(), 2u);
  EXPECT_THAT(warnings_[0], HasSubstr("0xfec00000"));
  EXPECT_THAT(warnings_[1], HasSubstr("0xfec01000"));
}

}  // namespace
}  // namespace vmxemu::devices
