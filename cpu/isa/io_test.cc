// Tests of IN, OUT, INS and OUTS (cpu/isa/io.cc) and the I/O permission rules (SDM
// Vol. 1 19.5: IOPL and the TSS I/O permission bit map).
#include <cstdint>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/segment_setup.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCodeBase;
using testing::kTss;
using testing::Mode;
using testing::TestPlatform;

constexpr uint64_t kHandler = 0x180000;
constexpr uint64_t kData = 0x200000;

uint64_t Slot(CpuHarness& h, int n) {
  const int w = h.mode == Mode::kLong64 ? 8 : 4;
  return h.ReadPhys(h.cpu.s.gpr[kRsp] + w * n, w);
}

TEST(InOut, FormsAndWidths) {
  struct Case {
    const char* code;
    uint64_t rax;  // expected (RAX starts 0x1111111122334455, DX = 0x3F8)
    std::vector<TestPlatform::PortWrite> writes;
  } cases[] = {
      {"in al, 0x60", 0x11111111223344EF, {}},
      {"in ax, 0x60", 0x111111112233CDEF, {}},
      {"in eax, 0x60", 0x89ABCDEF, {}},  // a 32-bit destination is zero-extended
      {"in al, dx", 0x1111111122334478, {}},
      {"in eax, dx", 0x12345678, {}},
      {"out 0x80, al", 0x1111111122334455, {{0x80, 1, 0x55}}},
      {"out 0x80, eax", 0x1111111122334455, {{0x80, 4, 0x22334455}}},
      {"out dx, ax", 0x1111111122334455, {{0x3F8, 2, 0x4455}}},
      {"out dx, eax", 0x1111111122334455, {{0x3F8, 4, 0x22334455}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    CpuHarness h;
    h.platform.port_values[0x60] = 0x89ABCDEF;
    h.platform.port_values[0x3F8] = 0x12345678;
    ASSERT_TRUE(h.LoadAsm(c.code).ok());
    h.cpu.s.gpr[kRax] = 0x1111111122334455;
    h.cpu.s.gpr[kRdx] = 0xFFFF0000'000003F8;  // only DX is the port
    ASSERT_EQ(h.Run(1).reason, StopReason::kBudget);
    EXPECT_EQ(h.cpu.s.gpr[kRax], c.rax);
    EXPECT_EQ(h.platform.port_writes, c.writes);
  }
}

// SDM Vol. 1 19.5.1-19.5.2: CPL <= IOPL allows all ports; otherwise every bit of the
// accessed ports in the TSS bit map must be 0, the map's two bytes must lie within the
// TSS limit, and failures are #GP(0). Each program ends in UD2, whose #UD handler marks
// that the I/O instruction completed.
TEST(IoPermission, IoplAndTheTssBitMap) {
  constexpr uint32_t kMapOffset = 0x68;
  constexpr uint64_t kUdHandler = kHandler + 0x100;
  struct Case {
    const char* name;
    Mode mode;
    bool user;
    int iopl;
    const char* code;  // DX = 0x80 unless the code sets it
    uint32_t tss_limit;
    std::vector<uint16_t> denied;  // ports whose bit is set
    bool allowed;
  } cases[] = {
      {"CPL 0, IOPL 0", Mode::kProtected32, false, 0, "out dx, al", 0x67, {}, true},
      {"CPL 3, IOPL 3", Mode::kProtected32, true, 3, "out dx, al", 0x67, {}, true},
      {"CPL 3, no bit map", Mode::kProtected32, true, 0, "out dx, al", 0x67, {}, false},
      {"CPL 3, bit clear", Mode::kProtected32, true, 0, "out dx, al", 0x2000, {0x81}, true},
      {"CPL 3, bit set", Mode::kProtected32, true, 0, "out dx, al", 0x2000, {0x80}, false},
      {"word spans a set bit", Mode::kProtected32, true, 0, "mov dx, 0x87\n out dx, ax", 0x2000, {0x88}, false},
      {"dword below a set bit", Mode::kProtected32, true, 0, "mov dx, 0x84\n in eax, dx", 0x2000, {0x88}, true},
      {"imm8 port checked too", Mode::kProtected32, true, 0, "in al, 0x80", 0x2000, {0x80}, false},
      {"last port, map byte and its successor inside", Mode::kProtected32, true, 0,
       "mov dx, 0xFFFF\n in al, dx", kMapOffset + 0x2000, {}, true},
      {"last port, successor byte beyond the limit", Mode::kProtected32, true, 0,
       "mov dx, 0xFFFF\n in al, dx", kMapOffset + 0x1FFF, {}, false},
      {"64-bit: CPL 3, bit clear", Mode::kLong64, true, 0, "out dx, al", 0x2000, {0x81}, true},
      {"64-bit: CPL 3, bit set", Mode::kLong64, true, 0, "out dx, al", 0x2000, {0x80}, false},
      {"INS checks the map", Mode::kLong64, true, 0, "insb", 0x2000, {0x80}, false},
      {"OUTS checks the map", Mode::kLong64, true, 0, "outsb", 0x2000, {0x80}, false},
      {"OUTS allowed", Mode::kLong64, true, 0, "outsb", 0x2000, {0x81}, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h(c.mode);
    h.SetInterruptGate(kGP, kHandler);
    h.SetInterruptGate(kUD, kUdHandler);
    ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
    ASSERT_TRUE(h.LoadAsm("hlt", kUdHandler).ok());
    ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\n ud2").ok());
    testing::SetRsp0(h);
    if (c.mode == Mode::kProtected32) h.WritePhys(kTss + 8, testing::kDataSel, 2);
    h.WritePhys(kTss + 0x66, kMapOffset, 2);
    for (uint32_t i = 0; i < 0x2001; ++i) h.WritePhys(kTss + kMapOffset + i, 0, 1);
    for (uint16_t port : c.denied) {
      const uint64_t at = kTss + kMapOffset + port / 8;
      h.WritePhys(at, h.ReadPhys(at, 1) | (1u << (port % 8)), 1);
    }
    h.cpu.s.tr.limit = c.tss_limit;
    if (c.user) testing::EnterUserMode(h, 0x60000);
    h.cpu.SetFlags(kFlagIOPL, uint64_t(c.iopl) << 12);
    h.cpu.s.gpr[kRdx] = 0x80;
    h.cpu.s.gpr[kRdi] = h.cpu.s.gpr[kRsi] = kData;
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    if (c.allowed) {
      EXPECT_EQ(h.cpu.s.rip, kUdHandler + 1);
      continue;
    }
    EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
    EXPECT_EQ(Slot(h, 0), 0u);
    EXPECT_EQ(Slot(h, 1), kCodeBase + (std::string(c.code).find("mov") == 0 ? 4 : 0));
    EXPECT_TRUE(h.platform.port_writes.empty());
  }
}

TEST(StringIo, OutsStepsByDirectionAndRepeats) {
  struct Case {
    const char* name;
    const char* code;
    bool df;
    uint64_t count;  // RCX (ignored without REP)
    int width;
    uint64_t writes;
  } cases[] = {
      {"rep outsb", "rep outsb", false, 5, 1, 5},
      {"rep outsw backwards", "rep outsw", true, 3, 2, 3},
      {"outsd once", "outsd", false, 7, 4, 1},
      {"rep outsd with count 0", "rep outsd", false, 0, 4, 0},
      {"rep outsb across chunks", "rep outsb", false, 3000, 1, 3000},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm(std::string(c.code) + "\n hlt").ok());
    for (int i = 0; i < 4096; ++i) h.WritePhys(kData + i, (i * 7) & 0xFF, 1);
    const uint64_t start = kData + 0x800;
    h.cpu.SetFlags(kFlagDF, c.df ? kFlagDF : 0);
    h.cpu.s.gpr[kRsi] = start;
    h.cpu.s.gpr[kRcx] = c.count;
    h.cpu.s.gpr[kRdx] = 0xE9;
    RunResult r = h.Run();
    ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
    ASSERT_EQ(h.platform.port_writes.size(), c.writes);
    const int64_t step = c.df ? -c.width : c.width;
    for (uint64_t i = 0; i < c.writes; ++i) {
      const uint64_t at = start + step * static_cast<int64_t>(i);
      const TestPlatform::PortWrite want{0xE9, c.width, static_cast<uint32_t>(h.ReadPhys(at, c.width))};
      ASSERT_EQ(h.platform.port_writes[i], want) << "write " << i;
    }
    EXPECT_EQ(h.cpu.s.gpr[kRsi], start + step * static_cast<int64_t>(c.writes));
    EXPECT_EQ(h.cpu.s.gpr[kRcx], std::string(c.code).find("rep") == 0 ? 0 : c.count);
    EXPECT_EQ(h.cpu.s.rip, kCodeBase + h.code_size);
  }
}

TEST(StringIo, OutsSegmentOverrideAndAddressSize) {
  // FS override (FS.base applies in 64-bit mode); a 32-bit address size uses ESI/ECX and
  // writes them zero-extended.
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(".byte 0x64, 0x67\n rep outsb\n hlt").ok());
  h.cpu.s.seg[kFs].base = 0x1000;
  h.cpu.SegmentsChanged();
  h.WritePhys(kData + 0x1000, 0x332211, 3);
  h.cpu.s.gpr[kRsi] = 0xFFFFFFFF'00000000 | kData;
  h.cpu.s.gpr[kRcx] = 0xFFFFFFFF'00000003;
  h.cpu.s.gpr[kRdx] = 0xE9;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  const std::vector<TestPlatform::PortWrite> want = {{0xE9, 1, 0x11}, {0xE9, 1, 0x22}, {0xE9, 1, 0x33}};
  EXPECT_EQ(h.platform.port_writes, want);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], kData + 3);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
}

