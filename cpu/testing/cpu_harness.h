// A CPU on 16 MiB of RAM in a chosen mode, with the descriptor tables and page tables a
// test needs already in memory, and assembly-text loading. Code runs until HLT.
//
// Memory map: 0x1000 PML4, 0x2000 PDPT, 0x3000 PD (identity map of the first 1 GiB with
// 2 MiB user-writable pages), 0x4000 GDT, 0x5000 IDT, 0x6000 TSS, stack below 0x70000,
// code at 0x100000, free data from 0x200000.
#ifndef VMXEMU_CPU_TESTING_CPU_HARNESS_H_
#define VMXEMU_CPU_TESTING_CPU_HARNESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cpu/cpu.h"
#include "cpu/testing/test_platform.h"

namespace vmxemu::cpu::testing {

inline constexpr uint64_t kPml4 = 0x1000, kGdt = 0x4000, kIdt = 0x5000, kTss = 0x6000;
inline constexpr uint64_t kStackTop = 0x70000, kCodeBase = 0x100000, kDataBase = 0x200000;

// GDT selectors the harness installs.
inline constexpr uint16_t kCode64Sel = 0x08, kDataSel = 0x10, kCode32Sel = 0x18,
                          kUserData32Sel = 0x23, kUserCode64Sel = 0x2B, kUserCode32Sel = 0x33,
                          kTssSel = 0x38, kCode16Sel = 0x48, kData16Sel = 0x50;

enum class Mode { kLong64, kProtected32, kReal16 };

class CpuHarness {
 public:
  explicit CpuHarness(Mode mode = Mode::kLong64, uint64_t ram_bytes = 16ull << 20);

  // Assembles `source` for the harness's mode, writes it at `at` and points RIP there.
  absl::Status LoadAsm(const std::string& source, uint64_t at = kCodeBase);
  void LoadBytes(const std::vector<uint8_t>& bytes, uint64_t at = kCodeBase);
  // Runs until the code halts (or the budget ends).
  RunResult Run(uint64_t max_instructions = 10'000'000) { return cpu.Run(max_instructions); }

  // Installs an interrupt gate for `vector` to `handler` (IA-32e or 32-bit format).
  void SetInterruptGate(int vector, uint64_t handler, int dpl = 0, bool trap = false, int ist = 0);

  uint64_t ReadPhys(uint64_t paddr, int size);
  void WritePhys(uint64_t paddr, uint64_t value, int size);

  Mode mode;
  uint64_t code_size = 0;  // bytes written by the last LoadAsm/LoadBytes
  PhysicalMemory memory;
  TestPlatform platform;
  Cpu cpu;
};

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_CPU_HARNESS_H_
