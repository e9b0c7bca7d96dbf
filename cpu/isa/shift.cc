// Shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR (by 1, imm8, CL) and the
// double-precision shifts SHLD, SHRD (imm8, CL). SDM Vol. 2B "SAL/SAR/SHL/SHR",
// "RCL/RCR/ROL/ROR", "SHLD", "SHRD".
//
// Flags are written eagerly. A masked count of 0 changes no flag (SDM "Flags Affected"),
// but the destination is still written: a 32-bit register destination is zero-extended
// and a memory destination is read and written back (as QEMU does).
//
// Where the SDM leaves a result undefined we do what QEMU/Unicorn (the differential
// oracle) does, so every flag is deterministic:
// - OF for counts > 1 uses the count-1 formula on the last step (shifts: MSB of the
//   value shifted by count-1 XOR MSB of the result; ROL: MSB(res) ^ CF; ROR:
//   MSB(res) ^ MSB-1(res); RCL/RCR: MSB(src) ^ MSB(res)).
// - AF after a non-zero shift is 0.
// - SHL/SHR with count >= width: the value is shifted in 64 bits, so CF is the last bit
//   shifted out (0 once count > width) and the result is 0.
// - RCL/RCR with a count that is a non-zero multiple of width+1 (8/16-bit operands)
//   change nothing, not even OF.
// - SHLD/SHRD on 16-bit operands with count > 16: like Intel hardware (and QEMU), the
//   operand is the 48-bit concatenation dest:src:dest shifted by the count.
#include <bit>

#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

// ModRM reg-field order of the C0/C1/D0-D3 group; SAL (/4, and the alias /6) is SHL,
// which Zydis reports as SHL.
enum class Op : uint8_t { kRol, kRor, kRcl, kRcr, kShl, kShr, kSar };

// The count is masked to 5 bits, or 6 for 64-bit operands.
template <int kBits>
inline constexpr unsigned kCountMask = kBits == 64 ? 63 : 31;

template <int kBits>
inline uint64_t Msb(uint64_t v) {
  return (v >> (kBits - 1)) & 1;
}

// SF, ZF and PF of a kBits-wide result.
template <int kBits>
inline uint64_t ResultFlags(uint64_t r) {
  r &= WidthMask<kBits>();
  return (r == 0 ? kFlagZF : 0) | (Msb<kBits>(r) ? kFlagSF : 0) |
         (__builtin_parityll(r & 0xFF) ? 0 : kFlagPF);
}

// Replaces all six arithmetic flags; the lazy ones need not be materialized first.
inline void SetArithFlags(Cpu& cpu, uint64_t f) {
  cpu.s.rflags_base = cpu.s.flags.SetFrom((cpu.s.rflags_base & ~kArithFlags) | f);
}

inline uint64_t CfOf(uint64_t cf, uint64_t of) {
  return (cf ? kFlagCF : 0) | (of ? kFlagOF : 0);
}

// SHL/SHR/SAR: `t` is the value shifted by count-1, so its outgoing bit is CF.
template <Op kOp, int kBits>
inline uint64_t ComputeShift(Cpu& cpu, uint64_t v, unsigned count) {
  uint64_t t, r, cf;
  if constexpr (kOp == Op::kShl) {
    t = v << (count - 1);
    r = t << 1;
    cf = Msb<kBits>(t);
  } else if constexpr (kOp == Op::kShr) {
    t = v >> (count - 1);
    r = t >> 1;
    cf = t & 1;
  } else {
    t = static_cast<uint64_t>(static_cast<int64_t>(SignExtend<kBits>(v)) >> (count - 1));
    r = static_cast<uint64_t>(static_cast<int64_t>(t) >> 1);
    cf = t & 1;
  }
  // Count 1: SHL OF = MSB(result) ^ CF, SHR OF = MSB(original), SAR OF = 0 -- all equal
  // to MSB(t ^ r); QEMU uses the same expression for every count.
  SetArithFlags(cpu, ResultFlags<kBits>(r) | CfOf(cf, Msb<kBits>(t ^ r)));
  return r;
}