TEST(StringIo, InsWritesEsRdi) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("rep insw\n hlt").ok());
  h.platform.port_values[0x1F0] = 0xBEEF;
  h.cpu.s.gpr[kRdi] = kData;
  h.cpu.s.gpr[kRcx] = 4;
  h.cpu.s.gpr[kRdx] = 0x1F0;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.ReadPhys(kData, 8), 0xBEEFBEEFBEEFBEEFu);
  EXPECT_EQ(h.ReadPhys(kData + 8, 2), 0u);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], kData + 8);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
}

TEST(StringIo, FaultMidwayKeepsTheIterationsDone) {
  // REP INSB into a page that is not mapped after two bytes: the #PF names the INS,
  // with RCX/RDI saying where to resume (SDM Vol. 2A INS, REP).
  CpuHarness h;
  h.WritePhys(0x3000 + 8 * 2, 0, 8);  // unmap 0x400000-0x5FFFFF
  h.SetInterruptGate(kPF, kHandler);
  ASSERT_TRUE(h.LoadAsm("hlt", kHandler).ok());
  ASSERT_TRUE(h.LoadAsm("rep insb").ok());
  h.platform.port_values[0x60] = 0xAB;
  h.cpu.s.gpr[kRdi] = 0x3FFFFE;
  h.cpu.s.gpr[kRcx] = 4;
  h.cpu.s.gpr[kRdx] = 0x60;
  RunResult r = h.Run();
  ASSERT_EQ(r.reason, StopReason::kHalted) << r.message;
  EXPECT_EQ(h.cpu.s.rip, kHandler + 1);
  EXPECT_EQ(Slot(h, 1), kCodeBase);
  EXPECT_EQ(h.cpu.s.cr2, 0x400000u);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 2u);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], 0x400000u);
  EXPECT_EQ(h.ReadPhys(0x3FFFFE, 2), 0xABABu);
}

}  // namespace
}  // namespace vmxemu::cpu
