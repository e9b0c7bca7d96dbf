#include "guests/difftest/arith_reference.h"

#include "guests/difftest/x86_bits.h"

namespace difftest {
namespace {

uint64_t Msb(uint64_t value, int bits) { return (value >> (bits - 1)) & 1; }

// SF, ZF, PF of a result (PF: even parity of the low byte).
uintptr_t ResultFlags(uint64_t r, int bits) {
  uintptr_t flags = 0;
  if (r == 0) flags |= kZf;
  if (Msb(r, bits)) flags |= kSf;
  // A loop: __builtin_popcount may call libgcc, which guests lack.
  unsigned ones = 0;
  for (uint64_t low = r & 0xFF; low != 0; low >>= 1) ones += low & 1;
  if (ones % 2 == 0) flags |= kPf;
  return flags;
}

// ADD/ADC (subtract=false) and SUB/SBB/CMP/NEG: all six flags defined.
Expected AddSub(uint64_t a, uint64_t b, uint64_t carry, bool subtract,
                int bits) {
  uint64_t mask = WidthMask(bits);
  uint64_t r;
  bool cf;
  bool of;
  if (subtract) {
    r = (a - b - carry) & mask;
    cf = a < b || (carry != 0 && a == b);
    of = Msb((a ^ b) & (a ^ r), bits);
  } else {
    r = (a + b + carry) & mask;
    cf = r < a || (carry != 0 && r == a);
    of = Msb((a ^ r) & (b ^ r), bits);
  }
  uintptr_t flags = ResultFlags(r, bits) | ((a ^ b ^ r) & kAf);
  if (cf) flags |= kCf;
  if (of) flags |= kOf;
  return {r, flags, kStatusFlags};
}

// AND/OR/XOR/TEST: OF=CF=0, AF undefined.
Expected Logic(uint64_t r, int bits) {
  return {r, ResultFlags(r, bits), kStatusFlags & ~kAf};
}

// SHL/SHR/SAR/ROL/ROR/RCL/RCR (SDM Vol. 2B "SAL/SAR/SHL/SHR", Vol. 2B
// "RCL/RCR/ROL/ROR"): a zero masked count changes no flag.
Expected Shift(Op op, uint64_t a, uint64_t count, uintptr_t in, int bits) {
  uint64_t mask = WidthMask(bits);
  unsigned masked = static_cast<unsigned>(count & (bits == 64 ? 63 : 31));
  if (masked == 0) return {a, in, kStatusFlags};
  uint64_t r = a;
  uint64_t cf = in & kCf;
  switch (op) {
    case Op::kShl:
      r = masked >= static_cast<unsigned>(bits) ? 0 : (a << masked) & mask;
      cf = masked <= static_cast<unsigned>(bits) ? (a >> (bits - masked)) & 1
                                                 : 0;
      break;
    case Op::kShr:
      r = masked >= static_cast<unsigned>(bits) ? 0 : a >> masked;
      cf = (a >> (masked - 1)) & 1;
      break;
    case Op::kSar:
      r = static_cast<uint64_t>(SignExtend(a, bits) >> masked) & mask;
      cf = static_cast<uint64_t>(SignExtend(a, bits) >> (masked - 1)) & 1;
      break;
    case Op::kRol:
    case Op::kRor: {
      unsigned n = masked % bits;
      bool left = op == Op::kRol;
      if (n != 0) {
        r = left ? (a << n | a >> (bits - n)) : (a >> n | a << (bits - n));
        r &= mask;
      }
      cf = left ? r & 1 : Msb(r, bits);
      break;
    }
    default: {  // RCL/RCR rotate through CF: width + 1 bits.
      unsigned n = masked % (bits + 1);
      for (unsigned i = 0; i < n; ++i) {
        uint64_t out = op == Op::kRcl ? Msb(r, bits) : r & 1;
        r = op == Op::kRcl ? ((r << 1) | cf) & mask
                           : (r >> 1) | (cf << (bits - 1));
        cf = out;
      }
      break;
    }
  }
  uint64_t of;
  switch (op) {
    case Op::kShl:
    case Op::kRol:
    case Op::kRcl:
      of = Msb(r, bits) ^ cf;
      break;
    case Op::kShr:
      of = Msb(a, bits);
      break;
    case Op::kSar:
      of = 0;
      break;
    case Op::kRor:
      of = Msb(r, bits) ^ Msb(r << 1, bits);
      break;
    default:
      of = Msb(a, bits) ^ (in & kCf);
      break;  // RCR: before rotating.
  }
  bool is_rotate = op != Op::kShl && op != Op::kShr && op != Op::kSar;
  // Rotates keep SF ZF AF PF; shifts set SF ZF PF and leave AF undefined.
  uintptr_t flags =
      is_rotate ? in & (kSf | kZf | kAf | kPf) : ResultFlags(r, bits);
  uintptr_t defined =
      is_rotate ? kSf | kZf | kAf | kPf | kCf : kSf | kZf | kPf | kCf;
  if (cf) flags |= kCf;
  if (of) flags |= kOf;
  if (masked == 1) defined |= kOf;
  // CF is undefined for SHL/SHR counts >= the width (8/16-bit operands).
  bool shl_shr = op == Op::kShl || op == Op::kShr;
  if (shl_shr && masked >= static_cast<unsigned>(bits)) defined &= ~kCf;
  return {r, flags, defined};
}

}  // namespace

uint64_t WidthMask(int bits) {
  return bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
}

int64_t SignExtend(uint64_t value, int bits) {
  return static_cast<int64_t>(value << (64 - bits)) >> (64 - bits);
}

uint64_t DivideUnsigned(uint64_t n, uint64_t d, uint64_t* remainder) {
  uint64_t quotient = 0;
  uint64_t rest = 0;
  for (int i = 63; i >= 0; --i) {
    bool carry = rest >> 63;
    rest = rest << 1 | ((n >> i) & 1);
    if (carry || rest >= d) {
      rest -= d;
      quotient |= uint64_t{1} << i;
    }
  }
  *remainder = rest;
  return quotient;
}

int64_t DivideSigned(int64_t n, int64_t d, int64_t* remainder) {
  uint64_t magnitude_n = n < 0 ? 0 - static_cast<uint64_t>(n) : n;
  uint64_t magnitude_d = d < 0 ? 0 - static_cast<uint64_t>(d) : d;
  uint64_t rest;
  uint64_t q = DivideUnsigned(magnitude_n, magnitude_d, &rest);
  // The remainder takes the dividend's sign, the quotient the product's.
  *remainder = static_cast<int64_t>(n < 0 ? 0 - rest : rest);
  return static_cast<int64_t>((n < 0) != (d < 0) ? 0 - q : q);
}

Expected Reference(Op op, uint64_t a, uint64_t b, uintptr_t in, int bits) {
  uint64_t mask = WidthMask(bits);
  a &= mask;
  uint64_t carry = in & kCf;
  switch (op) {
    case Op::kAdd:
      return AddSub(a, b & mask, 0, false, bits);
    case Op::kAdc:
      return AddSub(a, b & mask, carry, false, bits);
    case Op::kSub:
      return AddSub(a, b & mask, 0, true, bits);
    case Op::kSbb:
      return AddSub(a, b & mask, carry, true, bits);
    case Op::kCmp: {
      Expected e = AddSub(a, b & mask, 0, true, bits);
      e.value = a;
      return e;
    }
    case Op::kAnd:
      return Logic(a & b & mask, bits);
    case Op::kOr:
      return Logic((a | b) & mask, bits);
    case Op::kXor:
      return Logic((a ^ b) & mask, bits);
    case Op::kTest: {
      Expected e = Logic(a & b & mask, bits);
      e.value = a;
      return e;
    }
    case Op::kBt:
    case Op::kBts:
    case Op::kBtr:
    case Op::kBtc: {
      // Register bit base: offset mod width. CF = the bit, ZF unchanged,
      // OF SF AF PF undefined (SDM Vol. 2A BT).
      uint64_t bit = uint64_t{1} << (b & (bits - 1));
      uint64_t r = op == Op::kBts   ? a | bit
                   : op == Op::kBtr ? a & ~bit
                   : op == Op::kBtc ? a ^ bit
                                    : a;
      uintptr_t flags = (in & kZf) | ((a & bit) != 0 ? kCf : 0);
      return {r, flags, kCf | kZf};
    }
    case Op::kInc:
    case Op::kDec: {
      // CF is not affected (SDM Vol. 2A INC/DEC).
      Expected e = AddSub(a, 1, 0, op == Op::kDec, bits);
      e.flags = (e.flags & ~kCf) | (in & kCf);
      return e;
    }
    case Op::kNeg:
      return AddSub(0, a, 0, true, bits);
    case Op::kNot:
      return {~a & mask, in & kStatusFlags, kStatusFlags};
    default:
      return Shift(op, a, b, in & kStatusFlags, bits);
  }
}

Expected DoubleShiftReference(bool left, uint64_t a, uint64_t b, uint64_t count,
                              uintptr_t in, int bits) {
  uint64_t mask = WidthMask(bits);
  unsigned n = static_cast<unsigned>(count & (bits == 64 ? 63 : 31));
  if (n == 0) return {a, in & kStatusFlags, kStatusFlags};
  // Shift a bits-wide concatenation one bit at a time (n <= width here).
  uint64_t r = a;
  uint64_t src = b;
  uint64_t cf = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (left) {
      cf = Msb(r, bits);
      r = ((r << 1) | Msb(src, bits)) & mask;
      src = (src << 1) & mask;
    } else {
      cf = r & 1;
      r = (r >> 1) | ((src & 1) << (bits - 1));
      src >>= 1;
    }
  }
  // SHLD/SHRD: OF defined for 1-bit shifts (sign change), AF undefined.
  uintptr_t flags = ResultFlags(r, bits) | (cf ? kCf : 0);
  if (Msb(r, bits) != Msb(a, bits)) flags |= kOf;
  uintptr_t defined = kSf | kZf | kPf | kCf | (n == 1 ? kOf : 0);
  return {r, flags, defined};
}

uint32_t ConditionReference(uint64_t a, uint64_t b, int bits) {
  uintptr_t f = Reference(Op::kCmp, a, b, 0, bits).flags;
  bool cf = f & kCf, zf = f & kZf, sf = f & kSf, of = f & kOf, pf = f & kPf;
  bool conditions[8] = {of, cf, zf, cf || zf, sf, pf, sf != of, zf || sf != of};
  uint32_t mask = 0;
  for (int i = 0; i < 8; ++i) {
    mask |= (conditions[i] ? 1u : 2u) << (2 * i);  // cc, then not cc.
  }
  return mask;
}

}  // namespace difftest
