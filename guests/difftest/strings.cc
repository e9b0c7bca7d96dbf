// strings: MOVS/STOS/LODS/CMPS/SCAS with and without REP/REPE/REPNE, in
// byte/word/dword/qword widths, forward and backward (DF), overlapping
// moves, a zero count, and 32-bit address size (0x67) in 64-bit mode. Each
// case runs on a 2 KiB arena and prints the final RSI/RDI (relative to the
// arena), RCX, RAX, the status flags and a checksum of the arena:
//   rep movsb fwd: si=40 di=245 cx=0 ax=0 fl=8d7 sum=1a2b3c4d
// An element-at-a-time C model of the SDM pseudo code (Vol. 2B MOVS, STOS,
// LODS, CMPS, SCAS; REP/REPE/REPNE) checks every case.
#include <stdint.h>

#include "guests/difftest/arith_reference.h"
#include "guests/difftest/report.h"
#include "guests/difftest/x86_bits.h"
#include "guests/lib/boot_info.h"
#include "guests/lib/libc.h"
#include "guests/lib/printf.h"

namespace difftest {
namespace {

// Regions of the arena: A a pattern, B = A but for byte 40, C = ~A for
// bytes 0..9 then A, D a run of 20 bytes AAh then A.
constexpr int kRegion = 512;
constexpr int kA = 0, kB = 512, kC = 1024, kD = 1536;
uint8_t arena[4 * kRegion] __attribute__((aligned(64)));
uint8_t model_arena[4 * kRegion] __attribute__((aligned(64)));

void FillArena() {
  for (int i = 0; i < kRegion; ++i) {
    uint8_t a = static_cast<uint8_t>(i * 37 + 11);
    arena[kA + i] = a;
    arena[kB + i] = i == 40 ? a ^ 0x80 : a;
    arena[kC + i] = i < 10 ? static_cast<uint8_t>(~a) : a;
    arena[kD + i] = i < 20 ? 0xAA : a;
  }
}

uint32_t Checksum(const uint8_t* data, int size) {  // FNV-1a.
  uint32_t hash = 2166136261u;
  for (int i = 0; i < size; ++i) hash = (hash ^ data[i]) * 16777619u;
  return hash;
}

struct Regs {
  uint64_t si, di, cx, ax, flags;
};

enum class Kind { kMovs, kStos, kLods, kCmps, kScas };
enum class Rep { kNone, kRep, kRepne };  // kRep is REPE for CMPS/SCAS.

#define DT_STRING_FN(name, insn)                                             \
  void name(Regs& r) {                                                       \
    asm volatile("push %[f]\n\tpopf\n\t" insn "\n\tpushf\n\tpop %[f]\n\tcld" \
                 : "+S"(r.si), "+D"(r.di), "+c"(r.cx),                       \
                   "+a"(r.ax), [f] "+r"(r.flags)                             \
                 :                                                           \
                 : "memory", "cc");                                          \
  }
DT_STRING_FN(RepMovsb, "rep movsb")
DT_STRING_FN(RepMovsw, "rep movsw")
DT_STRING_FN(RepMovsl, "rep movsl")
DT_STRING_FN(RepMovsq, "rep movsq")
DT_STRING_FN(Movsb, "movsb")
DT_STRING_FN(RepStosb, "rep stosb")
DT_STRING_FN(RepStosw, "rep stosw")
DT_STRING_FN(RepStosl, "rep stosl")
DT_STRING_FN(RepStosq, "rep stosq")
DT_STRING_FN(RepLodsb, "rep lodsb")
DT_STRING_FN(RepLodsw, "rep lodsw")
DT_STRING_FN(RepLodsl, "rep lodsl")
DT_STRING_FN(RepLodsq, "rep lodsq")
DT_STRING_FN(Lodsb, "lodsb")
DT_STRING_FN(RepeCmpsb, "repe cmpsb")
DT_STRING_FN(RepeCmpsw, "repe cmpsw")
DT_STRING_FN(RepeCmpsl, "repe cmpsl")
DT_STRING_FN(RepeCmpsq, "repe cmpsq")
DT_STRING_FN(RepneCmpsb, "repne cmpsb")
DT_STRING_FN(Cmpsw, "cmpsw")
DT_STRING_FN(RepneScasb, "repne scasb")
DT_STRING_FN(RepneScasw, "repne scasw")
DT_STRING_FN(RepneScasl, "repne scasl")
DT_STRING_FN(RepneScasq, "repne scasq")
DT_STRING_FN(RepeScasb, "repe scasb")
// 0x67: ESI/EDI/ECX instead of RSI/RDI/RCX (SDM Vol. 1 3.3.7, Vol. 2B
// MOVS "64-bit mode").
DT_STRING_FN(Addr32RepMovsb, ".byte 0x67\n\trep movsb")
DT_STRING_FN(Addr32RepneScasb, ".byte 0x67\n\trepne scasb")
DT_STRING_FN(Addr32RepStosq, ".byte 0x67\n\trep stosq")
#undef DT_STRING_FN

struct Case {
  const char* name;
  void (*run)(Regs&);
  Kind kind;
  int width;
  Rep rep;
  bool backward;
  bool addr32;
  int si, di;  // Arena offsets.
  uint64_t cx, ax;
};

constexpr uint64_t kGarbage = 0xDEAD000000000000;  // Ignored upper bits.

const Case kCases[] = {
    {"rep movsb fwd", RepMovsb, Kind::kMovs, 1, Rep::kRep, false, false, kA + 3,
     kB + 5, 37, 0},
    {"rep movsw fwd", RepMovsw, Kind::kMovs, 2, Rep::kRep, false, false, kA + 2,
     kB + 7, 19, 0},
    {"rep movsd fwd", RepMovsl, Kind::kMovs, 4, Rep::kRep, false, false, kA + 1,
     kB, 9, 0},
    {"rep movsq fwd", RepMovsq, Kind::kMovs, 8, Rep::kRep, false, false, kA,
     kC + 3, 5, 0},
    {"rep movsb bwd", RepMovsb, Kind::kMovs, 1, Rep::kRep, true, false,
     kA + 100, kB + 90, 37, 0},
    {"rep movsw bwd", RepMovsw, Kind::kMovs, 2, Rep::kRep, true, false,
     kA + 100, kC + 91, 19, 0},
    {"rep movsd bwd", RepMovsl, Kind::kMovs, 4, Rep::kRep, true, false,
     kA + 100, kD + 92, 9, 0},
    {"rep movsq bwd", RepMovsq, Kind::kMovs, 8, Rep::kRep, true, false, kA + 96,
     kB + 93, 5, 0},
    {"rep movsb overlap +1", RepMovsb, Kind::kMovs, 1, Rep::kRep, false, false,
     kA, kA + 1, 50, 0},
    {"rep movsq overlap +8", RepMovsq, Kind::kMovs, 8, Rep::kRep, false, false,
     kA, kA + 8, 6, 0},
    {"rep movsb overlap bwd", RepMovsb, Kind::kMovs, 1, Rep::kRep, true, false,
     kA + 49, kA + 59, 50, 0},
    {"rep movsw overlap -3", RepMovsw, Kind::kMovs, 2, Rep::kRep, false, false,
     kA + 3, kA, 20, 0},
    {"movsb", Movsb, Kind::kMovs, 1, Rep::kNone, false, false, kA, kB, 9, 0},
    {"movsb bwd", Movsb, Kind::kMovs, 1, Rep::kNone, true, false, kA, kB, 9, 0},
    {"rep movsb cx=0", RepMovsb, Kind::kMovs, 1, Rep::kRep, false, false, kA,
     kB, 0, 0},
    {"rep stosb fwd", RepStosb, Kind::kStos, 1, Rep::kRep, false, false, 0,
     kB + 1, 33, 0x1122334455667788},
    {"rep stosw fwd", RepStosw, Kind::kStos, 2, Rep::kRep, false, false, 0,
     kB + 1, 17, 0x1122334455667788},
    {"rep stosd fwd", RepStosl, Kind::kStos, 4, Rep::kRep, false, false, 0,
     kB + 1, 9, 0x1122334455667788},
    {"rep stosq fwd", RepStosq, Kind::kStos, 8, Rep::kRep, false, false, 0,
     kB + 1, 5, 0x1122334455667788},
    {"rep stosd bwd", RepStosl, Kind::kStos, 4, Rep::kRep, true, false, 0,
     kC + 60, 9, 0xCAFEF00DDEADBEEF},
    {"rep lodsb", RepLodsb, Kind::kLods, 1, Rep::kRep, false, false, kA + 5, 0,
     7, 0xAAAAAAAAAAAAAAAA},
    {"rep lodsw", RepLodsw, Kind::kLods, 2, Rep::kRep, false, false, kA + 5, 0,
     7, 0xAAAAAAAAAAAAAAAA},
    {"rep lodsd", RepLodsl, Kind::kLods, 4, Rep::kRep, false, false, kA + 5, 0,
     7, 0xAAAAAAAAAAAAAAAA},
    {"rep lodsq", RepLodsq, Kind::kLods, 8, Rep::kRep, false, false, kA + 5, 0,
     7, 0xAAAAAAAAAAAAAAAA},
    {"lodsb bwd", Lodsb, Kind::kLods, 1, Rep::kNone, true, false, kA + 5, 0, 7,
     0xAAAAAAAAAAAAAAAA},
    {"repe cmpsb", RepeCmpsb, Kind::kCmps, 1, Rep::kRep, false, false, kA, kB,
     64, 0},
    {"repe cmpsw", RepeCmpsw, Kind::kCmps, 2, Rep::kRep, false, false, kA, kB,
     32, 0},
    {"repe cmpsd", RepeCmpsl, Kind::kCmps, 4, Rep::kRep, false, false, kA, kB,
     16, 0},
    {"repe cmpsq", RepeCmpsq, Kind::kCmps, 8, Rep::kRep, false, false, kA, kB,
     8, 0},
    {"repe cmpsb equal", RepeCmpsb, Kind::kCmps, 1, Rep::kRep, false, false, kA,
     kB, 30, 0},
    {"repe cmpsb bwd", RepeCmpsb, Kind::kCmps, 1, Rep::kRep, true, false,
     kA + 63, kB + 63, 64, 0},
    {"repe cmpsb cx=0", RepeCmpsb, Kind::kCmps, 1, Rep::kRep, false, false, kA,
     kC, 0, 0},
    {"repne cmpsb", RepneCmpsb, Kind::kCmps, 1, Rep::kRepne, false, false, kA,
     kC, 64, 0},
    {"cmpsw", Cmpsw, Kind::kCmps, 2, Rep::kNone, false, false, kC, kA, 5, 0},
    {"repne scasb", RepneScasb, Kind::kScas, 1, Rep::kRepne, false, false, 0,
     kA, 256, 11 + 25 * 37},
    {"repne scasb miss", RepneScasb, Kind::kScas, 1, Rep::kRepne, false, false,
     0, kA, 20, 11 + 25 * 37},
    {"repne scasw", RepneScasw, Kind::kScas, 2, Rep::kRepne, false, false, 0,
     kD, 64, 0xAAAA},
    {"repne scasd", RepneScasl, Kind::kScas, 4, Rep::kRepne, false, false, 0,
     kD + 2, 64, 0xAAAAAAAA},
    {"repne scasq bwd", RepneScasq, Kind::kScas, 8, Rep::kRepne, true, false, 0,
     kD + 48, 9, 0xAAAAAAAAAAAAAAAA},
    {"repe scasb", RepeScasb, Kind::kScas, 1, Rep::kRep, false, false, 0, kD,
     64, 0xAA},
    {"a32 rep movsb", Addr32RepMovsb, Kind::kMovs, 1, Rep::kRep, false, true,
     kA + 1, kD + 2, 21, 0},
    {"a32 repne scasb", Addr32RepneScasb, Kind::kScas, 1, Rep::kRepne, false,
     true, 0, kA, 100, 11 + 30 * 37},
    {"a32 rep stosq bwd", Addr32RepStosq, Kind::kStos, 8, Rep::kRep, true, true,
     0, kC + 80, 4, 0x0102030405060708},
};

uint64_t Load(const uint8_t* p, int width) {
  uint64_t value = 0;
  memcpy(&value, p, width);
  return value;
}

uint64_t Merge(uint64_t ax, uint64_t value, int width) {
  // 8/16-bit loads keep the rest of RAX; 32-bit ones zero-extend (SDM Vol. 1
  // 3.4.1.1).
  if (width >= 4) return value;
  uint64_t mask = WidthMask(8 * width);
  return (ax & ~mask) | value;
}

// The model's view of an address: the same offset in model_arena.
uint8_t* ModelAddress(uint64_t address) {
  return model_arena + (address - reinterpret_cast<uintptr_t>(arena));
}

Regs Model(const Case& c, Regs r) {
  uint64_t address_mask = c.addr32 ? 0xFFFFFFFF : ~uint64_t{0};
  int64_t step = c.backward ? -c.width : c.width;
  for (;;) {
    if (c.rep != Rep::kNone && (r.cx & address_mask) == 0) break;
    uint8_t* si = ModelAddress(r.si & address_mask);
    uint8_t* di = ModelAddress(r.di & address_mask);
    bool compares = c.kind == Kind::kCmps || c.kind == Kind::kScas;
    switch (c.kind) {
      case Kind::kMovs:
        memcpy(di, si, c.width);
        break;
      case Kind::kStos:
        memcpy(di, &r.ax, c.width);
        break;
      case Kind::kLods:
        r.ax = Merge(r.ax, Load(si, c.width), c.width);
        break;
      case Kind::kCmps:
      case Kind::kScas: {
        // CMPS: [RSI] - [RDI]; SCAS: RAX - [RDI].
        uint64_t left = c.kind == Kind::kCmps ? Load(si, c.width) : r.ax;
        uintptr_t status =
            Reference(Op::kCmp, left, Load(di, c.width), 0, 8 * c.width).flags;
        r.flags = (r.flags & ~kStatusFlags) | status;
        break;
      }
    }
    if (c.kind == Kind::kMovs || c.kind == Kind::kLods ||
        c.kind == Kind::kCmps) {
      r.si = (r.si + step) & address_mask;
    }
    if (c.kind != Kind::kLods) r.di = (r.di + step) & address_mask;
    if (c.rep == Rep::kNone) break;
    r.cx = (r.cx - 1) & address_mask;
    if (compares && c.rep == Rep::kRep && !(r.flags & kZf)) break;
    if (compares && c.rep == Rep::kRepne && (r.flags & kZf)) break;
  }
  return r;
}

void RunCase(const Case& c) {
  FillArena();
  uint64_t base = reinterpret_cast<uintptr_t>(arena);
  // With 0x67 the upper halves of the registers the instruction uses must
  // not matter; RSI is left alone where it does not use it (STOS, SCAS).
  uint64_t garbage = c.addr32 ? kGarbage : 0;
  bool uses_si = c.kind != Kind::kStos && c.kind != Kind::kScas;
  Regs start = {base + c.si + (uses_si ? garbage : 0), base + c.di + garbage,
                c.cx | garbage, c.ax,
                kFixed1 | kStatusFlags | (c.backward ? kDf : 0)};
  memcpy(model_arena, arena, sizeof(arena));
  Regs want = Model(c, start);
  Regs got = start;
  c.run(got);
  uint32_t sum = Checksum(arena, sizeof(arena));
  guest::printf(
      "%s: si=%ld di=%ld cx=%lx ax=%lx fl=%03lx sum=%08x\n", c.name,
      static_cast<long>(got.si - base), static_cast<long>(got.di - base),
      static_cast<unsigned long>(got.cx), static_cast<unsigned long>(got.ax),
      static_cast<unsigned long>(got.flags & (kStatusFlags | kDf)), sum);
  Expect(got.si == want.si && got.di == want.di && got.cx == want.cx &&
             got.ax == want.ax && got.flags == want.flags &&
             sum == Checksum(model_arena, sizeof(model_arena)),
         "%s: want si=%ld di=%ld cx=%lx ax=%lx fl=%03lx sum=%08x", c.name,
         static_cast<long>(want.si - base), static_cast<long>(want.di - base),
         static_cast<unsigned long>(want.cx),
         static_cast<unsigned long>(want.ax),
         static_cast<unsigned long>(want.flags & (kStatusFlags | kDf)),
         Checksum(model_arena, sizeof(model_arena)));
}

}  // namespace
}  // namespace difftest

int kmain(const guest::BootInfo&) {
  for (const difftest::Case& c : difftest::kCases) difftest::RunCase(c);
  return difftest::Finish("strings");
}
