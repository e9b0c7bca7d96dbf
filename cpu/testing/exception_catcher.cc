#include "cpu/testing/exception_catcher.h"

namespace vmxemu::cpu::testing {
namespace {

constexpr uint64_t kCatchers = 0x1F0000;     // 16 bytes per vector
constexpr uint64_t kRealCatchers = 0x500;    // 8 bytes per vector, segment 0
constexpr int kVectors = 32;
constexpr uint8_t kHlt = 0xF4;

// Vectors that push an error code (SDM Vol. 3A Table 6-1).
bool HasErrorCode(int v) {
  return v == kDF || v == kTS || v == kNP || v == kSS || v == kGP || v == kPF || v == kAC ||
         v == 21;
}

}  // namespace

void InstallExceptionCatchers(CpuHarness& h) {
  for (int v = 0; v < kVectors; ++v) {
    if (h.mode == Mode::kReal16) {
      const uint64_t at = kRealCatchers + 8 * v;
      h.WritePhys(at, kHlt, 1);
      h.WritePhys(4 * v, at, 4);  // offset at, segment 0
    } else {
      const uint64_t at = kCatchers + 16 * v;
      h.WritePhys(at, kHlt, 1);
      h.SetInterruptGate(v, at);
    }
  }
}

CaughtException RunAndCatch(CpuHarness& h, uint64_t max_instructions) {
  CaughtException c;
  c.run = h.Run(max_instructions);
  const CpuState& s = h.cpu.s;
  if (c.run.reason != StopReason::kHalted) return c;
  if (!s.protected_mode()) {
    const uint64_t at = s.seg[kCs].base + s.rip - 1;
    if (at < kRealCatchers || at >= kRealCatchers + 8 * kVectors) return c;
    c.vector = static_cast<int>((at - kRealCatchers) / 8);
    const uint64_t sp = s.seg[kSs].base + (s.gpr[kRsp] & 0xFFFF);
    c.rip = h.ReadPhys(sp, 2);
    c.rflags = h.ReadPhys(sp + 4, 2);
    return c;
  }
  const uint64_t at = s.rip - 1;
  if (at < kCatchers || at >= kCatchers + 16 * kVectors) return c;
  c.vector = static_cast<int>((at - kCatchers) / 16);
  // 8-byte slots in IA-32e mode, 4-byte slots for 32-bit gates.
  const int w = s.long_mode_active() ? 8 : 4;
  uint64_t sp = s.seg[kSs].base + s.gpr[kRsp];
  if (HasErrorCode(c.vector)) {
    c.error_code = static_cast<uint32_t>(h.ReadPhys(sp, 4));
    sp += w;
  }
  c.rip = h.ReadPhys(sp, w);
  c.rflags = h.ReadPhys(sp + 2 * w, w);
  return c;
}

void EnterCpl3(CpuHarness& h, int iopl) {
  // The 64-bit TSS's RSP0 (offset 4) for the way back to CPL 0. (The harness also
  // writes the 32-bit TSS's SS0 at offset 8, which lands in RSP0's upper half.)
  h.WritePhys(kTss + 4, kStackTop, 8);
  CpuState& s = h.cpu.s;
  s.seg[kCs] = Segment{.selector = kUserCode64Sel, .base = 0, .limit = 0xFFFFFFFF, .ar = {0xA0FB}};
  s.seg[kSs] = Segment{.selector = kUserData32Sel, .base = 0, .limit = 0xFFFFFFFF, .ar = {0xC0F3}};
  s.SetRflags((s.Rflags() & ~kFlagIOPL) | (static_cast<uint64_t>(iopl) << 12));
  h.cpu.StateChanged();
}

}  // namespace vmxemu::cpu::testing
