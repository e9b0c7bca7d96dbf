// MOVS, STOS, LODS, CMPS, SCAS with and without REP prefixes. Expected values come from
// hand computation and, for bulk copies, from a reference that runs the SDM's loop one
// element at a time on a byte array.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CpuHarness;
using testing::kCodeBase;
using testing::kDataBase;
using testing::Mode;

constexpr uint64_t kTrapBase = 0x180000;
constexpr uint64_t kArith = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagOF;
constexpr uint64_t kSrc = kDataBase, kDst = kDataBase + 0x10000;

void InstallTraps(CpuHarness& h) {
  for (int v = 0; v < 32; ++v) {
    h.WritePhys(kTrapBase + 16 * v, 0xF4, 1);
    h.SetInterruptGate(v, kTrapBase + 16 * v);
  }
}

struct Trap {
  int vector = -1;
  uint64_t error = 0;
  uint64_t rip = 0;
};

// The exception the run halted in (IA-32e frame), or vector -1.
Trap TakenTrap(CpuHarness& h) {
  const uint64_t at = h.cpu.s.rip - 1;
  if (!h.cpu.s.halted || at < kTrapBase || at >= kTrapBase + 16 * 32 || (at & 15)) return {};
  Trap t{.vector = static_cast<int>((at - kTrapBase) / 16)};
  uint64_t sp = h.cpu.s.gpr[kRsp];
  if (t.vector == kPF || t.vector == kGP || t.vector == kSS) {
    t.error = h.ReadPhys(sp, 8);
    sp += 8;
  }
  t.rip = h.ReadPhys(sp, 8);
  return t;
}

// Fills [paddr, paddr+len) with a byte pattern that differs at every offset mod 251.
void FillPattern(CpuHarness& h, uint64_t paddr, uint64_t len, uint8_t seed) {
  std::vector<uint8_t> bytes(len);
  for (uint64_t k = 0; k < len; ++k) bytes[k] = static_cast<uint8_t>(seed + k % 251);
  h.memory.Write(paddr, bytes.data(), len);
}

std::vector<uint8_t> ReadBytes(CpuHarness& h, uint64_t paddr, uint64_t len) {
  std::vector<uint8_t> bytes(len);
  h.memory.Read(paddr, bytes.data(), len);
  return bytes;
}

// ---- single iterations --------------------------------------------------------------

struct OneCase {
  std::string code;
  bool df = false;
  uint64_t rax = 0;
  uint64_t src = 0, dst = 0;   // qwords at kSrc / kDst before
  uint64_t rsi = kSrc, rdi = kDst;
  uint64_t out_rax, out_rsi, out_rdi;
  uint64_t out_dst;            // qword at kDst after
  uint64_t flags_mask = 0, flags_out = 0;
};

