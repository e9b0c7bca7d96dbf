#include "devices/pic8259.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::devices {
namespace {

using ::testing::HasSubstr;

constexpr uint16_t kMasterCmd = 0x20, kMasterImr = 0x21, kSlaveCmd = 0xA0,
                   kSlaveImr = 0xA1;

class Pic8259Test : public ::testing::Test {
 protected:
  void Out(uint16_t port, uint8_t value) { pic_.Out(port, 1, value); }
  uint8_t In(uint16_t port) { return static_cast<uint8_t>(pic_.In(port, 1)); }

  // Linux's init_8259A(auto_eoi) on x86-64: vectors 0x30 and 0x38, then all unmasked.
  void InitLikeLinux(bool auto_eoi = false) {
    Out(kMasterImr, 0xFF);
    Out(kSlaveImr, 0xFF);
    Out(kMasterCmd, 0x11);
    Out(kMasterImr, 0x30);
    Out(kMasterImr, 0x04);
    Out(kMasterImr, auto_eoi ? 0x03 : 0x01);
    Out(kSlaveCmd, 0x11);
    Out(kSlaveImr, 0x38);
    Out(kSlaveImr, 0x02);
    Out(kSlaveImr, 0x01);
    Out(kMasterImr, 0x00);
    Out(kSlaveImr, 0x00);
  }
  // Linux's mask_and_ack_8259A() EOIs: specific EOI to the slave, then to master IR2.
  void EoiLikeLinux(int irq) {
    if (irq >= 8) {
      Out(kSlaveCmd, 0x60 + (irq & 7));
      Out(kMasterCmd, 0x62);
    } else {
      Out(kMasterCmd, 0x60 + irq);
    }
  }
  uint8_t ReadIsr(uint16_t cmd) {
    Out(cmd, 0x0B);
    const uint8_t isr = In(cmd);
    Out(cmd, 0x0A);
    return isr;
  }

