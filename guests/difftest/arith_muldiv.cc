// arith, part two: MUL/IMUL/DIV/IDIV and the sixteen conditions through
// SETcc and CMOVcc, one digest line per instruction and width (see
// arith.cc). MUL/IMUL define only CF and OF (SDM Vol. 2B MUL, IMUL);
// DIV/IDIV define no flag, so none is recorded; a division that would raise
// #DE is not run (the exceptions guest covers #DE).
#include <stddef.h>
#include <stdint.h>

#include "guests/difftest/arith_ops.h"
#include "guests/difftest/arith_reference.h"
#include "guests/difftest/report.h"
#include "guests/difftest/x86_bits.h"
#include "guests/lib/printf.h"

namespace difftest {
namespace {

constexpr uint64_t kFactors[] = {
    0x0,
    0x1,
    0x2,
    0x3,
    0x7F,
    0x80,
    0xFF,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFF,
    0x8000000000000000,
    0xFFFFFFFFFFFFFFFF,
    0x0123456789ABCDEF,
    0xFEDCBA9876543210,
};

constexpr uint64_t kDivisors[] = {
    0x0, 0x3, 0x80, 0xFFFFFFFFFFFFFFFF, 0xFEDCBA9876543210,
};
constexpr bool kFalseTrue[] = {false, true};

template <typename T>
constexpr int kBits = 8 * sizeof(T);

template <typename T>
void Print(const char* name, uint64_t a, uint64_t b) {
  Detail("%s%d %0*llx %0*llx ->", name, kBits<T>, kBits<T> / 4,
         static_cast<unsigned long long>(a), kBits<T> / 4,
         static_cast<unsigned long long>(b));
}

struct Digests {
  Digest mul, imul, imul2, div, idiv, cc;
};

void Record(Digest& digest, uint64_t a, uint64_t b, uint64_t c) {
  digest.Add(a);
  digest.Add(b);
  digest.Add(c);
  digest.CountCase();
}

// Full-width products, high and low halves (the 64-bit ones need 128 bits).
struct Product {
  uint64_t high, low;
};
template <typename T>
Product Multiply(uint64_t a, uint64_t b, bool is_signed) {
  constexpr int bits = kBits<T>;
  uint64_t mask = WidthMask(bits);
#if defined(__x86_64__)
  if constexpr (bits == 64) {
    unsigned __int128 p =
        is_signed ? static_cast<unsigned __int128>(
                        static_cast<__int128>(static_cast<int64_t>(a)) *
                        static_cast<int64_t>(b))
                  : static_cast<unsigned __int128>(a) * b;
    return {static_cast<uint64_t>(p >> 64), static_cast<uint64_t>(p)};
  }
#endif
  if constexpr (bits < 64) {
    uint64_t p =
        is_signed
            ? static_cast<uint64_t>(SignExtend(a, bits) * SignExtend(b, bits))
            : a * b;
    return {(p >> bits) & mask, p & mask};
  }
  return {0, 0};
}

template <typename T>
void RunMultiply(Digests& d, uint64_t a, uint64_t b) {
  constexpr int bits = kBits<T>;
  for (bool is_signed : kFalseTrue) {
    OpResult got = is_signed ? Imul1<T>(a, b, kFixed1) : Mul<T>(a, b, kFixed1);
    Product want = Multiply<T>(a, b, is_signed);
    // CF=OF=1 iff the high half is significant: for IMUL, iff it is not
    // just the sign extension of the low half.
    uint64_t sign_fill = (want.low >> (bits - 1)) & 1 ? WidthMask(bits) : 0;
    bool carry = want.high != (is_signed ? sign_fill : 0);
    uintptr_t flags = got.flags & (kCf | kOf);
    Print<T>(is_signed ? "imul" : "mul", a, b);
    Detail(" %0*llx:%0*llx/%03lx\n", bits / 4,
           static_cast<unsigned long long>(got.high), bits / 4,
           static_cast<unsigned long long>(got.value),
           static_cast<unsigned long>(flags));
    Record(is_signed ? d.imul : d.mul, got.high, got.value, flags);
    Expect(got.high == want.high && got.value == want.low &&
               flags == (carry ? kCf | kOf : 0),
           "%s%d %llx %llx: got %llx:%llx/%03lx", is_signed ? "imul" : "mul",
           bits, static_cast<unsigned long long>(a),
           static_cast<unsigned long long>(b),
           static_cast<unsigned long long>(got.high),
           static_cast<unsigned long long>(got.value),
           static_cast<unsigned long>(flags));
    if (is_signed && bits > 8) {
      // IMUL r, r/m: the truncated product, same CF/OF rule.
      OpResult two = Imul2<T>(a, b, kFixed1);
      Print<T>("imul2_", a, b);
      uintptr_t two_flags = two.flags & (kCf | kOf);
      Detail(" %0*llx/%03lx\n", bits / 4,
             static_cast<unsigned long long>(two.value),
             static_cast<unsigned long>(two_flags));
      Record(d.imul2, two.value, two_flags, 0);
      Expect(two.value == want.low && two_flags == flags,
             "imul2_%d %llx %llx: got %llx/%03lx", bits,
             static_cast<unsigned long long>(a),
             static_cast<unsigned long long>(b),
             static_cast<unsigned long long>(two.value),
             static_cast<unsigned long>(two_flags));
    }
  }
}

template <typename T>
void RunDivide(Digests& d, uint64_t a, uint64_t b) {
  constexpr int bits = kBits<T>;
  if (b == 0) return;
  // DIV: high:a / b with high < b, so the quotient fits.
  const uint64_t highs[] = {0, b - 1};
  for (uint64_t high : highs) {
    OpResult got = Div<T>(high, a, b);
    Print<T>("div", a, b);
    Detail(" hi=%0*llx q=%0*llx r=%0*llx\n", bits / 4,
           static_cast<unsigned long long>(high), bits / 4,
           static_cast<unsigned long long>(got.value), bits / 4,
           static_cast<unsigned long long>(got.high));
    Record(d.div, high, got.value, got.high);
    // The model divides 64 bits, so 64-bit DIV is checked with high = 0.
    if (high == 0 || bits < 64) {
      uint64_t rest;
      uint64_t q = DivideUnsigned(high << (bits % 64) | a, b, &rest);
      Expect(got.value == q && got.high == rest,
             "div%d %llx:%llx / %llx: got q=%llx r=%llx", bits,
             static_cast<unsigned long long>(high),
             static_cast<unsigned long long>(a),
             static_cast<unsigned long long>(b),
             static_cast<unsigned long long>(got.value),
             static_cast<unsigned long long>(got.high));
    }
  }
  // IDIV: the sign extension of a (as CBW/CWD/CDQ/CQO make it) / b.
  int64_t dividend = SignExtend(a, bits);
  int64_t divisor = SignExtend(b, bits);
  int64_t limit = static_cast<int64_t>(WidthMask(bits) >> 1);
  if (divisor == -1 && dividend == -limit - 1) return;  // Quotient overflow.
  int64_t remainder;
  int64_t quotient = DivideSigned(dividend, divisor, &remainder);
  uint64_t high = dividend < 0 ? WidthMask(bits) : 0;
  OpResult got = Idiv<T>(high, a, b);
  Print<T>("idiv", a, b);
  Detail(" q=%0*llx r=%0*llx\n", bits / 4,
         static_cast<unsigned long long>(got.value), bits / 4,
         static_cast<unsigned long long>(got.high));
  Record(d.idiv, got.value, got.high, 0);
  Expect(got.value == (static_cast<uint64_t>(quotient) & WidthMask(bits)) &&
             got.high == (static_cast<uint64_t>(remainder) & WidthMask(bits)),
         "idiv%d %llx / %llx: got q=%llx r=%llx", bits,
         static_cast<unsigned long long>(a), static_cast<unsigned long long>(b),
         static_cast<unsigned long long>(got.value),
         static_cast<unsigned long long>(got.high));
}

template <typename T>
void RunConditions(Digests& d, uint64_t a, uint64_t b) {
  uint32_t set = SetccMask<T>(a, b);
  uint32_t moved = CmovccMask<T>(a, b);
  uint32_t want = ConditionReference(a, b, kBits<T>);
  Print<T>("cc", a, b);
  Detail(" setcc=%04x cmovcc=%04x\n", set, moved);
  Record(d.cc, set, moved, 0);
  Expect(set == want && moved == want,
         "cc%d %llx %llx: setcc=%04x cmovcc=%04x, want %04x", kBits<T>,
         static_cast<unsigned long long>(a), static_cast<unsigned long long>(b),
         set, moved, want);
}

template <typename T>
void PrintDigest(const char* name, const Digest& digest) {
  char label[16];
  guest::snprintf(label, sizeof(label), "%s%d", name, kBits<T>);
  digest.Print(label);
}

template <typename T>
void RunWidth() {
  Digests d;
  uint64_t mask = WidthMask(kBits<T>);
  for (size_t i = 0; i < sizeof(kFactors) / sizeof(kFactors[0]); ++i) {
    uint64_t a = kFactors[i] & mask;
    bool repeated = false;  // Truncation to the width repeats some factors.
    for (size_t j = 0; j < i; ++j) repeated |= (kFactors[j] & mask) == a;
    if (repeated) continue;
    for (uint64_t b_full : kDivisors) {
      uint64_t b = b_full & mask;
      RunMultiply<T>(d, a, b);
      RunDivide<T>(d, a, b);
      RunConditions<T>(d, a, b);
    }
  }
  PrintDigest<T>("mul", d.mul);
  PrintDigest<T>("imul", d.imul);
  if (kBits < T >> 8) PrintDigest<T>("imul2_", d.imul2);
  PrintDigest<T>("div", d.div);
  PrintDigest<T>("idiv", d.idiv);
  PrintDigest<T>("cc", d.cc);
}

}  // namespace

void RunMulDivAndConditions() {
  RunWidth<uint8_t>();
  RunWidth<uint16_t>();
  RunWidth<uint32_t>();
#if defined(__x86_64__)
  RunWidth<uint64_t>();
#endif
}

}  // namespace difftest
