// modes, 32-bit build: protected-mode segmentation (SDM Vol. 3A chapters 3
// and 5): segment bases (a byte-granular and an expand-down data segment),
// 16-bit addressing wrapping at 64 KiB, LAR/LSL/VERR/VERW on several kinds
// of selector, and a far CALL through a call gate.
//
// Not here: the #GP(0) of an access beyond a data segment's limit, below an
// expand-down segment's limit, or a write to a read-only segment. QEMU TCG
// checks none of them on data accesses (only when the selector is loaded),
// so QEMU cannot be the oracle for them.
#include <stdint.h>

#include "guests/difftest/report.h"
#include "guests/difftest/system.h"
#include "guests/difftest/x86_bits.h"
#include "guests/lib/printf.h"

// A call-gate target: returns 600Dh and the CS the gate's CALL pushed.
asm(".text\n"
    ".globl dt_gate_target\n"
    "dt_gate_target:\n\t"
    "mov 4(%esp), %edx\n\t"
    "mov $0x600d, %eax\n\t"
    "lret\n");
extern "C" char dt_gate_target[];

namespace difftest {
namespace {

constexpr uint16_t kLimited = kFirstFreeGdtIndex * 8;  // 0x60
constexpr uint16_t kExpandDown = kLimited + 8;         // 0x68
constexpr uint16_t kReadOnly = kLimited + 16;          // 0x70
constexpr uint16_t kCallGate = kLimited + 24;          // 0x78
constexpr uint16_t kPastGdt = kGdtEntries * 8;         // 0x80

uint8_t buffer[256] __attribute__((aligned(16)));

void LoadFs(uint16_t selector) {
  asm volatile("mov %0, %%fs" : : "r"(static_cast<uint32_t>(selector)));
}

// Prints and checks the byte at FS:offset, buffer[index] by construction.
void CheckFsRead(const char* name, uint32_t offset, int index) {
  uint32_t value;
  asm volatile("movzbl %%fs:(%1), %0" : "=r"(value) : "r"(offset));
  guest::printf("pm: %s: read %02x\n", name, value);
  Expect(value == buffer[index], "pm: %s: want %02x", name, buffer[index]);
}

struct Verdict {
  uint32_t value;
  bool zf;
};

#define DT_SELECTOR_QUERY(Name, insn)                       \
  Verdict Name(uint16_t selector) {                         \
    uint32_t value = 0;                                     \
    uint8_t zf;                                             \
    asm volatile(insn " %[s], %[v]\n\tsetz %[z]"            \
                 : [v] "+r"(value), [z] "=q"(zf)            \
                 : [s] "r"(static_cast<uint32_t>(selector)) \
                 : "cc");                                   \
    return {value, zf != 0};                                \
  }
DT_SELECTOR_QUERY(Lar, "lar")
DT_SELECTOR_QUERY(Lsl, "lsl")
#undef DT_SELECTOR_QUERY

bool Verr(uint16_t selector) {
  uint8_t zf;
  asm volatile("verr %w1\n\tsetz %0" : "=q"(zf) : "r"(selector) : "cc");
  return zf != 0;
}
bool Verw(uint16_t selector) {
  uint8_t zf;
  asm volatile("verw %w1\n\tsetz %0" : "=q"(zf) : "r"(selector) : "cc");
  return zf != 0;
}

void RunSegmentLimits() {
  for (int i = 0; i < 256; ++i) buffer[i] = static_cast<uint8_t>(i * 7 + 1);
  uint32_t base = reinterpret_cast<uintptr_t>(buffer);
  // Byte-granular limit FFh: offsets 0..FFh (SDM Vol. 3A 5.3).
  SetGdtEntry(kLimited / 8, SegmentDescriptor(base, 0xFF, 0x92, 0x4));
  // Expand-down, B=1, limit FFFh: offsets 1000h..FFFFFFFFh.
  SetGdtEntry(kExpandDown / 8,
              SegmentDescriptor(base - 0x1000, 0xFFF, 0x96, 0x4));
  SetGdtEntry(kReadOnly / 8, SegmentDescriptor(base, 0xFF, 0x90, 0x4));

  LoadFs(kLimited);
  CheckFsRead("base+10", 0x10, 0x10);
  CheckFsRead("base+ff", 0xFF, 0xFF);
  // 16-bit addressing (67h): BX+SI wraps at 64 KiB, FFFFh + 11h = 10h.
  uint32_t value;
  asm volatile("movzbl %%fs:(%%bx,%%si), %0"
               : "=r"(value)
               : "b"(0xFFFF), "S"(0x11));
  guest::printf("pm: addr16 fs:[bx=ffff+si=11] read %02x\n", value);
  Expect(value == buffer[0x10], "pm: 16-bit address wrap");

  LoadFs(kExpandDown);
  CheckFsRead("expand-down base+1010", 0x1010, 0x10);
  LoadFs(kReadOnly);
  CheckFsRead("read-only base+20", 0x20, 0x20);
  LoadFs(kData);
}

void RunSelectorQueries() {
  const struct {
    const char* name;
    uint16_t selector;
  } kSelectors[] = {
      {"null", 0},
      {"code32", kCode32},
      {"data", kData},
      {"busy tss", kTss},
      {"limited", kLimited},
      {"expand-down", kExpandDown},
      {"read-only", kReadOnly},
      {"user data", kUserData},
      {"absent", kAbsentData},
      {"past gdt", kPastGdt},
  };
  for (const auto& s : kSelectors) {
    Verdict lar = Lar(s.selector);
    Verdict lsl = Lsl(s.selector);
    // LAR returns the access rights masked with 00FxFF00h (SDM Vol. 2A LAR).
    guest::printf("pm: %-11s %04x: lar=%08x/%d lsl=%08x/%d verr=%d verw=%d\n",
                  s.name, s.selector, lar.zf ? lar.value & 0x00F0FF00 : 0,
                  lar.zf, lsl.zf ? lsl.value : 0, lsl.zf, Verr(s.selector),
                  Verw(s.selector));
  }
  Expect(!Lar(0).zf && Lsl(kLimited).value == 0xFF &&
             Lsl(kExpandDown).value == 0xFFF && Verr(kReadOnly) &&
             !Verw(kReadOnly) && !Lsl(kPastGdt).zf,
         "pm: lar/lsl/verr/verw");
}

void RunCallGate() {
  // 32-bit call gate, DPL 0, to kCode32:dt_gate_target (SDM Vol. 3A 5.8.3).
  uint32_t target = reinterpret_cast<uintptr_t>(dt_gate_target);
  uint64_t gate = (target & 0xFFFF) | (uint64_t{kCode32} << 16) |
                  (uint64_t{0x8C} << 40) | (uint64_t{target >> 16} << 48);
  SetGdtEntry(kCallGate / 8, gate);
  uint32_t result, pushed_cs;
  asm volatile("lcall $0x78, $0" : "=a"(result), "=d"(pushed_cs) : : "memory");
  guest::printf("pm: call gate: eax=%x pushed cs=%02x\n", result,
                pushed_cs & 0xFFFF);
  Expect(result == 0x600D && (pushed_cs & 0xFFFF) == kCode32, "pm: call gate");
}

}  // namespace

void RunProtectedModeChecks() {
  RunSegmentLimits();
  RunSelectorQueries();
  RunCallGate();
}

}  // namespace difftest