TEST(StringTest, SingleIterations) {
  const uint64_t kS = 0x8877665544332211, kD = 0x00FFEEDDCCBBAA99;
  const OneCase cases[] = {
      {.code = "movsb", .src = kS, .dst = kD, .out_rax = 0, .out_rsi = kSrc + 1,
       .out_rdi = kDst + 1, .out_dst = 0x00FFEEDDCCBBAA11},
      {.code = "movsw", .src = kS, .dst = kD, .out_rax = 0, .out_rsi = kSrc + 2,
       .out_rdi = kDst + 2, .out_dst = 0x00FFEEDDCCBB2211},
      {.code = "movsd", .src = kS, .dst = kD, .out_rax = 0, .out_rsi = kSrc + 4,
       .out_rdi = kDst + 4, .out_dst = 0x00FFEEDD44332211},
      {.code = "movsq", .src = kS, .dst = kD, .out_rax = 0, .out_rsi = kSrc + 8,
       .out_rdi = kDst + 8, .out_dst = kS},
      {.code = "movsd", .df = true, .src = kS, .dst = kD, .out_rax = 0, .out_rsi = kSrc - 4,
       .out_rdi = kDst - 4, .out_dst = 0x00FFEEDD44332211},
      {.code = "stosb", .rax = 0x1234567890ABCDEF, .dst = kD, .out_rax = 0x1234567890ABCDEF,
       .out_rsi = kSrc, .out_rdi = kDst + 1, .out_dst = 0x00FFEEDDCCBBAAEF},
      {.code = "stosw", .df = true, .rax = 0x1234567890ABCDEF, .dst = kD,
       .out_rax = 0x1234567890ABCDEF, .out_rsi = kSrc, .out_rdi = kDst - 2,
       .out_dst = 0x00FFEEDDCCBBCDEF},
      {.code = "stosq", .rax = 0x1234567890ABCDEF, .dst = kD, .out_rax = 0x1234567890ABCDEF,
       .out_rsi = kSrc, .out_rdi = kDst + 8, .out_dst = 0x1234567890ABCDEF},
      // LODSB merges AL; LODSD zero-extends into RAX; LODSW merges AX.
      {.code = "lodsb", .rax = 0xFFFFFFFFFFFFFFFF, .src = kS, .dst = kD,
       .out_rax = 0xFFFFFFFFFFFFFF11, .out_rsi = kSrc + 1, .out_rdi = kDst, .out_dst = kD},
      {.code = "lodsw", .rax = 0xFFFFFFFFFFFFFFFF, .src = kS, .dst = kD,
       .out_rax = 0xFFFFFFFFFFFF2211, .out_rsi = kSrc + 2, .out_rdi = kDst, .out_dst = kD},
      {.code = "lodsd", .df = true, .rax = 0xFFFFFFFFFFFFFFFF, .src = kS, .dst = kD,
       .out_rax = 0x44332211, .out_rsi = kSrc - 4, .out_rdi = kDst, .out_dst = kD},
      {.code = "lodsq", .src = kS, .dst = kD, .out_rax = kS, .out_rsi = kSrc + 8,
       .out_rdi = kDst, .out_dst = kD},
      // CMPS: [rSI] - [rDI]. 0x11 - 0x99: borrow (CF), AF (1 < 9), result 0x78: OF
      // (positive - negative = positive is fine: 0x11 - (-0x67) = 0x78, no overflow).
      {.code = "cmpsb", .src = kS, .dst = kD, .out_rax = 0, .out_rsi = kSrc + 1,
       .out_rdi = kDst + 1, .out_dst = kD, .flags_mask = kArith,
       .flags_out = kFlagCF | kFlagAF | kFlagPF},
      {.code = "cmpsq", .src = kS, .dst = kS, .out_rax = 0, .out_rsi = kSrc + 8,
       .out_rdi = kDst + 8, .out_dst = kS, .flags_mask = kArith, .flags_out = kFlagZF | kFlagPF},
      // 0x2211 - 0xAA99 = 0x7778 with borrow; signed 0x2211 - (-0x5567) = 0x7778 < 0x8000;
      // PF of 0x78 (4 bits) set.
      {.code = "cmpsw", .df = true, .src = kS, .dst = kD, .out_rax = 0, .out_rsi = kSrc - 2,
       .out_rdi = kDst - 2, .out_dst = kD, .flags_mask = kArith,
       .flags_out = kFlagCF | kFlagAF | kFlagPF},
      // SCAS: accumulator - [rDI]. 0x7FFFFFFF - 0xCCBBAA99: OF (pos - neg = neg), CF, SF.
      {.code = "scasd", .rax = 0xFFFFFFFF7FFFFFFF, .dst = kD, .out_rax = 0xFFFFFFFF7FFFFFFF,
       .out_rsi = kSrc, .out_rdi = kDst + 4, .out_dst = kD, .flags_mask = kArith,
       .flags_out = kFlagCF | kFlagOF | kFlagSF | kFlagPF},
      {.code = "scasb", .rax = 0x99, .dst = kD, .out_rax = 0x99, .out_rsi = kSrc,
       .out_rdi = kDst + 1, .out_dst = kD, .flags_mask = kArith, .flags_out = kFlagZF | kFlagPF},
  };
  for (const OneCase& c : cases) {
    SCOPED_TRACE(c.code + (c.df ? " DF=1" : ""));
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm(c.code + "\n hlt").ok());
    h.WritePhys(kSrc, c.src, 8);
    h.WritePhys(kDst, c.dst, 8);
    h.cpu.s.gpr[kRax] = c.rax;
    h.cpu.s.gpr[kRsi] = c.rsi;
    h.cpu.s.gpr[kRdi] = c.rdi;
    h.cpu.s.gpr[kRcx] = 0x5555;  // ignored without REP
    h.cpu.s.SetRflags(c.df ? kFlagDF : 0);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.gpr[kRax], c.out_rax);
    EXPECT_EQ(h.cpu.s.gpr[kRsi], c.out_rsi);
    EXPECT_EQ(h.cpu.s.gpr[kRdi], c.out_rdi);
    EXPECT_EQ(h.cpu.s.gpr[kRcx], 0x5555u);
    EXPECT_EQ(h.ReadPhys(kDst, 8), c.out_dst);
    EXPECT_EQ(h.cpu.s.Rflags() & c.flags_mask, c.flags_out);
  }
}

