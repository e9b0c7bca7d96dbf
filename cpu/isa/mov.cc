// Data movement: MOV (register, memory, immediate, moffs), MOVZX, MOVSX, MOVSXD, LEA.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

template <Form kForm>
struct Mov {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      if constexpr (kForm == Form::kRR) {
        cpu.SetReg<T>(i.r0, cpu.GetReg<T>(i.r1));
      } else if constexpr (kForm == Form::kRI) {
        cpu.SetReg<T>(i.r0, static_cast<T>(i.imm));
      } else if constexpr (kForm == Form::kRM) {
        T v;
        if (!cpu.Read<T>(i.seg, cpu.Ea(i), &v)) return false;
        cpu.SetReg<T>(i.r0, v);
      } else if constexpr (kForm == Form::kMR) {
        return cpu.Write<T>(i.seg, cpu.Ea(i), cpu.GetReg<T>(i.r1));
      } else {
        return cpu.Write<T>(i.seg, cpu.Ea(i), static_cast<T>(i.imm));
      }
      return true;
    }
  };
};

// MOV AL/AX/EAX/RAX, moffs and back (A0-A3): the address is absolute (imm).
template <bool kLoad>
struct MovMoffs {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      const uint64_t ea = i.addrsize == 8 ? i.imm : i.imm & (i.addrsize == 4 ? 0xFFFFFFFFull : 0xFFFF);
      if constexpr (kLoad) {
        T v;
        if (!cpu.Read<T>(i.seg, ea, &v)) return false;
        cpu.SetReg<T>(kLoad ? i.r0 : i.r1, v);
        return true;
      } else {
        return cpu.Write<T>(i.seg, ea, cpu.GetReg<T>(i.r1));
      }
    }
  };
};

Handler BindMov(const DecodeContext& ctx, Insn* insn) {
  Form form;
  if (!GetForm(ctx, &form)) return nullptr;
  // Segment, control and debug register moves belong to other families.
  for (int k = 0; k < 2; ++k) {
    if (ctx.kind(k) == DecodeContext::kReg && GprByteOffset(ctx.ops[k].reg.value) < 0) {
      return nullptr;
    }
  }
  const int s = SizeIndex(insn->opsize);
  const bool moffs = ctx.zi.opcode >= 0xA0 && ctx.zi.opcode <= 0xA3 && ctx.zi.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT;
  if (moffs) {
    const ZydisDecodedOperand& m = ctx.ops[form == Form::kRM ? 1 : 0];
    insn->imm = static_cast<uint64_t>(m.mem.disp.value);
    return form == Form::kRM ? kBySize<MovMoffs<true>::H>[s] : kBySize<MovMoffs<false>::H>[s];
  }
  switch (form) {
    case Form::kRR: return kBySize<Mov<Form::kRR>::H>[s];
    case Form::kRM: return kBySize<Mov<Form::kRM>::H>[s];
    case Form::kMR: return kBySize<Mov<Form::kMR>::H>[s];
    case Form::kRI: return kBySize<Mov<Form::kRI>::H>[s];
    case Form::kMI: return kBySize<Mov<Form::kMI>::H>[s];
  }
  return nullptr;
}

// MOVZX/MOVSX/MOVSXD: destination width from opsize, source width from the operand.
template <class Src, bool kSigned, bool kMem>
struct Extend {
  template <int kBits>
  struct H {
    using T = UInt<kBits>;
    static bool Run(Cpu& cpu, const Insn& i) {
      Src v;
      if (!LoadOperand<Src, kMem>(cpu, i, i.r1, &v)) return false;
      using S = std::make_signed_t<Src>;
      const uint64_t x = kSigned ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<S>(v)))
                                 : static_cast<uint64_t>(v);
      cpu.SetReg<T>(i.r0, static_cast<T>(x));
      return true;
    }
  };
};

template <bool kSigned>
Handler BindExtend(const DecodeContext& ctx, Insn* insn) {
  const bool mem = ctx.kind(1) == DecodeContext::kMem;
  if (ctx.kind(0) != DecodeContext::kReg || (!mem && ctx.kind(1) != DecodeContext::kReg)) {
    return nullptr;
  }
  const int s = SizeIndex(insn->opsize);
  switch (ctx.ops[1].size) {
    case 8: return mem ? kBySize<Extend<uint8_t, kSigned, true>::template H>[s]
                       : kBySize<Extend<uint8_t, kSigned, false>::template H>[s];
    case 16: return mem ? kBySize<Extend<uint16_t, kSigned, true>::template H>[s]
                        : kBySize<Extend<uint16_t, kSigned, false>::template H>[s];
    case 32: return mem ? kBySize<Extend<uint32_t, kSigned, true>::template H>[s]
                        : kBySize<Extend<uint32_t, kSigned, false>::template H>[s];
    default: return nullptr;
  }
}

// LEA: the effective address, truncated to the operand size (SDM Vol. 2A LEA).
template <int kBits>
struct Lea {
  static bool Run(Cpu& cpu, const Insn& i) {
    cpu.SetReg<UInt<kBits>>(i.r0, static_cast<UInt<kBits>>(cpu.Ea(i)));
    return true;
  }
};

Handler BindLea(const DecodeContext& ctx, Insn* insn) {
  if (ctx.kind(1) != DecodeContext::kMem) return nullptr;
  return kBySize<Lea>[SizeIndex(insn->opsize)];
}

}  // namespace

void RegisterMov(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_MOV, &BindMov);
  t.Set(ZYDIS_MNEMONIC_MOVZX, &BindExtend<false>);
  t.Set(ZYDIS_MNEMONIC_MOVSX, &BindExtend<true>);
  t.Set(ZYDIS_MNEMONIC_MOVSXD, &BindExtend<true>);
  t.Set(ZYDIS_MNEMONIC_LEA, &BindLea);
}

}  // namespace vmxemu::cpu::isa
