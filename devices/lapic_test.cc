#include "devices/lapic.h"

#include <cstdint>
#include <string>
#include <vector>

#include "devices/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::devices {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr uint32_t kTpr = 0x080, kPpr = 0x0A0, kApr = 0x090, kEoi = 0x0B0, kLdr = 0x0D0,
                   kDfr = 0x0E0, kSpiv = 0x0F0, kIsr = 0x100, kIrr = 0x200, kEsr = 0x280,
                   kIcrLow = 0x300, kIcrHigh = 0x310, kLvtTimer = 0x320,
                   kLvtLint0 = 0x350, kLvtError = 0x370, kTimerInitial = 0x380,
                   kTimerCurrent = 0x390, kTimerDivide = 0x3E0;
constexpr uint32_t kMasked = 0x10000, kPeriodic = 0x20000;

class LocalApicTest : public ::testing::Test {
 protected:
  uint32_t Read(uint32_t offset) { return static_cast<uint32_t>(apic_.Read(offset, 4)); }
  void Write(uint32_t offset, uint32_t value) { apic_.Write(offset, 4, value); }
  void SelfIpi(uint8_t vector) { Write(kIcrLow, 0x00040000 | vector); }  // shorthand self
  bool InIrr(int vector) {
    return (Read(kIrr + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
  }
  bool InIsr(int vector) {
    return (Read(kIsr + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
  }
  uint32_t Esr() {
    Write(kEsr, 0);
    return Read(kEsr);
  }

  TestClock clock_;
  std::vector<std::string> events_;
  std::vector<std::string> warnings_;
  LocalApic apic_{
      clock_.clock(),
      {.nmi = [this] { events_.push_back("nmi"); },
       .init = [this] { events_.push_back("init"); },
       .startup = [this](uint8_t v) { events_.push_back("sipi " + std::to_string(v)); }},
      [this](std::string m) { warnings_.push_back(std::move(m)); }};
};

TEST_F(LocalApicTest, StartsAsSeaBiosLeavesIt) {
  struct Case {
    uint32_t offset;
    uint32_t value;
  };
  const Case cases[] = {
      {0x020, 0},
      {0x030, 0x00050014},
      {kTpr, 0},
      {kPpr, 0},
      {kLdr, 0},
      {kDfr, 0xFFFFFFFF},
      {kSpiv, 0x1FF},
      {kLvtTimer, kMasked},
      {0x330, kMasked},
      {0x340, kMasked},
      {kLvtLint0, 0x8700},
      {0x360, 0x8400},
      {kLvtError, kMasked},
      {kTimerInitial, 0},
      {kTimerCurrent, 0},
      {kTimerDivide, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.offset);
    EXPECT_EQ(Read(c.offset), c.value);
  }
  EXPECT_TRUE(apic_.ExtIntEnabled());
  EXPECT_FALSE(apic_.HasInterrupt());
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(LocalApicTest, OneShotTimerFiresAtTheExactVirtualTime) {
  Write(kTimerDivide, 0x3);  // divide by 16
  Write(kLvtTimer, 0x40);    // one-shot, vector 0x40
  Write(kTimerInitial, 1000);
  clock_.AdvanceTo(1000 * 16 - 1);
  EXPECT_FALSE(apic_.HasInterrupt());
  EXPECT_EQ(Read(kTimerCurrent), 1u);
  clock_.AdvanceTo(1000 * 16);
  EXPECT_TRUE(apic_.HasInterrupt());
  EXPECT_EQ(Read(kTimerCurrent), 0u);
  EXPECT_EQ(apic_.Acknowledge(), 0x40);
  Write(kEoi, 0);
  clock_.AdvanceTo(1'000'000);
  EXPECT_FALSE(apic_.HasInterrupt());  // one-shot: once
  EXPECT_EQ(Read(kTimerCurrent), 0u);
}

TEST_F(LocalApicTest, PeriodicTimerDoesNotDrift) {
  Write(kTimerDivide, 0xB);  // divide by 1
  Write(kLvtTimer, kPeriodic | 0xEF);
  Write(kTimerInitial, 1000);
  for (uint64_t k = 1; k <= 1000; ++k) {
    clock_.AdvanceTo(k * 1000 - 1);
    ASSERT_FALSE(apic_.HasInterrupt()) << k;
    clock_.AdvanceTo(k * 1000);
    ASSERT_TRUE(apic_.HasInterrupt()) << k;
    ASSERT_EQ(apic_.Acknowledge(), 0xEF);
    Write(kEoi, 0);
  }
  clock_.AdvanceTo(1000 * 1000 + 250);
  EXPECT_EQ(Read(kTimerCurrent), 750u);
}

TEST(LocalApicDivideTest, DivideConfigurationTable) {
  struct Case {
    uint32_t tdcr;
    uint64_t divide;
  };
  const Case cases[] = {{0x0, 2},  {0x1, 4},  {0x2, 8},   {0x3, 16},
                        {0x8, 32}, {0x9, 64}, {0xA, 128}, {0xB, 1}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.tdcr);
    TestClock clock;
    LocalApic apic(clock.clock(), {}, nullptr);
    apic.Write(kTimerDivide, 4, c.tdcr);
    apic.Write(kLvtTimer, 4, 0x30);
    apic.Write(kTimerInitial, 4, 10);
    clock.AdvanceTo(10 * c.divide - 1);
    EXPECT_FALSE(apic.HasInterrupt());
    EXPECT_EQ(apic.Read(kTimerCurrent, 4), 1u);
    clock.AdvanceTo(10 * c.divide);
    EXPECT_TRUE(apic.HasInterrupt());
  }
}

TEST_F(LocalApicTest, LinuxStyleCalibrationReadsTheCurrentCount) {
  Write(kTimerDivide, 0x3);
  Write(kLvtTimer, kMasked | kPeriodic | 0xEC);
  Write(kTimerInitial, 0xFFFFFFFF);
  clock_.AdvanceTo(1'000'000);  // 1 ms at 1 GHz / 16
  EXPECT_EQ(Read(kTimerCurrent), 0xFFFFFFFFu - 62500);
  EXPECT_FALSE(apic_.HasInterrupt());
}

TEST_F(LocalApicTest, ChangingTheDivideContinuesFromTheCurrentCount) {
  Write(kTimerDivide, 0xB);
  Write(kLvtTimer, 0x30);
  Write(kTimerInitial, 1000);
  clock_.AdvanceTo(400);
  Write(kTimerDivide, 0x0);  // divide by 2: 600 left take 1200 ns
  clock_.AdvanceTo(1599);
  EXPECT_FALSE(apic_.HasInterrupt());
  clock_.AdvanceTo(1600);
  EXPECT_TRUE(apic_.HasInterrupt());
}

TEST_F(LocalApicTest, MaskedTimerCountsButDoesNotInterrupt) {
  Write(kLvtTimer, kMasked | 0x30);
  Write(kTimerDivide, 0xB);
  Write(kTimerInitial, 100);
  clock_.AdvanceTo(100);
  EXPECT_FALSE(apic_.HasInterrupt());
  EXPECT_EQ(Read(kTimerCurrent), 0u);
}

TEST_F(LocalApicTest, HighestPriorityFirstAndEoiRetiresTheHighestInService) {
  SelfIpi(0x31);
  SelfIpi(0x51);
  SelfIpi(0x41);
  EXPECT_EQ(apic_.Acknowledge(), 0x51);
  EXPECT_EQ(Read(kPpr), 0x50u);
  EXPECT_FALSE(apic_.HasInterrupt());  // class 4 is not above PPR class 5
  SelfIpi(0x61);                       // class 6 nests
  EXPECT_EQ(apic_.Acknowledge(), 0x61);
  EXPECT_TRUE(InIsr(0x51));
  EXPECT_TRUE(InIsr(0x61));
  Write(kEoi, 0);
  EXPECT_FALSE(InIsr(0x61));
  EXPECT_TRUE(InIsr(0x51));
  Write(kEoi, 0);
  EXPECT_EQ(apic_.Acknowledge(), 0x41);
  Write(kEoi, 0);
  EXPECT_EQ(apic_.Acknowledge(), 0x31);
  Write(kEoi, 0);
  EXPECT_FALSE(apic_.HasInterrupt());
  EXPECT_EQ(Read(kIsr + 0x10), 0u);
}

TEST_F(LocalApicTest, TaskPriorityHoldsOffItsClassAndBelow) {
  Write(kTpr, 0x50);
  SelfIpi(0x51);
  EXPECT_TRUE(InIrr(0x51));
  EXPECT_FALSE(apic_.HasInterrupt());
  EXPECT_EQ(Read(kPpr), 0x50u);
  EXPECT_EQ(Read(kApr), 0x50u);
  apic_.set_tpr(0x4F);  // as MOV CR8 would
  EXPECT_TRUE(apic_.HasInterrupt());
  EXPECT_EQ(apic_.Acknowledge(), 0x51);
  EXPECT_EQ(Read(kPpr), 0x50u);  // ISR class 5 above TPR class 4
  Write(kTpr, 0x5A);
  EXPECT_EQ(Read(kPpr), 0x5Au);  // TPR class equal to ISR class: PPR is TPR
}

TEST_F(LocalApicTest, SpuriousVectorWhenNothingQualifiesAtInta) {
  EXPECT_EQ(apic_.Acknowledge(), 0xFF);
  Write(kSpiv, 0x1EF);
  SelfIpi(0x80);
  ASSERT_TRUE(apic_.HasInterrupt());
  Write(kTpr, 0x90);  // raised between INTR and INTA
  EXPECT_EQ(apic_.Acknowledge(), 0xEF);
  EXPECT_FALSE(InIsr(0x80));
  EXPECT_TRUE(InIrr(0x80));
}

TEST_F(LocalApicTest, IcrDestinations) {
  struct Case {
    const char* name;
    uint32_t ldr, dfr, icr_high, icr_low;
    bool delivered;
  };
  const Case cases[] = {
      {"physical own id", 0, ~0u, 0x00000000, 0x00000040, true},
      {"physical other id", 0, ~0u, 0x01000000, 0x00000040, false},
      {"physical broadcast", 0, ~0u, 0xFF000000, 0x00000040, true},
      {"shorthand self", 0, ~0u, 0x01000000, 0x00040040, true},
      {"all including self", 0, ~0u, 0, 0x00080040, true},
      {"all excluding self", 0, ~0u, 0, 0x000C0040, false},
      {"logical flat match", 0x01000000, ~0u, 0x03000000, 0x00000840, true},
      {"logical flat miss", 0x01000000, ~0u, 0x02000000, 0x00000840, false},
      {"logical cluster match", 0x12000000, 0x0FFFFFFF, 0x13000000, 0x00000840, true},
      {"logical cluster other", 0x12000000, 0x0FFFFFFF, 0x22000000, 0x00000840, false},
      {"lowest priority to self", 0, ~0u, 0, 0x00000140, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TestClock clock;
    LocalApic apic(clock.clock(), {}, nullptr);
    apic.Write(kLdr, 4, c.ldr);
    apic.Write(kDfr, 4, c.dfr);
    apic.Write(kIcrHigh, 4, c.icr_high);
    apic.Write(kIcrLow, 4, c.icr_low);
    EXPECT_EQ(apic.HasInterrupt(), c.delivered);
    EXPECT_EQ(apic.Read(kIcrLow, 4), c.icr_low);  // delivery status reads idle
  }
}

TEST_F(LocalApicTest, NmiInitAndStartupIpis) {
  Write(kIcrHigh, 0);
  Write(kIcrLow, 0x00000400);  // NMI to APIC 0
  Write(kIcrLow, 0x0000C500);  // INIT, level assert
  Write(kIcrLow, 0x00008500);  // INIT level de-assert: no INIT
  Write(kIcrLow, 0x0000069F);  // SIPI, vector 0x9F
  // SeaBIOS's broadcast INIT-SIPI to the APs reaches no one.
  Write(kIcrLow, 0x000C4500);
  Write(kIcrLow, 0x000C4600 | 0x9F);
  EXPECT_THAT(events_, ElementsAre("nmi", "init", "sipi 159"));
  EXPECT_FALSE(apic_.HasInterrupt());
}

TEST_F(LocalApicTest, IllegalVectorsAndTheErrorInterrupt) {
  Write(kLvtError, 0xFE);
  SelfIpi(5);
  EXPECT_TRUE(apic_.HasInterrupt());  // the error interrupt, not vector 5
  EXPECT_EQ(apic_.Acknowledge(), 0xFE);
  Write(kEoi, 0);
  (void)Read(0x040);  // reserved: illegal register address; interrupt not re-armed yet
  EXPECT_FALSE(apic_.HasInterrupt());
  EXPECT_EQ(Esr(), 0x20u | 0x80u);
  EXPECT_EQ(Esr(), 0u);    // the write cleared them
  Write(kLvtTimer, 0x05);  // an LVT with an illegal vector: reported when it fires
  Write(kTimerDivide, 0xB);
  Write(kTimerInitial, 10);
  clock_.AdvanceTo(10);
  EXPECT_EQ(apic_.Acknowledge(), 0xFE);  // re-armed by the ESR write
  EXPECT_EQ(Esr(), 0x40u);
}

TEST_F(LocalApicTest, SoftwareDisableMasksEveryLvt) {
  Write(kSpiv, 0x0FF);
  EXPECT_EQ(Read(kLvtLint0), 0x18700u);
  EXPECT_FALSE(apic_.ExtIntEnabled());
  Write(kLvtTimer, 0x30);
  EXPECT_EQ(Read(kLvtTimer), kMasked | 0x30);
  Write(kSpiv, 0x1FF);  // masks stay until the LVTs are rewritten
  EXPECT_FALSE(apic_.ExtIntEnabled());
  Write(kLvtLint0, 0x700);
  EXPECT_TRUE(apic_.ExtIntEnabled());
}

TEST_F(LocalApicTest, GlobalDisableBypassesTheApic) {
  SelfIpi(0x40);
  apic_.SetEnabledByMsr(false);
  EXPECT_TRUE(apic_.ExtIntEnabled());  // LINT0 is the INTR pin
  EXPECT_FALSE(apic_.HasInterrupt());
  EXPECT_EQ(apic_.Read(0x030, 4), 0xFFFFFFFFu);
  Write(kSpiv, 0x1FF);  // ignored
  apic_.SetEnabledByMsr(true);
  EXPECT_EQ(Read(kSpiv), 0xFFu);  // back in the power-up state
  EXPECT_EQ(Read(kLvtLint0), kMasked);
  EXPECT_FALSE(apic_.ExtIntEnabled());
  EXPECT_FALSE(InIrr(0x40));
}

TEST_F(LocalApicTest, InitResetKeepsTheId) {
  Write(0x020, 0x03000000);
  Write(kTpr, 0x20);
  apic_.InitReset();
  EXPECT_EQ(Read(0x020), 0x03000000u);
  EXPECT_EQ(Read(kTpr), 0u);
  EXPECT_EQ(Read(kSpiv), 0xFFu);
}

TEST_F(LocalApicTest, AccessSizes) {
  EXPECT_EQ(apic_.Read(0x030, 1), 0x14u);
  EXPECT_EQ(apic_.Read(0x032, 1), 0x05u);
  EXPECT_EQ(apic_.Read(0x030, 2), 0x0014u);
  EXPECT_EQ(apic_.Read(0x030, 8), 0x00050014u);
  EXPECT_EQ(apic_.Read(0x034, 4), 0u);
  apic_.Write(kTpr, 8, 0xFFFFFFFF00000030);
  EXPECT_EQ(Read(kTpr), 0x30u);
  apic_.Write(kTpr, 1, 0x40);
  apic_.Write(kTpr + 4, 4, 0x40);
  EXPECT_EQ(Read(kTpr), 0x30u);
  ASSERT_THAT(warnings_, SizeIs(2));
  EXPECT_THAT(warnings_[0], HasSubstr("1-byte write"));
}

TEST_F(LocalApicTest, Lint0InAnotherModeThanExtIntIsReported) {
  Write(kLvtLint0, 0x00000030);  // fixed, vector 0x30
  EXPECT_FALSE(apic_.ExtIntEnabled());
  ASSERT_THAT(warnings_, SizeIs(1));
  EXPECT_THAT(warnings_[0], HasSubstr("LINT0"));
}

}  // namespace
}  // namespace vmxemu::devices