// ---- REP MOVS/STOS against the element-by-element reference --------------------------

struct CopyCase {
  std::string name;
  std::string code;  // e.g. "rep movsq"
  int size;          // element size
  bool stos = false;
  bool df = false;
  uint64_t rsi, rdi, count;
};

// Runs the SDM's loop on a copy of the memory window [kDataBase, kDataBase + 0x30000).
std::vector<uint8_t> Reference(const CopyCase& c, std::vector<uint8_t> mem, uint64_t rax) {
  uint64_t si = c.rsi - kDataBase, di = c.rdi - kDataBase;
  for (uint64_t k = 0; k < c.count; ++k) {
    uint8_t element[8];
    if (c.stos) {
      memcpy(element, &rax, c.size);
    } else {
      memcpy(element, &mem[si], c.size);
    }
    memcpy(&mem[di], element, c.size);
    si += c.df ? -c.size : c.size;
    di += c.df ? -c.size : c.size;
  }
  return mem;
}

TEST(StringTest, RepMovsAndStosMatchElementByElement) {
  const uint64_t b = kDataBase;
  const CopyCase cases[] = {
      {"small", "rep movsb", 1, false, false, b + 0x100, b + 0x8000, 37},
      {"cross pages", "rep movsb", 1, false, false, b + 0xF80, b + 0x8FC3, 9000},
      {"qwords, three pages", "rep movsq", 8, false, false, b + 0x1000, b + 0x10000, 1536},
      {"dwords backwards across pages", "rep movsd", 4, false, true, b + 0x4010, b + 0x9008, 2000},
      {"overlap: dst = src + 1 (pattern fill)", "rep movsb", 1, false, false, b + 0x100, b + 0x101, 5000},
      {"overlap: dst = src + 3 words", "rep movsw", 2, false, false, b + 0x100, b + 0x103, 3000},
      {"overlap: dst = src + 4 qwords", "rep movsq", 8, false, false, b + 0x100, b + 0x104, 700},
      {"overlap: dst = src - 1 (memmove-like)", "rep movsb", 1, false, false, b + 0x101, b + 0x100, 5000},
      {"overlap backwards: dst = src - 1", "rep movsb", 1, false, true, b + 0x2000, b + 0x1FFF, 5000},
      {"overlap backwards: dst = src + 2 dwords", "rep movsd", 4, false, true, b + 0x2000, b + 0x2002, 1000},
      {"same address", "rep movsd", 4, false, false, b + 0x2000, b + 0x2000, 3000},
      {"stosb", "rep stosb", 1, true, false, 0, b + 0x123, 10000},
      {"stosw backwards", "rep stosw", 2, true, true, 0, b + 0x5001, 4000},
      {"stosd", "rep stosd", 4, true, false, 0, b + 0xFFE, 3000},
      {"stosq", "rep stosq", 8, true, false, 0, b + 0x1000, 2048},
      {"F2 prefix acts as REP", "repne movsb", 1, false, false, b + 0x100, b + 0x8000, 100},
  };
  constexpr uint64_t kWindow = 0x30000;
  const uint64_t rax = 0x1122334455667788;
  for (const CopyCase& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm(c.code + "\n hlt").ok());
    FillPattern(h, kDataBase, kWindow, 7);
    const std::vector<uint8_t> expected = Reference(c, ReadBytes(h, kDataBase, kWindow), rax);
    h.cpu.s.gpr[kRax] = rax;
    h.cpu.s.gpr[kRsi] = c.rsi;
    h.cpu.s.gpr[kRdi] = c.rdi;
    h.cpu.s.gpr[kRcx] = c.count;
    h.cpu.s.SetRflags(c.df ? kFlagDF : 0);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    const int64_t step = c.df ? -c.size : c.size;
    EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
    EXPECT_EQ(h.cpu.s.gpr[kRdi], c.rdi + step * static_cast<int64_t>(c.count));
    EXPECT_EQ(h.cpu.s.gpr[kRsi], c.stos ? c.rsi : c.rsi + step * static_cast<int64_t>(c.count));
    EXPECT_EQ(h.cpu.s.gpr[kRax], rax);
    EXPECT_TRUE(ReadBytes(h, kDataBase, kWindow) == expected);
    EXPECT_EQ(h.cpu.s.rip, kCodeBase + h.code_size);
  }
}

