// Multiply and divide: MUL, IMUL (one, two and three operands), DIV, IDIV.
// SDM Vol. 2A "DIV", "IDIV", "IMUL", Vol. 2B "MUL".
//
// MUL/IMUL define only CF = OF (the high half is significant). The undefined SF, ZF, PF
// and AF are set like QEMU/Unicorn (the differential oracle) does: SF, ZF and PF from
// the low operand-size half of the product (AL for byte forms), AF = 0.
// DIV/IDIV leave all flags unchanged (all undefined; QEMU does not touch them either).
// #DE for a zero divisor or a quotient that does not fit is raised before any register
// changes.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

template <int kBits>
using SInt = std::make_signed_t<UInt<kBits>>;

// Register byte offsets of the implicit operands.
inline constexpr uint8_t kAl = kRax * 8, kAh = kRax * 8 + 1, kDx = kRdx * 8;

// Writes the flags of a product whose low half is `lo`: CF = OF = `overflow`, SF/ZF/PF
// from `lo`, AF = 0. All six arithmetic flags are replaced, so nothing is materialized.
template <int kBits>
inline void SetMulFlags(Cpu& cpu, uint64_t lo, bool overflow) {
  lo &= WidthMask<kBits>();
  const uint64_t f = (overflow ? kFlagCF | kFlagOF : 0) | (lo == 0 ? kFlagZF : 0) |
                     ((lo >> (kBits - 1)) & 1 ? kFlagSF : 0) |
                     (__builtin_parityll(lo & 0xFF) ? 0 : kFlagPF);
  cpu.s.rflags_base = cpu.s.flags.SetFrom((cpu.s.rflags_base & ~kArithFlags) | f);
}

// Stores the double-width result: AX for byte operands, else rDX:rAX.
template <int kBits>
inline void SetAccPair(Cpu& cpu, uint64_t lo, uint64_t hi) {
  using T = UInt<kBits>;
  if constexpr (kBits == 8) {
    cpu.SetReg<uint16_t>(kAl, static_cast<uint16_t>((hi & 0xFF) << 8 | (lo & 0xFF)));
  } else {
    cpu.SetReg<T>(kAl, static_cast<T>(lo));
    cpu.SetReg<T>(kDx, static_cast<T>(hi));
  }
}

// The dividend's high half: AH for byte operands, else rDX.
template <int kBits>
inline UInt<kBits> AccHigh(const Cpu& cpu) {
  return cpu.GetReg<UInt<kBits>>(kBits == 8 ? kAh : kDx);
}

// MUL: rDX:rAX := rAX * src (SDM Vol. 2B MUL "Operation").
template <int kBits>
inline bool Mul(Cpu& cpu, UInt<kBits> src) {
  const uint64_t a = cpu.GetReg<UInt<kBits>>(kAl);
  uint64_t lo, hi;
  if constexpr (kBits == 64) {
    const unsigned __int128 p = static_cast<unsigned __int128>(a) * src;
    lo = static_cast<uint64_t>(p);
    hi = static_cast<uint64_t>(p >> 64);
  } else {
    const uint64_t p = a * src;
    lo = p & WidthMask<kBits>();
    hi = p >> kBits;
  }
  SetAccPair<kBits>(cpu, lo, hi);
  SetMulFlags<kBits>(cpu, lo, hi != 0);
  return true;
}

// One-operand IMUL: CF = OF = the product is not the sign extension of its low half.
template <int kBits>
inline bool Imul1(Cpu& cpu, UInt<kBits> src) {
  const int64_t a = static_cast<SInt<kBits>>(cpu.GetReg<UInt<kBits>>(kAl));
  const int64_t b = static_cast<SInt<kBits>>(src);
  uint64_t lo, hi;
  bool overflow;
  if constexpr (kBits == 64) {
    const __int128 p = static_cast<__int128>(a) * b;
    lo = static_cast<uint64_t>(p);
    hi = static_cast<uint64_t>(static_cast<unsigned __int128>(p) >> 64);
    overflow = p != static_cast<int64_t>(lo);
  } else {
    const int64_t p = a * b;  // |p| < 2^62
    lo = static_cast<uint64_t>(p) & WidthMask<kBits>();
    hi = static_cast<uint64_t>(p) >> kBits;
    overflow = p != static_cast<int64_t>(SignExtend<kBits>(lo));
  }
  SetAccPair<kBits>(cpu, lo, hi);
  SetMulFlags<kBits>(cpu, lo, overflow);
  return true;
}

// DIV: quotient in rAX (AL), remainder in rDX (AH) (SDM Vol. 2A DIV "Operation").
template <int kBits>
inline bool Div(Cpu& cpu, UInt<kBits> src) {
  if (src == 0) return cpu.Raise(kDE);
  const uint64_t lo = cpu.GetReg<UInt<kBits>>(kAl), hi = AccHigh<kBits>(cpu);
  // The quotient fits iff the high half of the dividend is below the divisor.
  if (hi >= src) return cpu.Raise(kDE);
  uint64_t q, r;
  if constexpr (kBits == 64) {
    if (hi == 0) {
      q = lo / src;
      r = lo % src;
    } else {
      const unsigned __int128 n = static_cast<unsigned __int128>(hi) << 64 | lo;
      q = static_cast<uint64_t>(n / src);
      r = static_cast<uint64_t>(n % src);
    }
  } else {
    const uint64_t n = hi << kBits | lo;
    q = n / src;
    r = n % src;
  }
  SetAccPair<kBits>(cpu, q, r);
  return true;
}

