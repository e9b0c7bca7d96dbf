// RFLAGS and lazily evaluated arithmetic flags.
//
// A flag-setting instruction stores its result (sign-extended from its width), its
// second operand and the operation; the six arithmetic flags (SDM Vol. 1 3.4.3.1) are
// derived only when something reads them. Most flags are overwritten before they are
// read, so the common ALU path is three stores. Flags an instruction defines that are
// not expressible this way (shifts, rotates, MUL) are written eagerly (op == kEager).
#ifndef VMXEMU_CPU_FLAGS_H_
#define VMXEMU_CPU_FLAGS_H_

#include <cstdint>

namespace vmxemu::cpu {

inline constexpr uint64_t kFlagCF = 1ull << 0, kFlagPF = 1ull << 2, kFlagAF = 1ull << 4,
                          kFlagZF = 1ull << 6, kFlagSF = 1ull << 7, kFlagTF = 1ull << 8,
                          kFlagIF = 1ull << 9, kFlagDF = 1ull << 10, kFlagOF = 1ull << 11,
                          kFlagIOPL = 3ull << 12, kFlagNT = 1ull << 14, kFlagRF = 1ull << 16,
                          kFlagVM = 1ull << 17, kFlagAC = 1ull << 18, kFlagVIF = 1ull << 19,
                          kFlagVIP = 1ull << 20, kFlagID = 1ull << 21;
inline constexpr uint64_t kArithFlags = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagOF;

enum class FlagOp : uint8_t { kEager, kAdd, kAdc, kSub, kSbb, kLogic, kInc, kDec, kNeg };

// Condition codes in their encoding order (the low nibble of Jcc/SETcc/CMOVcc opcodes),
// SDM Vol. 1 Appendix B, Table B-1.
enum Cond : uint8_t { kO, kNo, kB, kAe, kE, kNe, kBe, kA, kS, kNs, kP, kNp, kL, kGe, kLe, kG };

template <int kBits>
constexpr uint64_t WidthMask() {
  return kBits == 64 ? ~0ull : (1ull << kBits) - 1;
}

template <int kBits>
constexpr uint64_t SignExtend(uint64_t v) {
  if constexpr (kBits == 64) return v;
  else return static_cast<uint64_t>(static_cast<int64_t>(v << (64 - kBits)) >> (64 - kBits));
}

struct LazyFlags {
  uint64_t res = 0;  // result, sign-extended from the operand width
  uint64_t src = 0;  // second operand (for kNeg: the operand)
  uint64_t aux = 0;  // kAdc/kSbb: carry-in; kInc/kDec: CF before the instruction
  uint64_t width_mask = ~0ull;  // all ones in the operand width (no shifts to evaluate)
  FlagOp op = FlagOp::kEager;

  template <int kBits>
  void Set(FlagOp o, uint64_t result, uint64_t source) {
    res = SignExtend<kBits>(result);
    src = source;
    op = o;
    width_mask = WidthMask<kBits>();
  }

  uint64_t mask() const { return width_mask; }
  uint64_t sign() const { return width_mask ^ (width_mask >> 1); }

  // The first operand, recovered from the result (ADD/ADC/SUB/SBB).
  [[gnu::always_inline]] uint64_t Dst() const {
    switch (op) {
      case FlagOp::kAdd: return res - src;
      case FlagOp::kAdc: return res - src - aux;
      case FlagOp::kSub: return res + src;
      case FlagOp::kSbb: return res + src + aux;
      default: return 0;
    }
  }

  // Each of these is valid only when op != kEager (see the Cpu-level accessors).
  [[gnu::always_inline]] bool Zf() const { return res == 0; }
  [[gnu::always_inline]] bool Sf() const { return static_cast<int64_t>(res) < 0; }
  [[gnu::always_inline]] bool Pf() const { return !__builtin_parityll(res & 0xFF); }
  [[gnu::always_inline]] bool Cf() const {
    const uint64_t m = mask();
    // The commonest producers first, as plain branches (well predicted in loops).
    if (op == FlagOp::kAdd) return (res & m) < (src & m);
    if (op == FlagOp::kSub) return ((res + src) & m) < (src & m);
    switch (op) {
      case FlagOp::kAdd: return (res & m) < (src & m);
      case FlagOp::kAdc: return aux ? (res & m) <= (src & m) : (res & m) < (src & m);
      case FlagOp::kSub: return (Dst() & m) < (src & m);
      case FlagOp::kSbb: return aux ? (Dst() & m) <= (src & m) : (Dst() & m) < (src & m);
      case FlagOp::kInc:
      case FlagOp::kDec: return aux & 1;
      case FlagOp::kNeg: return (src & m) != 0;
      default: return false;
    }
  }
  [[gnu::always_inline]] bool Of() const {
    const uint64_t m = mask(), s = sign();
    switch (op) {
      case FlagOp::kAdd:
      case FlagOp::kAdc: return ((Dst() ^ res) & (src ^ res)) & s;
      case FlagOp::kSub:
      case FlagOp::kSbb: return ((Dst() ^ src) & (Dst() ^ res)) & s;
      case FlagOp::kInc: return (res & m) == s;
      case FlagOp::kDec: return (res & m) == s - 1;
      case FlagOp::kNeg: return (src & m) == s;
      default: return false;
    }
  }
  [[gnu::always_inline]] bool Af() const {
    switch (op) {
      case FlagOp::kAdd:
      case FlagOp::kAdc:
      case FlagOp::kSub:
      case FlagOp::kSbb: return (Dst() ^ src ^ res) & 0x10;
      case FlagOp::kInc: return (res & 0xF) == 0;
      case FlagOp::kDec: return (res & 0xF) == 0xF;
      case FlagOp::kNeg: return (src ^ res) & 0x10;
      default: return false;  // logic ops: AF undefined; 0 like QEMU/Unicorn
    }
  }

  // RFLAGS with the arithmetic flags filled in from the lazy state.
  uint64_t Materialize(uint64_t base) const {
    if (op == FlagOp::kEager) return base;
    uint64_t f = base & ~kArithFlags;
    f |= Cf() ? kFlagCF : 0;
    f |= Pf() ? kFlagPF : 0;
    f |= Af() ? kFlagAF : 0;
    f |= Zf() ? kFlagZF : 0;
    f |= Sf() ? kFlagSF : 0;
    f |= Of() ? kFlagOF : 0;
    return f;
  }
  // Makes the flags eager; returns the new base (which then holds the arithmetic flags).
  uint64_t SetFrom(uint64_t value) {
    op = FlagOp::kEager;
    return value;
  }
};

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_FLAGS_H_