// A count of zero does nothing: no memory access, no register write (not even the
// zero-extension a 32-bit address size would imply).
TEST(StringTest, RepWithZeroCountDoesNothing) {
  for (const char* code : {"rep movsb", "rep stosq", "repe cmpsb", "repne scasw", "rep lodsd",
                           ".byte 0x67, 0xF3, 0xA4"}) {
    SCOPED_TRACE(code);
    CpuHarness h;
    ASSERT_TRUE(h.LoadAsm(std::string(code) + "\n hlt").ok());
    h.cpu.s.gpr[kRsi] = 0xFFFFFFFF00000000;  // would fault if touched
    h.cpu.s.gpr[kRdi] = 0xFFFFFFFF00000000;
    h.cpu.s.gpr[kRcx] = 0xFFFFFFFF00000000;  // ECX = 0 for the 32-bit address size
    h.cpu.s.gpr[kRax] = 5;
    if (std::string(code).find("0x67") == std::string::npos) h.cpu.s.gpr[kRcx] = 0;
    const uint64_t rcx = h.cpu.s.gpr[kRcx];
    h.cpu.s.SetRflags(kFlagCF);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_EQ(h.cpu.s.gpr[kRsi], 0xFFFFFFFF00000000u);
    EXPECT_EQ(h.cpu.s.gpr[kRdi], 0xFFFFFFFF00000000u);
    EXPECT_EQ(h.cpu.s.gpr[kRcx], rcx);
    EXPECT_EQ(h.cpu.s.gpr[kRax], 5u);
    EXPECT_EQ(h.cpu.s.Rflags() & kArith, kFlagCF);
  }
}

// ---- REPE/REPNE ---------------------------------------------------------------------

TEST(StringTest, RepeCmpsStopsAtFirstDifference) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("repe cmpsb\n hlt").ok());
  h.memory.Write(kSrc, "hello, world", 12);
  h.memory.Write(kDst, "hello, there", 12);
  h.cpu.s.gpr[kRsi] = kSrc;
  h.cpu.s.gpr[kRdi] = kDst;
  h.cpu.s.gpr[kRcx] = 12;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  // Stops after comparing 'w' with 't' (8th element): 'w' - 't' = 3.
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 4u);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], kSrc + 8);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], kDst + 8);
  EXPECT_EQ(h.cpu.s.Rflags() & kArith, kFlagPF);  // 3 = 0b11: even parity
}

