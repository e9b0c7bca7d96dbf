// Fuzzes the x86 core with random code bytes and a random initial state: whatever the
// guest does, the emulator must not crash, trip a sanitizer, or hang past its budget.
//
// Input: byte 0 = mode (64-bit / 32-bit protected / real), byte 1 = RFLAGS low byte
// (arithmetic flags, DF), bytes 2..9 = seed for the general registers, rest = code.
// Run it for real with --config=fuzz:
//   bazel build --config=fuzz //cpu/fuzz:cpu_fuzzer
//   bazel-bin/cpu/fuzz/cpu_fuzzer -runs=10000000 -max_len=512 -jobs=2 -workers=2
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"

namespace {

using vmxemu::cpu::RunResult;
using vmxemu::cpu::StopReason;
using vmxemu::cpu::testing::CpuHarness;
using vmxemu::cpu::testing::Mode;

constexpr uint64_t kRam = 2ull << 20;  // small, so restoring it per input is cheap
// Random code is mostly straight-line and decoded once; a few hundred instructions
// cover an input of -max_len=512 bytes plus the loops it forms.
constexpr uint64_t kBudget = 400;      // instructions per input
constexpr uint64_t kRealModeCode = 0x8000;

// One harness per mode, with a pristine copy of its memory and state to restore.
struct Fixture {
  explicit Fixture(Mode m) : harness(m, kRam), pristine(kRam), state(harness.cpu.s) {
    harness.memory.Read(0, pristine.data(), kRam);
    harness.memory.EnableDirtyTracking();
    harness.memory.TakeDirtyPages();
  }
  CpuHarness harness;
  std::vector<uint8_t> pristine;
  vmxemu::cpu::CpuState state;
};

Fixture& FixtureFor(int mode) {
  static Fixture* fixtures[3] = {new Fixture(Mode::kLong64), new Fixture(Mode::kProtected32),
                                 new Fixture(Mode::kReal16)};
  return *fixtures[mode];
}

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 10) return 0;
  const int mode = data[0] % 3;
  Fixture& f = FixtureFor(mode);
  CpuHarness& h = f.harness;
  // Restore the pages the last input could have written (Write also invalidates decoded
  // blocks on them), and the state.
  for (uint64_t page : h.memory.TakeDirtyPages()) {
    h.memory.Write(page << 12, f.pristine.data() + (page << 12), vmxemu::cpu::kPageSize);
  }
  h.memory.TakeDirtyPages();
  h.platform.port_writes.clear();
  h.platform.mmio_reads.clear();
  h.platform.mmio_writes.clear();
  h.cpu.s = f.state;

  uint64_t seed;
  memcpy(&seed, data + 2, 8);
  for (int r = 0; r < vmxemu::cpu::kNumGprs; ++r) {
    const uint64_t v = SplitMix(seed);
    // Half the registers point into RAM so memory operands often hit it.
    h.cpu.s.gpr[r] = (v & 1) ? (v >> 1) % kRam : v;
  }
  h.cpu.s.gpr[vmxemu::cpu::kRsp] = f.state.gpr[vmxemu::cpu::kRsp];
  h.cpu.s.SetRflags((h.cpu.s.Rflags() & ~0xCD5ull) | (data[1] & 0xD5) | ((data[1] & 0x20) << 5));

  const uint64_t at = mode == 2 ? kRealModeCode : vmxemu::cpu::testing::kCodeBase;
  const size_t code_len = std::min<size_t>(size - 10, 4096);
  h.memory.Write(at, data + 10, code_len);
  h.cpu.s.rip = at;
  h.cpu.StateChanged();

  const RunResult r = h.cpu.Run(kBudget);
  // Every stop is a value: an error must say what it was.
  if (r.reason == StopReason::kError && r.message.empty()) abort();
  return 0;
}
