// One integer instruction each, run with chosen input flags: RFLAGS is set
// with POPF before the instruction and read with PUSHF after it. The operand
// width is the template type (uint8_t .. uint64_t); the assembler takes it
// from the register names. "q" keeps 8-bit operands in AL/BL/CL/DL, which
// the 32-bit build needs.
#ifndef GUESTS_DIFFTEST_ARITH_OPS_H_
#define GUESTS_DIFFTEST_ARITH_OPS_H_

#include <stdint.h>

namespace difftest {

struct OpResult {
  uint64_t value;
  uint64_t high;  // MUL/IMUL: upper half; DIV/IDIV: remainder.
  uintptr_t flags;
};

#define DT_FLAGS_IN "push %[f]\n\tpopf\n\t"
#define DT_FLAGS_OUT "\n\tpushf\n\tpop %[f]"

// dest = dest OP src.
#define DT_BINARY(Name, mnemonic)                                \
  template <typename T>                                          \
  OpResult Name(uint64_t a, uint64_t b, uintptr_t flags) {       \
    T x = static_cast<T>(a);                                     \
    T y = static_cast<T>(b);                                     \
    asm volatile(DT_FLAGS_IN mnemonic " %[y], %[x]" DT_FLAGS_OUT \
                 : [x] "+q"(x), [f] "+r"(flags)                  \
                 : [y] "q"(y)                                    \
                 : "cc");                                        \
    return {x, 0, flags};                                        \
  }

// dest = OP dest.
#define DT_UNARY(Name, mnemonic)                           \
  template <typename T>                                    \
  OpResult Name(uint64_t a, uint64_t, uintptr_t flags) {   \
    T x = static_cast<T>(a);                               \
    asm volatile(DT_FLAGS_IN mnemonic " %[x]" DT_FLAGS_OUT \
                 : [x] "+q"(x), [f] "+r"(flags)            \
                 :                                         \
                 : "cc");                                  \
    return {x, 0, flags};                                  \
  }

// dest = dest OP CL (the CPU masks the count).
#define DT_SHIFT(Name, mnemonic)                                 \
  template <typename T>                                          \
  OpResult Name(uint64_t a, uint64_t count, uintptr_t flags) {   \
    T x = static_cast<T>(a);                                     \
    asm volatile(DT_FLAGS_IN mnemonic " %%cl, %[x]" DT_FLAGS_OUT \
                 : [x] "+q"(x), [f] "+r"(flags)                  \
                 : "c"(static_cast<uint8_t>(count))              \
                 : "cc");                                        \
    return {x, 0, flags};                                        \
  }

// SHLD/SHRD dest, src, CL: src supplies the bits shifted in.
#define DT_DOUBLE_SHIFT(Name, mnemonic)                                    \
  template <typename T>                                                    \
  OpResult Name(uint64_t a, uint64_t b, uint64_t count, uintptr_t flags) { \
    T x = static_cast<T>(a);                                               \
    T y = static_cast<T>(b);                                               \
    asm volatile(DT_FLAGS_IN mnemonic " %%cl, %[y], %[x]" DT_FLAGS_OUT     \
                 : [x] "+r"(x), [f] "+r"(flags)                            \
                 : [y] "r"(y), "c"(static_cast<uint8_t>(count))            \
                 : "cc");                                                  \
    return {x, 0, flags};                                                  \
  }

DT_BINARY(Add, "add")
DT_BINARY(Adc, "adc")
DT_BINARY(Sub, "sub")
DT_BINARY(Sbb, "sbb")
DT_BINARY(And, "and")
DT_BINARY(Or, "or")
DT_BINARY(Xor, "xor")
DT_BINARY(Cmp, "cmp")
DT_BINARY(Test, "test")
DT_BINARY(Bt, "bt")  // 16/32/64 only; the offset is taken mod the width.
DT_BINARY(Bts, "bts")
DT_BINARY(Btr, "btr")
DT_BINARY(Btc, "btc")
DT_BINARY(Imul2, "imul")  // Two-operand form, 16/32/64 only.
DT_UNARY(Inc, "inc")
DT_UNARY(Dec, "dec")
DT_UNARY(Neg, "neg")
DT_UNARY(Not, "not")
DT_SHIFT(Shl, "shl")
DT_SHIFT(Shr, "shr")
DT_SHIFT(Sar, "sar")
DT_SHIFT(Rol, "rol")
DT_SHIFT(Ror, "ror")
DT_SHIFT(Rcl, "rcl")
DT_SHIFT(Rcr, "rcr")
DT_DOUBLE_SHIFT(Shld, "shld")
DT_DOUBLE_SHIFT(Shrd, "shrd")

// BSF/BSR dest, src (16/32/64). dest starts as `a`: AMD and QEMU leave it
// unchanged for src = 0, Intel leaves it undefined, so callers ignore it.
#define DT_BITSCAN(Name, mnemonic)                               \
  template <typename T>                                          \
  OpResult Name(uint64_t a, uint64_t b, uintptr_t flags) {       \
    T x = static_cast<T>(a);                                     \
    T y = static_cast<T>(b);                                     \
    asm volatile(DT_FLAGS_IN mnemonic " %[y], %[x]" DT_FLAGS_OUT \
                 : [x] "+r"(x), [f] "+r"(flags)                  \
                 : [y] "r"(y)                                    \
                 : "cc");                                        \
    return {x, 0, flags};                                        \
  }
DT_BITSCAN(Bsf, "bsf")
DT_BITSCAN(Bsr, "bsr")

// MUL/IMUL r/m: rDX:rAX = rAX * src (AX = AL * src for bytes).
#define DT_WIDE_MULTIPLY(Name, mnemonic)                                       \
  template <typename T>                                                        \
  OpResult Name(uint64_t a, uint64_t b, uintptr_t flags) {                     \
    if constexpr (sizeof(T) == 1) {                                            \
      uint16_t ax = static_cast<uint8_t>(a);                                   \
      asm volatile(DT_FLAGS_IN mnemonic " %[y]" DT_FLAGS_OUT                   \
                   : "+a"(ax), [f] "+r"(flags)                                 \
                   : [y] "q"(static_cast<uint8_t>(b))                          \
                   : "cc");                                                    \
      return {static_cast<uint8_t>(ax), static_cast<uint8_t>(ax >> 8), flags}; \
    } else {                                                                   \
      T low = static_cast<T>(a);                                               \
      T high;                                                                  \
      asm volatile(DT_FLAGS_IN mnemonic " %[y]" DT_FLAGS_OUT                   \
                   : "+a"(low), "=d"(high), [f] "+r"(flags)                    \
                   : [y] "r"(static_cast<T>(b))                                \
                   : "cc");                                                    \
      return {low, high, flags};                                               \
    }                                                                          \
  }
DT_WIDE_MULTIPLY(Mul, "mul")
DT_WIDE_MULTIPLY(Imul1, "imul")

// DIV/IDIV r/m: quotient and remainder of high:low / divisor. The caller
// rules out #DE (zero divisor, quotient overflow).
#define DT_DIVIDE(Name, mnemonic)                                             \
  template <typename T>                                                       \
  OpResult Name(uint64_t high, uint64_t low, uint64_t divisor) {              \
    if constexpr (sizeof(T) == 1) {                                           \
      uint16_t ax = static_cast<uint16_t>((high & 0xFF) << 8 | (low & 0xFF)); \
      asm volatile(mnemonic " %[y]"                                           \
                   : "+a"(ax)                                                 \
                   : [y] "q"(static_cast<uint8_t>(divisor))                   \
                   : "cc");                                                   \
      return {static_cast<uint8_t>(ax), static_cast<uint8_t>(ax >> 8), 0};    \
    } else {                                                                  \
      T quotient = static_cast<T>(low);                                       \
      T remainder = static_cast<T>(high);                                     \
      asm volatile(mnemonic " %[y]"                                           \
                   : "+a"(quotient), "+d"(remainder)                          \
                   : [y] "r"(static_cast<T>(divisor))                         \
                   : "cc");                                                   \
      return {quotient, remainder, 0};                                        \
    }                                                                         \
  }
DT_DIVIDE(Div, "div")
DT_DIVIDE(Idiv, "idiv")

// CMP a, b then all sixteen SETcc (bit n = condition n, in opcode order
// O NO B AE E NE BE A S NS P NP L GE LE G).
template <typename T>
uint32_t SetccMask(uint64_t a, uint64_t b) {
  uint8_t c[16];
  asm volatile(
      "cmp %[y], %[x]\n\t"
      "seto 0(%[c])\n\tsetno 1(%[c])\n\tsetb 2(%[c])\n\tsetae 3(%[c])\n\t"
      "sete 4(%[c])\n\tsetne 5(%[c])\n\tsetbe 6(%[c])\n\tseta 7(%[c])\n\t"
      "sets 8(%[c])\n\tsetns 9(%[c])\n\tsetp 10(%[c])\n\tsetnp 11(%[c])\n\t"
      "setl 12(%[c])\n\tsetge 13(%[c])\n\tsetle 14(%[c])\n\tsetg 15(%[c])"
      :
      : [x] "q"(static_cast<T>(a)), [y] "q"(static_cast<T>(b)), [c] "r"(c)
      : "cc", "memory");
  uint32_t mask = 0;
  for (int i = 0; i < 16; ++i) mask |= static_cast<uint32_t>(c[i] & 1) << i;
  return mask;
}

// The same conditions through CMOVcc (32-bit moves after a width-T CMP).
template <typename T>
uint32_t CmovccMask(uint64_t a, uint64_t b) {
  uint32_t mask = 0;
#define DT_CMOV_BIT(n, cc)                                                 \
  {                                                                        \
    uint32_t moved = 0;                                                    \
    asm volatile("cmp %[y], %[x]\n\tcmov" cc " %[one], %[out]"             \
                 : [out] "+r"(moved)                                       \
                 : [x] "q"(static_cast<T>(a)), [y] "q"(static_cast<T>(b)), \
                   [one] "r"(1u)                                           \
                 : "cc");                                                  \
    mask |= moved << n;                                                    \
  }
  DT_CMOV_BIT(0, "o")
  DT_CMOV_BIT(1, "no") DT_CMOV_BIT(2, "b") DT_CMOV_BIT(3, "ae")
      DT_CMOV_BIT(4, "e") DT_CMOV_BIT(5, "ne") DT_CMOV_BIT(6, "be")
          DT_CMOV_BIT(7, "a") DT_CMOV_BIT(8, "s") DT_CMOV_BIT(9, "ns")
              DT_CMOV_BIT(10, "p") DT_CMOV_BIT(11, "np") DT_CMOV_BIT(12, "l")
                  DT_CMOV_BIT(13, "ge") DT_CMOV_BIT(14, "le")
                      DT_CMOV_BIT(15, "g")
#undef DT_CMOV_BIT
                          return mask;
}

}  // namespace difftest

#endif  // GUESTS_DIFFTEST_ARITH_OPS_H_