  std::vector<std::string> warnings_;
  Pic8259Pair pic_{[this](std::string m) { warnings_.push_back(std::move(m)); }};
};

TEST_F(Pic8259Test, StartsAsSeaBiosLeavesIt) {
  EXPECT_EQ(In(kMasterImr), 0xFB);
  EXPECT_EQ(In(kSlaveImr), 0xFF);
  pic_.irq(3)->Set(true);
  EXPECT_FALSE(pic_.HasInterrupt());  // masked, but latched in IRR
  EXPECT_EQ(In(kMasterCmd), 0x08);
  Out(kMasterImr, 0xF3);
  ASSERT_TRUE(pic_.HasInterrupt());
  EXPECT_EQ(pic_.Acknowledge(), 0x0B);  // BIOS vector base 0x08
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(Pic8259Test, EachIrqGetsItsVector) {
  InitLikeLinux();
  struct Case {
    int irq;
    uint8_t vector;
  };
  const Case cases[] = {{0, 0x30}, {1, 0x31},  {2, 0x39} /* IRQ2 is IRQ9 on the AT bus */,
                        {3, 0x33}, {7, 0x37},  {8, 0x38},
                        {9, 0x39}, {12, 0x3C}, {15, 0x3F}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.irq);
    pic_.irq(c.irq)->Pulse();
    ASSERT_TRUE(pic_.HasInterrupt());
    EXPECT_EQ(pic_.Acknowledge(), c.vector);
    EXPECT_FALSE(pic_.HasInterrupt());
    EoiLikeLinux(c.vector - 0x30);
    EXPECT_EQ(ReadIsr(kMasterCmd), 0);
    EXPECT_EQ(ReadIsr(kSlaveCmd), 0);
  }
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(Pic8259Test, PriorityAndNesting) {
  InitLikeLinux();
  pic_.irq(4)->Pulse();
  pic_.irq(1)->Pulse();
  EXPECT_EQ(pic_.Acknowledge(), 0x31);  // IR1 outranks IR4
  EXPECT_FALSE(pic_.HasInterrupt());    // IR4 waits for IR1's EOI
  pic_.irq(0)->Pulse();                 // IR0 outranks IR1 in service: nests
  EXPECT_EQ(pic_.Acknowledge(), 0x30);
  EXPECT_EQ(ReadIsr(kMasterCmd), 0x03);
  Out(kMasterCmd, 0x20);  // non-specific EOI retires the highest: IR0
  EXPECT_EQ(ReadIsr(kMasterCmd), 0x02);
  EXPECT_FALSE(pic_.HasInterrupt());
  Out(kMasterCmd, 0x20);
  ASSERT_TRUE(pic_.HasInterrupt());
  EXPECT_EQ(pic_.Acknowledge(), 0x34);
}

TEST_F(Pic8259Test, SlaveInterruptSetsBothInServiceBits) {
  InitLikeLinux();
  pic_.irq(1)->Set(true);
  pic_.irq(8)->Set(true);
  pic_.irq(12)->Set(true);
  EXPECT_EQ(pic_.Acknowledge(), 0x31);  // IR1 before the cascade on IR2
  EoiLikeLinux(1);
  EXPECT_EQ(pic_.Acknowledge(), 0x38);
  EXPECT_EQ(ReadIsr(kMasterCmd), 0x04);
  EXPECT_EQ(ReadIsr(kSlaveCmd), 0x01);
  EXPECT_FALSE(pic_.HasInterrupt());  // IRQ12 waits behind IRQ8
  EoiLikeLinux(8);
  ASSERT_TRUE(pic_.HasInterrupt());
  EXPECT_EQ(pic_.Acknowledge(), 0x3C);
}

TEST_F(Pic8259Test, SpuriousIrq7WhenTheRequestIsGoneAtInta) {
  InitLikeLinux();
  Out(0x4D0, 0x20);  // ELCR: IRQ5 level-triggered
  pic_.irq(5)->Set(true);
  ASSERT_TRUE(pic_.HasInterrupt());
  pic_.irq(5)->Set(false);  // gone before INTA
  EXPECT_EQ(pic_.Acknowledge(), 0x37);
  EXPECT_EQ(ReadIsr(kMasterCmd), 0);  // a spurious IR7 is not put in service
}

TEST_F(Pic8259Test, SpuriousIrq15SetsOnlyTheMastersCascadeBit) {
  InitLikeLinux();
  Out(0x4D1, 0x04);  // ELCR: IRQ10 level-triggered
  pic_.irq(10)->Set(true);
  ASSERT_TRUE(pic_.HasInterrupt());
  pic_.irq(10)->Set(false);
  EXPECT_EQ(pic_.Acknowledge(), 0x3F);
  EXPECT_EQ(ReadIsr(kMasterCmd), 0x04);  // the handler must EOI the master only
  EXPECT_EQ(ReadIsr(kSlaveCmd), 0x00);
}

TEST_F(Pic8259Test, EdgeInputsInterruptOncePerEdgeLevelInputsWhileHigh) {
  InitLikeLinux();
  Out(0x4D0, 0x08);  // IRQ3 level, IRQ4 edge
  EXPECT_EQ(In(0x4D0), 0x08);
  pic_.irq(3)->Set(true);
  pic_.irq(4)->Set(true);
  EXPECT_EQ(pic_.Acknowledge(), 0x33);
  EoiLikeLinux(3);
  EXPECT_EQ(pic_.Acknowledge(), 0x33);  // still high: requests again
  EoiLikeLinux(3);
  pic_.irq(3)->Set(false);
  EXPECT_EQ(pic_.Acknowledge(), 0x34);
  EoiLikeLinux(4);
  EXPECT_FALSE(pic_.HasInterrupt());  // IRQ4 is still high, but made no new edge
  pic_.irq(4)->Set(false);
  pic_.irq(4)->Set(true);
  EXPECT_TRUE(pic_.HasInterrupt());
}

TEST_F(Pic8259Test, ElcrCannotMakeTimerKeyboardOrCascadeLevelTriggered) {
  Out(0x4D0, 0xFF);
  Out(0x4D1, 0xFF);
  EXPECT_EQ(In(0x4D0), 0xF8);
  EXPECT_EQ(In(0x4D1), 0xDE);
}

TEST_F(Pic8259Test, EdgeIsLatchedWhileMasked) {
  InitLikeLinux();
  Out(kMasterImr, 0x01);
  pic_.irq(0)->Pulse();
  EXPECT_FALSE(pic_.HasInterrupt());
  Out(kMasterCmd, 0x0A);  // read IRR
  EXPECT_EQ(In(kMasterCmd), 0x01);
  Out(kMasterImr, 0x00);
  EXPECT_EQ(pic_.Acknowledge(), 0x30);
}

TEST_F(Pic8259Test, PollCommandActsAsInta) {
  InitLikeLinux();
  Out(kMasterCmd, 0x0C);            // OCW3 poll
  EXPECT_EQ(In(kMasterCmd), 0x00);  // no request
  pic_.irq(6)->Pulse();
  Out(kMasterCmd, 0x0C);
  EXPECT_EQ(In(kMasterCmd), 0x86);
  EXPECT_EQ(ReadIsr(kMasterCmd), 0x40);
  EXPECT_EQ(In(kMasterImr), 0x00);  // the poll is over: IMR again
}

TEST_F(Pic8259Test, AutomaticEoiLeavesNothingInService) {
  InitLikeLinux(/*auto_eoi=*/true);
  pic_.irq(0)->Pulse();
  EXPECT_EQ(pic_.Acknowledge(), 0x30);
  EXPECT_EQ(ReadIsr(kMasterCmd), 0);
  pic_.irq(1)->Pulse();
  EXPECT_EQ(pic_.Acknowledge(), 0x31);  // no EOI was needed
}

TEST_F(Pic8259Test, AutomaticEoiSlaveDeliversEveryPendingRequest) {
  InitLikeLinux();
  Out(kSlaveCmd, 0x11);
  Out(kSlaveImr, 0x38);
  Out(kSlaveImr, 0x02);
  Out(kSlaveImr, 0x03);  // slave in AEOI mode
  Out(kSlaveImr, 0x00);
  pic_.irq(8)->Pulse();
  pic_.irq(9)->Pulse();
  EXPECT_EQ(pic_.Acknowledge(), 0x38);
  EoiLikeLinux(2);  // the master's IR2 is still in service
  // The slave's INT stayed high for IRQ9; the cascade input still saw a new request.
  ASSERT_TRUE(pic_.HasInterrupt());
  EXPECT_EQ(pic_.Acknowledge(), 0x39);
}

TEST_F(Pic8259Test, RotationCommands) {
  InitLikeLinux();
  pic_.irq(0)->Pulse();
  EXPECT_EQ(pic_.Acknowledge(), 0x30);
  Out(kMasterCmd, 0xA0);  // rotate on non-specific EOI: IR0 becomes the lowest
  pic_.irq(0)->Pulse();
  pic_.irq(1)->Pulse();
  EXPECT_EQ(pic_.Acknowledge(), 0x31);
  Out(kMasterCmd, 0x61);
  EXPECT_EQ(pic_.Acknowledge(), 0x30);
  Out(kMasterCmd, 0x60);
  Out(kMasterCmd, 0xC4);  // set priority: IR4 lowest, so IR5 highest
  pic_.irq(3)->Pulse();
  pic_.irq(5)->Pulse();
  EXPECT_EQ(pic_.Acknowledge(), 0x35);
}

TEST_F(Pic8259Test, SpecialMaskModeLetsLowerLevelsIn) {
  InitLikeLinux();
  pic_.irq(0)->Pulse();
  EXPECT_EQ(pic_.Acknowledge(), 0x30);
  pic_.irq(3)->Pulse();
  EXPECT_FALSE(pic_.HasInterrupt());
  Out(kMasterImr, 0x01);  // mask the level in service...
  Out(kMasterCmd, 0x68);  // ...and enter special mask mode
  EXPECT_EQ(pic_.Acknowledge(), 0x33);
}

TEST_F(Pic8259Test, UnmodelledProgrammingIsReported) {
  Out(kMasterCmd, 0x11);
  Out(kMasterImr, 0x20);
  Out(kMasterImr, 0x08);  // slave on IR3
  Out(kMasterImr, 0x00);  // 8080 mode
  ASSERT_EQ(warnings_.size(), 2u);
  EXPECT_THAT(warnings_[0], HasSubstr("ICW3"));
  EXPECT_THAT(warnings_[1], HasSubstr("8080"));
}

}  // namespace
}  // namespace vmxemu::devices
