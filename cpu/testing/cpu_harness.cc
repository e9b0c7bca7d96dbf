#include "cpu/testing/cpu_harness.h"

#include <cstring>

#include "cpu/testing/assembler.h"

namespace vmxemu::cpu::testing {
namespace {

// A code/data descriptor from base, limit (20 bits) and attribute bits 40-47, 52-55.
uint64_t MakeDescriptor(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags) {
  return (limit & 0xFFFFull) | (uint64_t{base & 0xFFFFFF} << 16) | (uint64_t{access} << 40) |
         (uint64_t{(limit >> 16) & 0xF} << 48) | (uint64_t{flags & 0xF} << 52) |
         (uint64_t{base >> 24} << 56);
}

}  // namespace

CpuHarness::CpuHarness(Mode m, uint64_t ram_bytes)
    : mode(m), memory(ram_bytes), cpu(memory, platform) {
  // Page tables: identity map of 0..1 GiB with 2 MiB pages (P, RW, US).
  WritePhys(kPml4, 0x2000 | 7, 8);
  WritePhys(0x2000, 0x3000 | 7, 8);
  for (uint64_t i = 0; i < 512; ++i) WritePhys(0x3000 + 8 * i, (i << 21) | 0x87, 8);
  // GDT.
  const uint64_t gdt[] = {
      0,
      MakeDescriptor(0, 0xFFFFF, 0x9B, 0xA),    // 0x08 code64 DPL0
      MakeDescriptor(0, 0xFFFFF, 0x93, 0xC),    // 0x10 data DPL0
      MakeDescriptor(0, 0xFFFFF, 0x9B, 0xC),    // 0x18 code32 DPL0
      MakeDescriptor(0, 0xFFFFF, 0xF3, 0xC),    // 0x20 data DPL3
      MakeDescriptor(0, 0xFFFFF, 0xFB, 0xA),    // 0x28 code64 DPL3
      MakeDescriptor(0, 0xFFFFF, 0xFB, 0xC),    // 0x30 code32 DPL3
      MakeDescriptor(kTss, 0x67, 0x89, 0x0),    // 0x38 TSS (64-bit: next slot is high half)
      0,                                        // 0x40
      MakeDescriptor(0, 0xFFFF, 0x9B, 0x0),     // 0x48 code16 DPL0
      MakeDescriptor(0, 0xFFFF, 0x93, 0x0),     // 0x50 data16 DPL0
  };
  for (size_t i = 0; i < sizeof(gdt) / 8; ++i) WritePhys(kGdt + 8 * i, gdt[i], 8);
  // TSS: the stack for privilege changes at the stack top. The IA-32e layout has RSP0
  // at offset 4 (8 bytes); the 32-bit one ESP0 at 4 and SS0 at 8 (SDM Vol. 3A 7.7, 7.2.1).
  if (mode == Mode::kLong64) {
    WritePhys(kTss + 4, kStackTop, 8);
  } else {
    WritePhys(kTss + 4, kStackTop, 4);
    WritePhys(kTss + 8, kDataSel, 2);
  }

  CpuState& s = cpu.s;
  s.gdtr = {kGdt, sizeof(gdt) - 1};
  s.tr = Segment{.selector = kTssSel, .base = kTss, .limit = 0x67, .ar = {0x8B}};
  s.ldtr = Segment{.selector = 0, .base = 0, .limit = 0, .ar = {AccessRights::kUnusable}};
  const Segment data{.selector = kDataSel, .base = 0, .limit = 0xFFFFFFFF, .ar = {0xC093}};
  switch (mode) {
    case Mode::kLong64:
      s.cr0 = cr0::kPE | cr0::kMP | cr0::kET | cr0::kNE | cr0::kWP | cr0::kPG;
      s.cr4 = cr4::kPAE;
      s.cr3 = kPml4;
      s.msr.efer = efer::kLME | efer::kLMA | efer::kNXE | efer::kSCE;
      for (Segment& sg : s.seg) sg = data;
      s.seg[kCs] = Segment{.selector = kCode64Sel, .base = 0, .limit = 0xFFFFFFFF, .ar = {0xA09B}};
      s.idtr = {kIdt, 256 * 16 - 1};
      break;
    case Mode::kProtected32:
      s.cr0 = cr0::kPE | cr0::kET | cr0::kNE;
      for (Segment& sg : s.seg) sg = data;
      s.seg[kCs] = Segment{.selector = kCode32Sel, .base = 0, .limit = 0xFFFFFFFF, .ar = {0xC09B}};
      s.idtr = {kIdt, 256 * 8 - 1};
      break;
    case Mode::kReal16:
      s.cr0 = cr0::kET;
      for (Segment& sg : s.seg) sg = Segment{.selector = 0, .base = 0, .limit = 0xFFFF, .ar = {0x93}};
      s.seg[kCs].ar.raw = 0x9B;
      s.idtr = {0, 0x3FF};
      break;
  }
  s.gpr[kRsp] = kStackTop;
  s.rip = kCodeBase;
  cpu.StateChanged();
}

absl::Status CpuHarness::LoadAsm(const std::string& source, uint64_t at) {
  const int bits = mode == Mode::kLong64 ? 64 : mode == Mode::kProtected32 ? 32 : 16;
  absl::StatusOr<std::vector<uint8_t>> code = Assemble(source, bits, at);
  if (!code.ok()) return code.status();
  LoadBytes(*code, at);
  return absl::OkStatus();
}

void CpuHarness::LoadBytes(const std::vector<uint8_t>& bytes, uint64_t at) {
  memory.Write(at, bytes.data(), bytes.size());
  code_size = bytes.size();
  cpu.s.rip = mode == Mode::kReal16 ? at - cpu.s.seg[kCs].base : at;
}

void CpuHarness::SetInterruptGate(int vector, uint64_t handler, int dpl, bool trap, int ist) {
  const uint64_t type = trap ? 0xF : 0xE;
  if (mode == Mode::kLong64) {
    const uint64_t lo = (handler & 0xFFFF) | (uint64_t{kCode64Sel} << 16) | (uint64_t(ist) << 32) |
                        (type << 40) | (uint64_t(dpl) << 45) | (1ull << 47) |
                        ((handler >> 16 & 0xFFFF) << 48);
    WritePhys(kIdt + 16 * vector, lo, 8);
    WritePhys(kIdt + 16 * vector + 8, handler >> 32, 8);
  } else {
    const uint64_t lo = (handler & 0xFFFF) | (uint64_t{kCode32Sel} << 16) | (type << 40) |
                        (uint64_t(dpl) << 45) | (1ull << 47) | ((handler >> 16 & 0xFFFF) << 48);
    WritePhys(kIdt + 8 * vector, lo, 8);
  }
}

uint64_t CpuHarness::ReadPhys(uint64_t paddr, int size) {
  uint64_t v = 0;
  memory.Read(paddr, &v, size);
  return v;
}

void CpuHarness::WritePhys(uint64_t paddr, uint64_t value, int size) {
  memory.Write(paddr, &value, size);
}

}  // namespace vmxemu::cpu::testing
