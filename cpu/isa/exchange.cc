// Exchanges: XCHG, XADD, CMPXCHG, CMPXCHG8B, CMPXCHG16B (SDM Vol. 2B/2A).
//
// LOCK: one logical processor, so every read-modify-write here is already atomic; the
// prefix needs no action. Zydis rejects LOCK where the SDM makes it #UD (a register
// destination, a non-lockable instruction) and the decoder turns that into #UD.
//
// Zero-extension in 64-bit mode follows what the processor writes (SDM Vol. 1 3.4.1.1:
// only a 32-bit register *write* clears bits 63:32):
// - XCHG r32, r32 writes both registers, so `87 C0` (xchg eax, eax) clears RAX[63:32];
//   `90` is NOP (Zydis decodes it as NOP, misc.cc), which leaves RAX alone.
// - CMPXCHG r/m32: equal -> DEST := SRC (a register DEST is zero-extended), RAX is not
//   written; not equal -> EAX := DEST (RAX zero-extended) and a register DEST is not
//   written (a memory DEST is written back with its old value, SDM CMPXCHG). This is
//   Intel and AMD hardware and QEMU's behaviour.
// - CMPXCHG8B: not equal -> EDX:EAX := m64 (RDX and RAX zero-extended); equal -> RDX and
//   RAX are not written.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

constexpr uint8_t kAccumulator = kRax * 8;  // AL/AX/EAX/RAX as a byte offset

// XCHG: reg, reg or mem, reg (the register in r1).
template <bool kMem>
struct Xchg {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      if constexpr (!kMem) {
        const T a = cpu.GetReg<T>(i.r0), b = cpu.GetReg<T>(i.r1);
        cpu.SetReg<T>(i.r0, b);
        cpu.SetReg<T>(i.r1, a);
      } else {
        const uint64_t ea = cpu.Ea(i);
        T m;
        if (!cpu.Read<T>(i.seg, ea, &m)) return false;
        if (!cpu.Write<T>(i.seg, ea, cpu.GetReg<T>(i.r1))) return false;
        cpu.SetReg<T>(i.r1, m);
      }
      return true;
    }
  };
};

// XADD: TEMP := SRC + DEST; SRC := DEST; DEST := TEMP (SDM Vol. 2B XADD "Operation").
// With both operands the same register the second write (DEST) wins.
template <bool kMem>
struct Xadd {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      const T src = cpu.GetReg<T>(i.r1);
      T dest;
      uint64_t ea = 0;
      if constexpr (kMem) {
        ea = cpu.Ea(i);
        if (!cpu.Read<T>(i.seg, ea, &dest)) return false;
      } else {
        dest = cpu.GetReg<T>(i.r0);
      }
      const T sum = static_cast<T>(dest + src);
      if constexpr (kMem) {
        if (!cpu.Write<T>(i.seg, ea, sum)) return false;
      }
      cpu.s.flags.Set<kBits>(FlagOp::kAdd, sum, src);
      cpu.SetReg<T>(i.r1, dest);
      if constexpr (!kMem) cpu.SetReg<T>(i.r0, sum);
      return true;
    }
  };
};

// CMPXCHG r/m, r: flags as CMP accumulator, DEST (SDM Vol. 2A CMPXCHG).
template <bool kMem>
struct Cmpxchg {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      const T acc = cpu.GetReg<T>(kAccumulator);
      const T src = cpu.GetReg<T>(i.r1);
      T dest;
      uint64_t ea = 0;
      if constexpr (kMem) {
        ea = cpu.Ea(i);
        if (!cpu.Read<T>(i.seg, ea, &dest)) return false;
      } else {
        dest = cpu.GetReg<T>(i.r0);
      }
      const bool equal = acc == dest;
      if constexpr (kMem) {
        // "The destination operand receives a write cycle without regard to the result
        // of the comparison": a read-only page faults even when the values differ.
        if (!cpu.Write<T>(i.seg, ea, equal ? src : dest)) return false;
      }
      cpu.s.flags.Set<kBits>(FlagOp::kSub, static_cast<T>(acc - dest), dest);
      if (equal) {
        if constexpr (!kMem) cpu.SetReg<T>(i.r0, src);
      } else {
        cpu.SetReg<T>(kAccumulator, dest);
      }
      return true;
    }
  };
};