TEST(StringTest, RepeCmpsAllEqualRunsOutTheCount) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("repe cmpsd\n hlt").ok());
  FillPattern(h, kSrc, 400, 3);
  FillPattern(h, kDst, 400, 3);
  h.cpu.s.gpr[kRsi] = kSrc;
  h.cpu.s.gpr[kRdi] = kDst;
  h.cpu.s.gpr[kRcx] = 100;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], kSrc + 400);
  EXPECT_EQ(h.cpu.s.Rflags() & kFlagZF, kFlagZF);
}

TEST(StringTest, RepneScasFindsTheTerminator) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("repne scasb\n hlt").ok());
  h.memory.Write(kDst, "vmxemu\0", 7);
  h.cpu.s.gpr[kRax] = 0xAB00;  // AL = 0
  h.cpu.s.gpr[kRdi] = kDst;
  h.cpu.s.gpr[kRcx] = ~0ull;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  // strlen = ~RCX - 1 = 6.
  EXPECT_EQ(~h.cpu.s.gpr[kRcx] - 1, 6u);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], kDst + 7);
  EXPECT_EQ(h.cpu.s.Rflags() & kFlagZF, kFlagZF);
}

TEST(StringTest, RepneScasRunsOutWithoutMatch) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("repne scasw\n hlt").ok());
  FillPattern(h, kDst, 64, 1);  // no 0xFFFF word
  h.cpu.s.gpr[kRax] = 0xFFFF;
  h.cpu.s.gpr[kRdi] = kDst;
  h.cpu.s.gpr[kRcx] = 20;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], kDst + 40);
  EXPECT_EQ(h.cpu.s.Rflags() & kFlagZF, 0u);
}

TEST(StringTest, RepLodsLeavesTheLastElement) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("rep lodsw\n hlt").ok());
  h.WritePhys(kSrc, 0x4444333322221111, 8);
  h.cpu.s.gpr[kRsi] = kSrc;
  h.cpu.s.gpr[kRcx] = 3;
  h.cpu.s.gpr[kRax] = 0xFFFFFFFFFFFFFFFF;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 0xFFFFFFFFFFFF3333u);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], kSrc + 6);
}

// ---- address size -------------------------------------------------------------------

// 67h in 64-bit mode: ESI/EDI/ECX are used and written as 32-bit registers.
TEST(StringTest, AddressSize32In64BitMode) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(".byte 0x67\n rep movsb\n hlt").ok());
  FillPattern(h, kSrc, 16, 40);
  h.cpu.s.gpr[kRsi] = 0xABCD000000000000 | kSrc;
  h.cpu.s.gpr[kRdi] = 0x1234000000000000 | kDst;
  h.cpu.s.gpr[kRcx] = 0x5555555500000010;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], kSrc + 16);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], kDst + 16);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
  EXPECT_TRUE(ReadBytes(h, kDst, 16) == ReadBytes(h, kSrc, 16));
}

// 67h in 32-bit code: SI/DI/CX; only their low 16 bits change and they wrap at 64 KiB.
TEST(StringTest, AddressSize16WrapsAndKeepsHighBits) {
  CpuHarness h(Mode::kProtected32);
  ASSERT_TRUE(h.LoadAsm(".byte 0x67\n rep movsb\n hlt").ok());
  h.WritePhys(0xFFFF, 0xA1, 1);
  h.WritePhys(0x0000, 0xA2, 1);
  h.cpu.s.gpr[kRsi] = 0xAAAAFFFF;  // SI = 0xFFFF, then 0x0000
  h.cpu.s.gpr[kRdi] = 0xBBBB8000;  // DI = 0x8000
  h.cpu.s.gpr[kRcx] = 0xCCCC0002;  // CX = 2
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], 0xAAAA0001u);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], 0xBBBB8002u);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0xCCCC0000u);
  EXPECT_EQ(h.ReadPhys(0x8000, 2), 0xA2A1u);
}