template <Op kOp, int kBits>
inline uint64_t ComputeRotate(Cpu& cpu, uint64_t v, unsigned count) {
  using T = UInt<kBits>;
  uint64_t r, cf, of;
  if constexpr (kOp == Op::kRol || kOp == Op::kRor) {
    // The rotation is count MOD width, but CF is written for any non-zero masked count.
    const int n = static_cast<int>(count & (kBits - 1));
    if constexpr (kOp == Op::kRol) {
      r = std::rotl(static_cast<T>(v), n);
      cf = r & 1;
      of = Msb<kBits>(r) ^ cf;
    } else {
      r = std::rotr(static_cast<T>(v), n);
      cf = Msb<kBits>(r);
      of = cf ^ ((r >> (kBits - 2)) & 1);
    }
  } else {
    // Rotation through CF is over width+1 bits (SDM: tempCOUNT).
    unsigned n = count;
    if constexpr (kBits == 8) n %= 9;
    if constexpr (kBits == 16) n %= 17;
    if (n == 0) return v;
    const uint64_t c = cpu.Cf();
    if constexpr (kOp == Op::kRcl) {
      r = (v << n) | (c << (n - 1)) | (n > 1 ? v >> (kBits + 1 - n) : 0);
      cf = (v >> (kBits - n)) & 1;
    } else {
      r = (v >> n) | (c << (kBits - n)) | (n > 1 ? v << (kBits + 1 - n) : 0);
      cf = (v >> (n - 1)) & 1;
    }
    of = Msb<kBits>(v ^ r);
  }
  cpu.SetFlags(kFlagCF | kFlagOF, CfOf(cf, of));
  return r;
}

template <Op kOp, int kBits>
inline uint64_t Compute(Cpu& cpu, uint64_t v, unsigned count) {
  if (count == 0) return v;
  if constexpr (kOp >= Op::kShl) {
    return ComputeShift<kOp, kBits>(cpu, v, count);
  } else {
    return ComputeRotate<kOp, kBits>(cpu, v, count);
  }
}

// SHLD/SHRD: d is the destination, s the source whose bits are shifted in. Counts are
// at most 31 for 16/32-bit operands, so the 32-bit forms shift the 64-bit d:s (or s:d)
// and the 16-bit forms the 48-bit dest:src:dest (see the file comment).
template <bool kLeft, int kBits>
inline uint64_t ComputeDouble(Cpu& cpu, uint64_t d, uint64_t s, unsigned count) {
  if (count == 0) return d;
  uint64_t t, r;  // t: shifted by count-1
  if constexpr (kBits == 64) {
    if constexpr (kLeft) {
      t = d << (count - 1);
      r = (d << count) | (s >> (64 - count));
    } else {
      t = d >> (count - 1);
      r = (d >> count) | (s << (64 - count));
    }
  } else {
    uint64_t x;
    if constexpr (kBits == 16) x = d << 32 | s << 16 | d;
    else x = kLeft ? (d << 32 | s) : (s << 32 | d);
    if constexpr (kLeft) {
      t = (x << (count - 1)) >> 32;
      r = (x << count) >> 32;
    } else {
      t = x >> (count - 1);
      r = x >> count;
    }
  }
  const uint64_t cf = kLeft ? Msb<kBits>(t) : t & 1;
  // Count 1: OF = sign change = MSB(d) ^ MSB(r) = MSB(t ^ r).
  SetArithFlags(cpu, ResultFlags<kBits>(r) | CfOf(cf, Msb<kBits>(t ^ r)));
  return r;
}

template <bool kCl>
inline unsigned Count(const Cpu& cpu, const Insn& i) {
  return kCl ? cpu.GetReg<uint8_t>(kRcx * 8) : static_cast<unsigned>(i.imm);
}

template <Op kOp, bool kMem, bool kCl>
struct Shift {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      const unsigned count = Count<kCl>(cpu, i) & kCountMask<kBits>;
      if constexpr (!kMem) {
        cpu.SetReg<T>(i.r0, static_cast<T>(Compute<kOp, kBits>(cpu, cpu.GetReg<T>(i.r0), count)));
        return true;
      } else {
        const uint64_t ea = cpu.Ea(i);
        T v;
        if (!cpu.Read<T>(i.seg, ea, &v)) return false;
        if (!cpu.ProbeWrite(i.seg, ea, sizeof(T))) return false;
        return cpu.Write<T>(i.seg, ea, static_cast<T>(Compute<kOp, kBits>(cpu, v, count)));
      }
    }
  };
};

