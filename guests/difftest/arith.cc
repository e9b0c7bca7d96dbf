// arith: integer instructions over a table of operands, at every operand
// width the build has (8/16/32/64 in the 64-bit build, 8/16/32 in the
// 32-bit one), each with the status flags all clear and all set beforehand.
// Every result and the flags the SDM defines (undefined flags are masked
// out) are checked against the C model in arith_reference.cc, and go into
// one digest line per instruction and width:
//   add32: 26 cases, fnv=1a2b3c4d
// With "verbose" on the kernel command line each case is printed as well:
//   add32 7fffffff 00000001 -> 80000000/894 80000000/895
#include <stdint.h>

#include "guests/difftest/arith_ops.h"
#include "guests/difftest/arith_reference.h"
#include "guests/difftest/report.h"
#include "guests/difftest/x86_bits.h"
#include "guests/lib/boot_info.h"
#include "guests/lib/printf.h"

namespace difftest {
namespace {

// Operand patterns, truncated to the width: zero, one, the signed extremes,
// all ones and a few irregular bit patterns.
constexpr uint64_t kPatterns[] = {
    0x0000000000000000, 0x0000000000000001, 0x7FFFFFFFFFFFFFFF,
    0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x0123456789ABCDEF,
    0xFEDCBA9876543210, 0x5555555555555555, 0x0000000000000003,
};
enum Pattern { kZero, kOne, kMax, kMin, kOnes, kUp, kDown, kFives, kThree };

// kMax and kMin mean the width's signed extremes (see Operand()).
constexpr struct {
  Pattern a, b;
} kPairs[] = {
    {kZero, kZero},  {kOne, kOne},   {kMax, kOne},  {kMin, kOne}, {kMin, kOnes},
    {kOnes, kOne},   {kOnes, kOnes}, {kZero, kOne}, {kUp, kDown}, {kDown, kUp},
    {kFives, kOnes}, {kThree, kMax}, {kMin, kMin},
};

// Arrays, not braced lists, in range-for loops: those need
// <initializer_list>, which the 32-bit build does not have.
constexpr Pattern kUnaryOperands[] = {kZero, kOne, kMax, kMin, kOnes, kUp};
constexpr Pattern kShiftOperands[] = {kMin, kDown};
constexpr Pattern kScanOperands[] = {kZero, kOne, kMin, kUp, kDown, kThree};
constexpr uint64_t kShiftCounts[] = {0, 1, 2, 7, 8, 9, 16, 17, 31, 32, 63};
constexpr uint64_t kDoubleShiftCounts[] = {0, 1, 4, 15};
constexpr uint64_t kBitOffsets[] = {0, 1, 7, 15, 31, 33, 63, 64, 100};
constexpr bool kFalseTrue[] = {false, true};
constexpr uintptr_t kFlagsIn[2] = {kFixed1, kFixed1 | kStatusFlags};

template <typename T>
constexpr int kBits = 8 * sizeof(T);

template <typename T>
uint64_t Operand(Pattern pattern) {
  uint64_t mask = WidthMask(kBits<T>);
  if (pattern == kMax) return mask >> 1;
  if (pattern == kMin) return (mask >> 1) + 1;
  return kPatterns[pattern] & mask;
}

// Loops, not __builtin_ctzll/clzll: those may call libgcc in the 32-bit
// build, and there is no libgcc here.
int LowestSetBit(uint64_t value) {
  int index = 0;
  while ((value & 1) == 0) value >>= 1, ++index;
  return index;
}
int HighestSetBit(uint64_t value) {
  int index = -1;
  while (value != 0) value >>= 1, ++index;
  return index;
}

template <typename T>
void PrintValue(uint64_t value) {
  Detail(" %0*llx", kBits<T> / 4, static_cast<unsigned long long>(value));
}

template <typename T>
void PrintDigest(const char* name, const Digest& digest) {
  char label[16];
  guest::snprintf(label, sizeof(label), "%s%d", name, kBits<T>);
  digest.Print(label);
}

using Runner = OpResult (*)(uint64_t, uint64_t, uintptr_t);

// Runs one instruction with both input-flag states, checks it against the
// model and adds it to the digest.
template <typename T>
void RunCase(Digest& digest, const char* name, Op op, Runner run, uint64_t a,
             uint64_t b, bool b_is_count) {
  Detail("%s%d", name, kBits<T>);
  PrintValue<T>(a);
  if (b_is_count) {
    Detail(" c=%02x ->", static_cast<unsigned>(b));
  } else {
    PrintValue<T>(b);
    Detail(" ->");
  }
  for (uintptr_t in : kFlagsIn) {
    OpResult got = run(a, b, in);
    Expected want = Reference(op, a, b, in, kBits<T>);
    uintptr_t flags = got.flags & want.defined;
    PrintValue<T>(got.value);
    Detail("/%03lx", static_cast<unsigned long>(flags));
    digest.Add(got.value);
    digest.Add(flags);
    digest.CountCase();
    Expect(got.value == want.value && flags == (want.flags & want.defined),
           "%s%d %llx %llx flags %03lx: got %llx/%03lx, want %llx/%03lx", name,
           kBits<T>, static_cast<unsigned long long>(a),
           static_cast<unsigned long long>(b),
           static_cast<unsigned long>(in & kStatusFlags),
           static_cast<unsigned long long>(got.value),
           static_cast<unsigned long>(flags),
           static_cast<unsigned long long>(want.value),
           static_cast<unsigned long>(want.flags & want.defined));
  }
  Detail("\n");
}

template <typename T>
void RunAlu() {
  const struct {
    const char* name;
    Op op;
    Runner run;
  } kOps[] = {
      {"add", Op::kAdd, Add<T>},    {"adc", Op::kAdc, Adc<T>},
      {"sub", Op::kSub, Sub<T>},    {"sbb", Op::kSbb, Sbb<T>},
      {"and", Op::kAnd, And<T>},    {"or", Op::kOr, Or<T>},
      {"xor", Op::kXor, Xor<T>},    {"cmp", Op::kCmp, Cmp<T>},
      {"test", Op::kTest, Test<T>},
  };
  for (const auto& op : kOps) {
    Digest digest;
    for (const auto& pair : kPairs) {
      RunCase<T>(digest, op.name, op.op, op.run, Operand<T>(pair.a),
                 Operand<T>(pair.b), false);
    }
    PrintDigest<T>(op.name, digest);
  }
  const struct {
    const char* name;
    Op op;
    Runner run;
  } kUnary[] = {{"inc", Op::kInc, Inc<T>},
                {"dec", Op::kDec, Dec<T>},
                {"neg", Op::kNeg, Neg<T>},
                {"not", Op::kNot, Not<T>}};
  for (const auto& op : kUnary) {
    Digest digest;
    for (Pattern p : kUnaryOperands) {
      RunCase<T>(digest, op.name, op.op, op.run, Operand<T>(p), 0, false);
    }
    PrintDigest<T>(op.name, digest);
  }
}

template <typename T>
void RunShifts() {
  const struct {
    const char* name;
    Op op;
    Runner run;
  } kOps[] = {{"shl", Op::kShl, Shl<T>}, {"shr", Op::kShr, Shr<T>},
              {"sar", Op::kSar, Sar<T>}, {"rol", Op::kRol, Rol<T>},
              {"ror", Op::kRor, Ror<T>}, {"rcl", Op::kRcl, Rcl<T>},
              {"rcr", Op::kRcr, Rcr<T>}};
  for (const auto& op : kOps) {
    Digest digest;
    for (Pattern p : kShiftOperands) {
      for (uint64_t count : kShiftCounts) {
        RunCase<T>(digest, op.name, op.op, op.run, Operand<T>(p), count, true);
      }
    }
    PrintDigest<T>(op.name, digest);
  }
}

// BT*, BSF/BSR, SHLD/SHRD, two-operand IMUL: 16/32/64 only.
template <typename T>
void RunWideOnly() {
  const struct {
    const char* name;
    Op op;
    Runner run;
  } kBitOps[] = {{"bt", Op::kBt, Bt<T>},
                 {"bts", Op::kBts, Bts<T>},
                 {"btr", Op::kBtr, Btr<T>},
                 {"btc", Op::kBtc, Btc<T>}};
  for (const auto& op : kBitOps) {
    Digest digest;
    for (uint64_t offset : kBitOffsets) {
      RunCase<T>(digest, op.name, op.op, op.run, Operand<T>(kUp), offset, true);
    }
    PrintDigest<T>(op.name, digest);
  }
  for (bool reverse : kFalseTrue) {
    const char* name = reverse ? "bsr" : "bsf";
    Digest digest;
    for (Pattern p : kScanOperands) {
      uint64_t src = Operand<T>(p);
      OpResult got =
          reverse ? Bsr<T>(0x5A, src, kFixed1) : Bsf<T>(0x5A, src, kFixed1);
      // Only ZF is defined, and the index only for a non-zero source.
      bool zf = (got.flags & kZf) != 0;
      uint64_t index = src == 0 ? 0 : got.value;
      int want = src == 0  ? 0
                 : reverse ? HighestSetBit(src)
                           : LowestSetBit(src);
      Detail("%s%d", name, kBits<T>);
      PrintValue<T>(src);
      Detail(" -> %02x zf=%d\n", static_cast<unsigned>(index), zf);
      digest.Add(index);
      digest.Add(zf);
      digest.CountCase();
      Expect(index == static_cast<uint64_t>(want) && zf == (src == 0),
             "%s%d %llx: got %02x zf=%d, want %02x zf=%d", name, kBits<T>,
             static_cast<unsigned long long>(src), static_cast<unsigned>(index),
             zf, want, src == 0);
    }
    PrintDigest<T>(name, digest);
  }
  for (bool left : kFalseTrue) {
    const char* name = left ? "shld" : "shrd";
    Digest digest;
    for (const auto& pair : kPairs) {
      if (pair.a == pair.b) continue;
      for (uint64_t count : kDoubleShiftCounts) {
        uint64_t a = Operand<T>(pair.a), b = Operand<T>(pair.b);
        OpResult got = left ? Shld<T>(a, b, count, kFixed1)
                            : Shrd<T>(a, b, count, kFixed1);
        Expected want =
            DoubleShiftReference(left, a, b, count, kFixed1, kBits<T>);
        uintptr_t flags = got.flags & want.defined;
        Detail("%s%d", name, kBits<T>);
        PrintValue<T>(a);
        PrintValue<T>(b);
        Detail(" c=%02x ->", static_cast<unsigned>(count));
        PrintValue<T>(got.value);
        Detail("/%03lx\n", static_cast<unsigned long>(flags));
        digest.Add(got.value);
        digest.Add(flags);
        digest.CountCase();
        Expect(got.value == want.value && flags == (want.flags & want.defined),
               "%s%d %llx %llx c=%u: got %llx/%03lx, want %llx/%03lx", name,
               kBits<T>, static_cast<unsigned long long>(a),
               static_cast<unsigned long long>(b), static_cast<unsigned>(count),
               static_cast<unsigned long long>(got.value),
               static_cast<unsigned long>(flags),
               static_cast<unsigned long long>(want.value),
               static_cast<unsigned long>(want.flags & want.defined));
      }
    }
    PrintDigest<T>(name, digest);
  }
}

}  // namespace

// Multiply, divide and SETcc/CMOVcc at every width: arith_muldiv.cc.
void RunMulDivAndConditions();

}  // namespace difftest

int kmain(const guest::BootInfo&) {
  using namespace difftest;
  guest::printf("arith: %d-bit build\n", static_cast<int>(8 * sizeof(void*)));
  RunAlu<uint8_t>();
  RunAlu<uint16_t>();
  RunAlu<uint32_t>();
  RunShifts<uint8_t>();
  RunShifts<uint16_t>();
  RunShifts<uint32_t>();
  RunWideOnly<uint16_t>();
  RunWideOnly<uint32_t>();
#if defined(__x86_64__)
  RunAlu<uint64_t>();
  RunShifts<uint64_t>();
  RunWideOnly<uint64_t>();
#endif
  RunMulDivAndConditions();
  return Finish("arith");
}
