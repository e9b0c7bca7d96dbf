#include "machine/board.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::machine {
namespace {

using ::testing::HasSubstr;

class BoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Board>> b = Board::Create({
        .ram_bytes = 4 << 20,
        .serial_out = [this](char c) { serial_ += c; },
        .warn = [this](std::string w) { warnings_ += w + "\n"; },
    });
    ASSERT_TRUE(b.ok()) << b.status();
    board_ = *std::move(b);
  }

  std::unique_ptr<Board> board_;
  std::string serial_;
  std::string warnings_;
};

TEST_F(BoardTest, PortsReachTheirDevices) {
  Board& b = *board_;
  EXPECT_EQ(b.PortIn(0x3FD, 1) & 0x60, 0x60u);  // COM1 LSR: THRE, TEMT
  b.PortOut(0x3F8, 1, 'o');
  b.PortOut(0x3F8, 1, 'k');
  EXPECT_EQ(serial_, "ok");
  EXPECT_EQ(b.PortIn(0x80, 1), 0xFFu);  // POST code port
  b.PortOut(0xCF8, 4, 0x80000000);
  EXPECT_EQ(b.PortIn(0xCF8, 4), 0x80000000u);  // PCI host: address latch
  EXPECT_EQ(b.PortIn(0xCFC, 4), 0xFFFFFFFFu);  // no device at 00:00.0
  b.PortOut(0x510, 2, 0x0000);                 // fw_cfg signature
  std::string signature;
  for (int i = 0; i < 4; ++i) signature += static_cast<char>(b.PortIn(0x511, 1));
  EXPECT_EQ(signature, "QEMU");
  EXPECT_EQ(b.PortIn(0x21, 1), 0xFBu);  // master PIC IMR as SeaBIOS leaves it
  EXPECT_TRUE(warnings_.empty()) << warnings_;
}

TEST_F(BoardTest, UnclaimedPortsReadAllOnesAndAreReported) {
  EXPECT_EQ(board_->PortIn(0x1234, 2), 0xFFFFu);
  EXPECT_THAT(warnings_, HasSubstr("0x1234"));
}

TEST_F(BoardTest, DebugExitRecordsTheFirstStatus) {
  EXPECT_FALSE(board_->exit_request().has_value());
  board_->PortOut(0xF4, 4, 42);
  board_->PortOut(0xF4, 1, 7);
  ASSERT_TRUE(board_->exit_request().has_value());
  EXPECT_EQ(*board_->exit_request(), (42u << 1) | 1);
}

TEST_F(BoardTest, PicInterruptsPassThroughLint0) {
  Board& b = *board_;
  EXPECT_FALSE(b.InterruptPending());
  b.pic().irq(3)->Set(true);
  EXPECT_FALSE(b.InterruptPending());  // IRQ3 masked
  b.PortOut(0x21, 1, 0xF3);            // unmask IRQ3
  EXPECT_TRUE(b.InterruptPending());
  EXPECT_EQ(b.AcknowledgeInterrupt(), 0x08 + 3);  // SeaBIOS's master vector base
}

TEST_F(BoardTest, ApicInterruptsComeBeforeThePic) {
  Board& b = *board_;
  EXPECT_EQ(b.MmioRead(0xFEE00030, 4), 0x00050014u);  // APIC version
  b.PortOut(0x21, 1, 0xF3);
  b.pic().irq(3)->Set(true);
  b.MmioWrite(0xFEE00300, 4, 0x44050);  // ICR: fixed, vector 0x50, to self
  EXPECT_TRUE(b.InterruptPending());
  EXPECT_EQ(b.AcknowledgeInterrupt(), 0x50);
  EXPECT_TRUE(b.InterruptPending());  // the PIC's (0x50 in service does not block ExtINT)
  EXPECT_EQ(b.AcknowledgeInterrupt(), 0x0B);
}

TEST_F(BoardTest, SelfNmiIsTakenOnce) {
  board_->MmioWrite(0xFEE00300, 4, 0x44400);  // ICR: NMI to self
  EXPECT_TRUE(board_->TakeNmi());
  EXPECT_FALSE(board_->TakeNmi());
}

TEST_F(BoardTest, ApicDisabledInTheMsrHidesItsWindow) {
  Board& b = *board_;
  b.cpu().s.msr.apic_base &= ~(uint64_t{1} << 11);
  EXPECT_EQ(b.MmioRead(0xFEE00030, 4), 0xFFFFFFFFu);
  b.PortOut(0x21, 1, 0xF3);
  b.pic().irq(3)->Set(true);
  EXPECT_TRUE(b.InterruptPending());  // LINT0 is the INTR pin
  EXPECT_EQ(b.AcknowledgeInterrupt(), 0x0B);
}

TEST_F(BoardTest, Cr8IsTheTaskPriority) {
  Board& b = *board_;
  b.cpu().s.cr8 = 5;
  EXPECT_EQ(b.MmioRead(0xFEE00080, 4), 0x50u);
  b.MmioWrite(0xFEE00080, 4, 0x3F);
  EXPECT_EQ(b.cpu().s.cr8, 3);
  // A fixed self-IPI at priority class 5 waits while CR8 is 6, not when it is 4.
  b.MmioWrite(0xFEE00300, 4, 0x44050);
  b.cpu().s.cr8 = 6;
  EXPECT_FALSE(b.InterruptPending());
  b.cpu().s.cr8 = 4;
  EXPECT_TRUE(b.InterruptPending());
  EXPECT_EQ(b.AcknowledgeInterrupt(), 0x50);
}

TEST_F(BoardTest, RamIsTheConfiguredSize) {
  EXPECT_EQ(board_->memory().ram_size(), 4u << 20);
  EXPECT_EQ(board_->RunTimers(0), board_->clock().NextDeadline());
}

}  // namespace
}  // namespace vmxemu::machine