// IDIV: the quotient truncates toward zero and must lie in [-2^(n-1), 2^(n-1) - 1];
// INT_MIN / -1 overflows (SDM Vol. 2A IDIV "Operation").
template <int kBits>
inline bool Idiv(Cpu& cpu, UInt<kBits> src) {
  using Wide = std::conditional_t<kBits == 64, __int128, int64_t>;
  using UWide = std::conditional_t<kBits == 64, unsigned __int128, uint64_t>;
  const int64_t d = static_cast<SInt<kBits>>(src);
  if (d == 0) return cpu.Raise(kDE);
  const uint64_t lo = cpu.GetReg<UInt<kBits>>(kAl);
  const uint64_t hi = AccHigh<kBits>(cpu);
  Wide n;
  if constexpr (kBits == 64) {
    n = static_cast<Wide>(static_cast<UWide>(hi) << 64 | lo);
  } else {
    n = static_cast<int64_t>(SignExtend<2 * kBits>(hi << kBits | lo));
  }
  Wide q, r;
  if (d == -1) {
    q = static_cast<Wide>(UWide{0} - static_cast<UWide>(n));  // wraps for the minimum
    r = 0;
  } else if (kBits == 64 && n == static_cast<int64_t>(n)) {
    q = static_cast<int64_t>(n) / d;  // the common case, without a 128-bit division
    r = static_cast<int64_t>(n) % d;
  } else {
    q = n / d;
    r = n % d;
  }
  constexpr Wide kMax = static_cast<Wide>(WidthMask<kBits>() >> 1);
  if (q > kMax || q < -kMax - 1) return cpu.Raise(kDE);
  SetAccPair<kBits>(cpu, static_cast<uint64_t>(q), static_cast<uint64_t>(r));
  return true;
}

enum class Op : uint8_t { kMul, kImul, kDiv, kIdiv };

// The one-operand forms: F6/F7 /4../7 with an r/m source.
template <Op kOp, bool kMem>
struct OneOperand {
  template <int kBits>
  struct H {
    static bool Run(Cpu& cpu, const Insn& i) {
      UInt<kBits> src;
      if (!LoadOperand<UInt<kBits>, kMem>(cpu, i, i.r0, &src)) return false;
      switch (kOp) {
        case Op::kMul: return Mul<kBits>(cpu, src);
        case Op::kImul: return Imul1<kBits>(cpu, src);
        case Op::kDiv: return Div<kBits>(cpu, src);
        case Op::kIdiv: return Idiv<kBits>(cpu, src);
      }
      return false;
    }
  };
};

// IMUL r, r/m (0F AF) and IMUL r, r/m, imm (69, 6B): the product is truncated to the
// operand size; CF = OF = it did not fit.
template <bool kMem, bool kImm>
struct ImulTruncated {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      T b;
      if (!LoadOperand<T, kMem>(cpu, i, i.r1, &b)) return false;
      const T a = kImm ? static_cast<T>(i.imm) : cpu.GetReg<T>(i.r0);
      SInt<kBits> p;
      const bool overflow = __builtin_mul_overflow(static_cast<SInt<kBits>>(a),
                                                   static_cast<SInt<kBits>>(b), &p);
      cpu.SetReg<T>(i.r0, static_cast<T>(p));
      SetMulFlags<kBits>(cpu, static_cast<T>(p), overflow);
      return true;
    }
  };
};

template <Op kOp>
Handler BindOneOperand(const DecodeContext& ctx, Insn* insn) {
  const int s = SizeIndex(insn->opsize);
  if (ctx.Is(DecodeContext::kReg)) return kBySize<OneOperand<kOp, false>::template H>[s];
  if (ctx.Is(DecodeContext::kMem)) return kBySize<OneOperand<kOp, true>::template H>[s];
  return nullptr;
}

Handler BindImul(const DecodeContext& ctx, Insn* insn) {
  if (ctx.visible() == 1) return BindOneOperand<Op::kImul>(ctx, insn);
  if (ctx.kind(0) != DecodeContext::kReg || insn->opsize == 1) return nullptr;
  const bool mem = ctx.kind(1) == DecodeContext::kMem;
  if (!mem && ctx.kind(1) != DecodeContext::kReg) return nullptr;
  const int s = SizeIndex(insn->opsize);
  if (ctx.visible() == 2) {
    return mem ? kBySize<ImulTruncated<true, false>::H>[s]
               : kBySize<ImulTruncated<false, false>::H>[s];
  }
  if (ctx.visible() == 3 && ctx.kind(2) == DecodeContext::kImm) {
    return mem ? kBySize<ImulTruncated<true, true>::H>[s]
               : kBySize<ImulTruncated<false, true>::H>[s];
  }
  return nullptr;
}

}  // namespace

void RegisterMulDiv(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_MUL, &BindOneOperand<Op::kMul>);
  t.Set(ZYDIS_MNEMONIC_IMUL, &BindImul);
  t.Set(ZYDIS_MNEMONIC_DIV, &BindOneOperand<Op::kDiv>);
  t.Set(ZYDIS_MNEMONIC_IDIV, &BindOneOperand<Op::kIdiv>);
}

}  // namespace vmxemu::cpu::isa
