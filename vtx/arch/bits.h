// Tiny freestanding helpers for the bit fields of architectural words. The 32-bit guest
// build has no C++ standard headers at all (no <type_traits>, <bit>, <cstdint>), so the
// few things the tables need are spelled out here.
#ifndef VMXEMU_VMX_ARCH_BITS_H_
#define VMXEMU_VMX_ARCH_BITS_H_

#include <stdint.h>

namespace vmxemu::vmx::arch {

// Ones in bits hi:lo (63 >= hi >= lo >= 0).
constexpr uint64_t BitMask(int hi, int lo) {
  const uint64_t width_mask = hi - lo == 63 ? ~0ull : (1ull << (hi - lo + 1)) - 1;
  return width_mask << lo;
}

// Bits hi:lo of `value`, shifted down to bit 0.
constexpr uint64_t Bits(uint64_t value, int hi, int lo) {
  return (value & BitMask(hi, lo)) >> lo;
}

constexpr bool Bit(uint64_t value, int bit) { return (value >> bit) & 1; }

// `field` placed at bits hi:lo; bits of `field` wider than the range are dropped.
constexpr uint64_t PlaceBits(uint64_t field, int hi, int lo) {
  return (field << lo) & BitMask(hi, lo);
}

constexpr uint64_t PlaceBit(bool set, int bit) { return static_cast<uint64_t>(set) << bit; }

// std::conditional_t and std::is_same_v for the freestanding build.
template <bool kCondition, typename IfTrue, typename IfFalse>
struct Conditional {
  using Type = IfTrue;
};
template <typename IfTrue, typename IfFalse>
struct Conditional<false, IfTrue, IfFalse> {
  using Type = IfFalse;
};

template <typename A, typename B>
inline constexpr bool kIsSame = false;
template <typename A>
inline constexpr bool kIsSame<A, A> = true;

// Element count of a built-in array (std::size for the freestanding build).
template <typename T, int kN>
constexpr int ArraySize(const T (&)[kN]) {
  return kN;
}

// strcmp() == 0 usable in constant expressions (table self-checks, lookups by name).
constexpr bool StringsEqual(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

}  // namespace vmxemu::vmx::arch

#endif  // VMXEMU_VMX_ARCH_BITS_H_
