// Bit test and scan: BT, BTS, BTR, BTC (register and imm8 bit offsets), BSF, BSR.
// SDM Vol. 2A "BT", "BTC", "BTR", "BTS", "BSF", "BSR".
//
// Undefined flags:
// - BT*: only CF is written; OF, SF, AF and PF (undefined) keep their values and ZF is
//   unaffected per the SDM. (QEMU's undefined flags there depend on the preceding
//   instruction, so no choice could match it everywhere.)
// - BSF/BSR set the flags like QEMU/Unicorn: those of a logical operation on the
//   source (ZF = source is 0, SF and PF from the source, CF = OF = AF = 0).
// - BSF/BSR with a zero source leave the destination unchanged (Intel and AMD; the
//   current SDM says so). A 32-bit destination is still zero-extended to 64 bits, as
//   QEMU does and as Intel processors are reported to do.
#include <bit>

#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

enum class Op : uint8_t { kBt, kBts, kBtr, kBtc };

template <Op kOp, class T>
inline T Modify(T v, T bit) {
  switch (kOp) {
    case Op::kBt: return v;
    case Op::kBts: return v | bit;
    case Op::kBtr: return static_cast<T>(v & ~bit);
    case Op::kBtc: return v ^ bit;
  }
  return v;
}

inline void SetCf(Cpu& cpu, bool cf) { cpu.SetFlags(kFlagCF, cf ? kFlagCF : 0); }

inline uint64_t AddressMask(int addrsize) {
  return addrsize == 8 ? ~0ull : addrsize == 4 ? 0xFFFFFFFFull : 0xFFFFull;
}

// Bit base in a register; the bit offset (register or imm8) is taken modulo the operand
// size (SDM BT "Description").
template <Op kOp, bool kImm>
struct BitReg {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      const unsigned n =
          (kImm ? static_cast<unsigned>(i.imm) : cpu.GetReg<T>(i.r1)) & (kBits - 1);
      const T v = cpu.GetReg<T>(i.r0);
      const T bit = static_cast<T>(T{1} << n);
      if constexpr (kOp != Op::kBt) cpu.SetReg<T>(i.r0, Modify<kOp, T>(v, bit));
      SetCf(cpu, v & bit);
      return true;
    }
  };
};

// Bit base in memory. An imm8 offset is taken modulo the operand size; a register
// offset is a signed bit index relative to the operand's address, so the operand
// accessed is the one at EA + (offset SAR log2(size)) * size bytes (SDM BT
// "Description" and Figure 3-2 "Bit Offset for BIT[RAX, 21]").
template <Op kOp, bool kImm>
struct BitMem {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      uint64_t ea = cpu.Ea(i);
      unsigned n;
      if constexpr (kImm) {
        n = static_cast<unsigned>(i.imm) & (kBits - 1);
      } else {
        const uint64_t off = cpu.GetReg<T>(i.r1);
        const int64_t element =
            static_cast<int64_t>(SignExtend<kBits>(off)) >> std::countr_zero(unsigned{kBits});
        ea = (ea + static_cast<uint64_t>(element) * sizeof(T)) & AddressMask(i.addrsize);
        n = off & (kBits - 1);
      }
      T v;
      if (!cpu.Read<T>(i.seg, ea, &v)) return false;
      const T bit = static_cast<T>(T{1} << n);
      // The store comes before the flag update: a faulting store changes nothing.
      if constexpr (kOp != Op::kBt) {
        if (!cpu.Write<T>(i.seg, ea, Modify<kOp, T>(v, bit))) return false;
      }
      SetCf(cpu, v & bit);
      return true;
    }
  };
};

template <Op kOp>
Handler BindBitTest(const DecodeContext& ctx, Insn* insn) {
  Form form;
  if (!GetForm(ctx, &form) || insn->opsize == 1) return nullptr;
  const int s = SizeIndex(insn->opsize);
  switch (form) {
    case Form::kRR: return kBySize<BitReg<kOp, false>::template H>[s];
    case Form::kRI: return kBySize<BitReg<kOp, true>::template H>[s];
    case Form::kMR: return kBySize<BitMem<kOp, false>::template H>[s];
    case Form::kMI: return kBySize<BitMem<kOp, true>::template H>[s];
    default: return nullptr;
  }
}

// BSF/BSR: the index of the lowest/highest set bit of the source.
template <bool kReverse, bool kMem>
struct BitScan {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      T v;
      if (!LoadOperand<T, kMem>(cpu, i, i.r1, &v)) return false;
      cpu.s.flags.Set<kBits>(FlagOp::kLogic, v, 0);
      T r = cpu.GetReg<T>(i.r0);  // a zero source leaves the destination unchanged
      if (v != 0) {
        r = static_cast<T>(kReverse ? kBits - 1 - std::countl_zero(v) : std::countr_zero(v));
      }
      cpu.SetReg<T>(i.r0, r);
      return true;
    }
  };
};

template <bool kReverse>
Handler BindBitScan(const DecodeContext& ctx, Insn* insn) {
  Form form;
  if (!GetForm(ctx, &form) || insn->opsize == 1) return nullptr;
  const int s = SizeIndex(insn->opsize);
  switch (form) {
    case Form::kRR: return kBySize<BitScan<kReverse, false>::template H>[s];
    case Form::kRM: return kBySize<BitScan<kReverse, true>::template H>[s];
    default: return nullptr;
  }
}

}  // namespace

void RegisterBitOps(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_BT, &BindBitTest<Op::kBt>);
  t.Set(ZYDIS_MNEMONIC_BTS, &BindBitTest<Op::kBts>);
  t.Set(ZYDIS_MNEMONIC_BTR, &BindBitTest<Op::kBtr>);
  t.Set(ZYDIS_MNEMONIC_BTC, &BindBitTest<Op::kBtc>);
  t.Set(ZYDIS_MNEMONIC_BSF, &BindBitScan<false>);
  t.Set(ZYDIS_MNEMONIC_BSR, &BindBitScan<true>);
}

}  // namespace vmxemu::cpu::isa