// CMPXCHG8B m64: compare EDX:EAX with m64; ZF only, other flags unchanged.
bool Cmpxchg8b(Cpu& cpu, const Insn& i) {
  const uint64_t ea = cpu.Ea(i);
  uint64_t m;
  if (!cpu.Read<uint64_t>(i.seg, ea, &m)) return false;
  const uint64_t expected = (cpu.s.gpr[kRdx] << 32) | static_cast<uint32_t>(cpu.s.gpr[kRax]);
  const bool equal = m == expected;
  const uint64_t replacement =
      (cpu.s.gpr[kRcx] << 32) | static_cast<uint32_t>(cpu.s.gpr[kRbx]);
  if (!cpu.Write<uint64_t>(i.seg, ea, equal ? replacement : m)) return false;
  cpu.SetFlags(kFlagZF, equal ? kFlagZF : 0);
  if (!equal) {
    cpu.SetReg<uint32_t>(kRax * 8, static_cast<uint32_t>(m));
    cpu.SetReg<uint32_t>(kRdx * 8, static_cast<uint32_t>(m >> 32));
  }
  return true;
}

// CMPXCHG16B m128 (64-bit mode, REX.W): the operand must be 16-byte aligned, else
// #GP(0) (SDM Vol. 2A CMPXCHG8B/CMPXCHG16B "64-Bit Mode Exceptions").
bool Cmpxchg16b(Cpu& cpu, const Insn& i) {
  const uint64_t ea = cpu.Ea(i);
  // In 64-bit mode only FS and GS contribute a base to the linear address.
  const uint64_t base = (i.seg == kFs || i.seg == kGs) ? cpu.s.seg[i.seg].base : 0;
  if ((ea + base) & 15) return cpu.Raise(kGP, 0);
  uint64_t lo, hi;
  if (!cpu.Read<uint64_t>(i.seg, ea, &lo) || !cpu.Read<uint64_t>(i.seg, ea + 8, &hi)) {
    return false;
  }
  const bool equal = lo == cpu.s.gpr[kRax] && hi == cpu.s.gpr[kRdx];
  const uint64_t new_lo = equal ? cpu.s.gpr[kRbx] : lo;
  const uint64_t new_hi = equal ? cpu.s.gpr[kRcx] : hi;
  // Aligned, so both halves are in one page: once the first write succeeds the second
  // cannot fault, and a fault on the first leaves everything unchanged.
  if (!cpu.Write<uint64_t>(i.seg, ea, new_lo)) return false;
  if (!cpu.Write<uint64_t>(i.seg, ea + 8, new_hi)) return false;
  cpu.SetFlags(kFlagZF, equal ? kFlagZF : 0);
  if (!equal) {
    cpu.s.gpr[kRax] = lo;
    cpu.s.gpr[kRdx] = hi;
  }
  return true;
}

// Binds the register-register and memory-register forms of a two-operand exchange.
template <template <bool> class Op>
Handler BindRegOrMem(const DecodeContext& ctx, Insn* insn) {
  Form form;
  if (!GetForm(ctx, &form)) return nullptr;
  const int s = SizeIndex(insn->opsize);
  switch (form) {
    case Form::kRR: return kBySize<Op<false>::template H>[s];
    case Form::kMR: return kBySize<Op<true>::template H>[s];
    default: return nullptr;
  }
}

// XCHG also comes as reg, mem (the same operation): the handler wants the register in r1.
Handler BindXchg(const DecodeContext& ctx, Insn* insn) {
  if (ctx.Is(DecodeContext::kReg, DecodeContext::kMem)) {
    insn->r1 = insn->r0;
    return kBySize<Xchg<true>::H>[SizeIndex(insn->opsize)];
  }
  return BindRegOrMem<Xchg>(ctx, insn);
}

Handler BindCmpxchg8b(const DecodeContext& ctx, Insn*) {
  return ctx.Is(DecodeContext::kMem) ? &Threaded<&Cmpxchg8b> : nullptr;
}

Handler BindCmpxchg16b(const DecodeContext& ctx, Insn*) {
  return ctx.Is(DecodeContext::kMem) ? &Threaded<&Cmpxchg16b> : nullptr;
}

}  // namespace

void RegisterExchange(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_XCHG, &BindXchg);
  t.Set(ZYDIS_MNEMONIC_XADD, &BindRegOrMem<Xadd>);
  t.Set(ZYDIS_MNEMONIC_CMPXCHG, &BindRegOrMem<Cmpxchg>);
  t.Set(ZYDIS_MNEMONIC_CMPXCHG8B, &BindCmpxchg8b);
  t.Set(ZYDIS_MNEMONIC_CMPXCHG16B, &BindCmpxchg16b);
}

}  // namespace vmxemu::cpu::isa