// ---- segments -----------------------------------------------------------------------

// The source segment is overridable (FS here, with its 64-bit-mode base); the
// destination is ES, whose base is ignored in 64-bit mode.
TEST(StringTest, SourceSegmentOverrideIn64BitMode) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(".byte 0x64\n rep movsb\n hlt").ok());
  h.cpu.s.seg[kFs].base = 0x1000;
  h.cpu.s.seg[kEs].base = 0x5000;  // ignored in 64-bit mode
  h.cpu.StateChanged();
  FillPattern(h, kSrc + 0x1000, 32, 90);
  h.cpu.s.gpr[kRsi] = kSrc;
  h.cpu.s.gpr[kRdi] = kDst;
  h.cpu.s.gpr[kRcx] = 32;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_TRUE(ReadBytes(h, kDst, 32) == ReadBytes(h, kSrc + 0x1000, 32));
}

// In 32-bit protected mode DS and ES bases apply; an ES override moves the source to ES.
TEST(StringTest, SegmentBasesIn32BitMode) {
  for (bool es_override : {false, true}) {
    SCOPED_TRACE(es_override ? "es: source" : "ds: source");
    CpuHarness h(Mode::kProtected32);
    ASSERT_TRUE(h.LoadAsm(std::string(es_override ? ".byte 0x26\n" : "") + "rep movsd\n hlt").ok());
    h.cpu.s.seg[kDs].base = 0x10000;
    h.cpu.s.seg[kEs].base = 0x20000;
    h.cpu.StateChanged();
    FillPattern(h, kSrc + 0x10000, 4096, 11);
    FillPattern(h, kSrc + 0x20000, 4096, 77);
    h.cpu.s.gpr[kRsi] = kSrc;
    h.cpu.s.gpr[kRdi] = kDst;
    h.cpu.s.gpr[kRcx] = 1024;
    const std::vector<uint8_t> source = ReadBytes(h, kSrc + (es_override ? 0x20000 : 0x10000), 4096);
    ASSERT_EQ(h.Run().reason, StopReason::kHalted);
    EXPECT_TRUE(ReadBytes(h, kDst + 0x20000, 4096) == source);
    EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
  }
}

// Real mode: 64 KiB segments (limit-checked, no bulk path), selector << 4 bases.
TEST(StringTest, RealModeRepMovsw) {
  CpuHarness h(Mode::kReal16);
  ASSERT_TRUE(h.LoadAsm("rep movsw\n hlt", 0x8000).ok());
  h.cpu.s.seg[kDs].selector = 0x2000;
  h.cpu.s.seg[kDs].base = 0x20000;
  h.cpu.s.seg[kEs].selector = 0x3000;
  h.cpu.s.seg[kEs].base = 0x30000;
  h.cpu.StateChanged();
  FillPattern(h, 0x20100, 200, 5);
  h.cpu.s.gpr[kRsi] = 0x100;
  h.cpu.s.gpr[kRdi] = 0x200;
  h.cpu.s.gpr[kRcx] = 100;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_TRUE(ReadBytes(h, 0x30200, 200) == ReadBytes(h, 0x20100, 200));
  EXPECT_EQ(h.cpu.s.gpr[kRsi], 0x100u + 200);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], 0x200u + 200);
}

// ---- restartability -----------------------------------------------------------------