template <bool kLeft, bool kMem, bool kCl>
struct DoubleShift {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      const unsigned count = Count<kCl>(cpu, i) & kCountMask<kBits>;
      const T s = cpu.GetReg<T>(i.r1);
      if constexpr (!kMem) {
        const T d = cpu.GetReg<T>(i.r0);
        cpu.SetReg<T>(i.r0, static_cast<T>(ComputeDouble<kLeft, kBits>(cpu, d, s, count)));
        return true;
      } else {
        const uint64_t ea = cpu.Ea(i);
        T d;
        if (!cpu.Read<T>(i.seg, ea, &d)) return false;
        if (!cpu.ProbeWrite(i.seg, ea, sizeof(T))) return false;
        return cpu.Write<T>(i.seg, ea,
                            static_cast<T>(ComputeDouble<kLeft, kBits>(cpu, d, s, count)));
      }
    }
  };
};

// The count operand (visible operand `k`): an immediate (D0/D1's implicit 1, imm8) or CL.
bool CountIsCl(const DecodeContext& ctx, int k, bool* cl) {
  if (ctx.kind(k) == DecodeContext::kImm) {
    *cl = false;
  } else if (ctx.kind(k) == DecodeContext::kReg && ctx.ops[k].reg.value == ZYDIS_REGISTER_CL) {
    *cl = true;
  } else {
    return false;
  }
  return true;
}

template <Op kOp>
Handler BindShift(const DecodeContext& ctx, Insn* insn) {
  const bool mem = ctx.kind(0) == DecodeContext::kMem;
  bool cl;
  if ((!mem && ctx.kind(0) != DecodeContext::kReg) || !CountIsCl(ctx, 1, &cl)) return nullptr;
  const int s = SizeIndex(insn->opsize);
  if (mem) {
    return cl ? kBySize<Shift<kOp, true, true>::template H>[s]
              : kBySize<Shift<kOp, true, false>::template H>[s];
  }
  return cl ? kBySize<Shift<kOp, false, true>::template H>[s]
            : kBySize<Shift<kOp, false, false>::template H>[s];
}

template <bool kLeft>
Handler BindDoubleShift(const DecodeContext& ctx, Insn* insn) {
  const bool mem = ctx.kind(0) == DecodeContext::kMem;
  bool cl;
  if ((!mem && ctx.kind(0) != DecodeContext::kReg) || ctx.kind(1) != DecodeContext::kReg ||
      !CountIsCl(ctx, 2, &cl) || insn->opsize == 1) {
    return nullptr;
  }
  const int s = SizeIndex(insn->opsize);
  if (mem) {
    return cl ? kBySize<DoubleShift<kLeft, true, true>::template H>[s]
              : kBySize<DoubleShift<kLeft, true, false>::template H>[s];
  }
  return cl ? kBySize<DoubleShift<kLeft, false, true>::template H>[s]
            : kBySize<DoubleShift<kLeft, false, false>::template H>[s];
}

}  // namespace

void RegisterShift(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_ROL, &BindShift<Op::kRol>);
  t.Set(ZYDIS_MNEMONIC_ROR, &BindShift<Op::kRor>);
  t.Set(ZYDIS_MNEMONIC_RCL, &BindShift<Op::kRcl>);
  t.Set(ZYDIS_MNEMONIC_RCR, &BindShift<Op::kRcr>);
  t.Set(ZYDIS_MNEMONIC_SHL, &BindShift<Op::kShl>);
  t.Set(ZYDIS_MNEMONIC_SHR, &BindShift<Op::kShr>);
  t.Set(ZYDIS_MNEMONIC_SAR, &BindShift<Op::kSar>);
  t.Set(ZYDIS_MNEMONIC_SHLD, &BindDoubleShift<true>);
  t.Set(ZYDIS_MNEMONIC_SHRD, &BindDoubleShift<false>);
}

}  // namespace vmxemu::cpu::isa