// A #PF in the middle: the completed iterations stay done and are reflected in RSI, RDI,
// RCX; RIP is the instruction's (prefix included) so the handler can resume it.
TEST(StringTest, FaultMidwayLeavesRegistersAtCompletedIterations) {
  CpuHarness h;
  InstallTraps(h);
  h.WritePhys(0x3000 + 8 * 2, 0, 8);  // unmap 0x400000-0x5FFFFF
  ASSERT_TRUE(h.LoadAsm("nop\n rep movsq\n hlt").ok());
  FillPattern(h, kSrc, 0x100, 1);
  h.cpu.s.gpr[kRsi] = kSrc;
  h.cpu.s.gpr[kRdi] = 0x400000 - 0x40;  // 8 qwords fit before the hole
  h.cpu.s.gpr[kRcx] = 20;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  const Trap t = TakenTrap(h);
  EXPECT_EQ(t.vector, kPF);
  EXPECT_EQ(t.error, 2u);  // not present, write
  EXPECT_EQ(t.rip, kCodeBase + 1);
  EXPECT_EQ(h.cpu.s.cr2, 0x400000u);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 12u);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], kSrc + 0x40);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], 0x400000u);
  EXPECT_TRUE(ReadBytes(h, 0x400000 - 0x40, 0x40) == ReadBytes(h, kSrc, 0x40));
}

// A fault on the first iteration changes nothing (not even a 32-bit zero-extension).
TEST(StringTest, FaultOnFirstIterationChangesNothing) {
  CpuHarness h;
  InstallTraps(h);
  h.WritePhys(0x3000 + 8 * 2, 0, 8);
  ASSERT_TRUE(h.LoadAsm(".byte 0x67\n rep stosb\n hlt").ok());
  h.cpu.s.gpr[kRdi] = 0xFFFF000000400000;
  h.cpu.s.gpr[kRcx] = 0xFFFF000000000005;
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(TakenTrap(h).vector, kPF);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], 0xFFFF000000400000u);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0xFFFF000000000005u);
}

// A long REP runs in slices: each handler call does at most 4096 iterations and leaves
// RIP at the instruction (one retired instruction per slice), so the run loop can take
// events in between.
TEST(StringTest, LongRepRunsInBoundedSlices) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm("rep stosb\n hlt").ok());
  h.cpu.s.gpr[kRdi] = kDst;
  h.cpu.s.gpr[kRcx] = 10000;
  h.cpu.s.gpr[kRax] = 0x5A;
  RunResult r = h.Run(1);
  EXPECT_EQ(r.reason, StopReason::kBudget);
  EXPECT_EQ(h.cpu.s.rip, kCodeBase);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 10000u - 4096);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], kDst + 4096);
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 0u);
  EXPECT_EQ(h.cpu.s.gpr[kRdi], kDst + 10000);
  EXPECT_EQ(h.ReadPhys(kDst + 9999, 1), 0x5Au);
  EXPECT_EQ(h.ReadPhys(kDst + 10000, 1), 0u);
}

// With TF set the single-step trap comes after each iteration, RIP at the instruction.
TEST(StringTest, SingleStepTrapsAfterEachIteration) {
  CpuHarness h;
  InstallTraps(h);
  ASSERT_TRUE(h.LoadAsm("rep movsb\n hlt").ok());
  h.cpu.s.gpr[kRsi] = kSrc;
  h.cpu.s.gpr[kRdi] = kDst;
  h.cpu.s.gpr[kRcx] = 100;
  h.cpu.s.SetRflags(kFlagTF);
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  const Trap t = TakenTrap(h);
  EXPECT_EQ(t.vector, kDB);
  EXPECT_EQ(t.rip, kCodeBase);
  EXPECT_EQ(h.cpu.s.gpr[kRcx], 99u);
  EXPECT_EQ(h.cpu.s.gpr[kRsi], kSrc + 1);
}

// REP MOVS over the instruction that follows it: the new bytes are what runs next.
TEST(StringTest, RepMovsIntoFollowingCodeIsSeen) {
  CpuHarness h;
  ASSERT_TRUE(h.LoadAsm(R"(
      lea rdi, [rip + 2f]
      lea rsi, [rip + 3f]
      mov ecx, 5
      rep movsb
    2:
      mov eax, 1
      hlt
    3:
      mov eax, 2
  )").ok());
  ASSERT_EQ(h.Run().reason, StopReason::kHalted);
  EXPECT_EQ(h.cpu.s.gpr[kRax], 2u);
}

}  // namespace
}  // namespace vmxemu::cpu
