// Segment-register moves: MOV Sreg, r/m16 and MOV r/m, Sreg; PUSH/POP Sreg; LDS, LES,
// LFS, LGS, LSS (SDM Vol. 2B "MOV", "POP", "PUSH", Vol. 2A "LDS/LES/LFS/LGS/LSS").
// Loads go through Cpu::LoadSegment (cpu/segments.cc), which makes the SDM's checks.
// MOV SS and POP SS block interrupts, NMIs and debug traps for one instruction (SDM
// Vol. 3A 6.8.3); every SS load ends the block (the stack size may change).
#include "cpu/isa/isa.h"
#include "cpu/isa/shared_mnemonic.h"
#include "cpu/segments.h"

namespace vmxemu::cpu::isa {
namespace {

bool IsSegmentRegister(ZydisRegister r) {
  return r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS;
}

// A MOV, PUSH or POP whose register operand (visible or not) is a segment register.
bool HasSegmentOperand(const DecodeContext& ctx) {
  for (int k = 0; k < ctx.visible() && k < 2; ++k) {
    if (ctx.ops[k].type == ZYDIS_OPERAND_TYPE_REGISTER && IsSegmentRegister(ctx.ops[k].reg.value)) {
      return true;
    }
  }
  return false;
}

void AfterLoad(Cpu& cpu, int seg, bool shadow) {
  if (seg != kSs) return;
  if (shadow) cpu.s.mov_ss_shadow = true;
  cpu.EndBlock();
}

// MOV Sreg, r/m16 (MOV CS is #UD: Zydis does not decode it).
template <bool kMem>
bool MovToSreg(Cpu& cpu, const Insn& i) {
  uint16_t sel;
  if constexpr (kMem) {
    if (!cpu.Read<uint16_t>(i.seg, cpu.Ea(i), &sel)) return false;
  } else {
    sel = cpu.GetReg<uint16_t>(i.r1);
  }
  if (!cpu.LoadSegment(i.r0, sel)) return false;
  AfterLoad(cpu, i.r0, true);
  return true;
}

// MOV r/m, Sreg: memory always gets 16 bits; a 32-bit register is zero-extended (P6
// and later, SDM MOV "Description"), a 64-bit one too (REX.W form).
template <bool kMem>
bool MovFromSreg(Cpu& cpu, const Insn& i) {
  const uint16_t sel = cpu.s.seg[i.r1].selector;
  if constexpr (kMem) {
    return cpu.Write<uint16_t>(i.seg, cpu.Ea(i), sel);
  } else {
    switch (i.opsize) {
      case 2: cpu.SetReg<uint16_t>(i.r0, sel); break;
      case 4: cpu.SetReg<uint32_t>(i.r0, sel); break;
      default: cpu.SetReg<uint64_t>(i.r0, sel); break;
    }
    return true;
  }
}

// PUSH Sreg: with a 32-bit operand size recent Intel processors write only the 16-bit
// selector and leave the upper half of the slot unmodified; a 64-bit push writes the
// selector zero-extended (SDM Vol. 2B PUSH "Description").
bool PushSreg(Cpu& cpu, const Insn& i) {
  const uint16_t sel = cpu.s.seg[i.r0].selector;
  switch (i.opsize) {
    case 2: return cpu.Push<uint16_t>(sel);
    case 4: {
      const uint64_t rsp = (cpu.s.gpr[kRsp] - 4) & cpu.stack_mask();
      if (!cpu.Write<uint16_t>(kSs, rsp, sel)) return false;
      cpu.SetStackPointer(rsp);
      return true;
    }
    default: return cpu.Push<uint64_t>(sel);
  }
}

// POP Sreg (POP CS does not exist: 0F is the two-byte escape). The stack pointer moves
// at the stack size in force before the load.
bool PopSreg(Cpu& cpu, const Insn& i) {
  const int n = i.opsize;
  uint64_t v;
  if (!PeekStack(cpu, 0, n, &v)) return false;
  const uint64_t old = cpu.s.gpr[kRsp], mask = cpu.stack_mask();
  const uint64_t next = (old & ~mask) | ((old + n) & mask);
  if (!cpu.LoadSegment(i.r0, static_cast<uint16_t>(v))) return false;
  cpu.s.gpr[kRsp] = next;
  AfterLoad(cpu, i.r0, true);
  return true;
}

// LDS/LES/LFS/LGS/LSS r, m16:16/32/64: offset then selector; the segment is loaded
// (and may fault) before the register is written.
template <int kSeg>
bool LoadFarPointer(Cpu& cpu, const Insn& i) {
  const uint64_t ea = cpu.Ea(i);
  const uint64_t sel_ea =
      (ea + i.opsize) & (i.addrsize == 8 ? ~0ull : i.addrsize == 4 ? 0xFFFFFFFFull : 0xFFFF);
  uint16_t sel;
  uint64_t offset = 0;
  switch (i.opsize) {
    case 2: {
      uint16_t v;
      if (!cpu.Read<uint16_t>(i.seg, ea, &v)) return false;
      offset = v;
      break;
    }
    case 4: {
      uint32_t v;
      if (!cpu.Read<uint32_t>(i.seg, ea, &v)) return false;
      offset = v;
      break;
    }
    default:
      if (!cpu.Read<uint64_t>(i.seg, ea, &offset)) return false;
  }
  if (!cpu.Read<uint16_t>(i.seg, sel_ea, &sel)) return false;
  if (!cpu.LoadSegment(kSeg, sel)) return false;
  switch (i.opsize) {
    case 2: cpu.SetReg<uint16_t>(i.r0, static_cast<uint16_t>(offset)); break;
    case 4: cpu.SetReg<uint32_t>(i.r0, static_cast<uint32_t>(offset)); break;
    default: cpu.SetReg<uint64_t>(i.r0, offset); break;
  }
  AfterLoad(cpu, kSeg, false);  // LSS: no interrupt shadow (only MOV SS / POP SS)
  return true;
}

Handler BindMovSreg(const DecodeContext& ctx, Insn*) {
  const bool to_sreg = ctx.kind(0) == DecodeContext::kReg && IsSegmentRegister(ctx.ops[0].reg.value);
  const bool mem = ctx.kind(to_sreg ? 1 : 0) == DecodeContext::kMem;
  if (to_sreg) return mem ? &MovToSreg<true> : &MovToSreg<false>;
  return mem ? &MovFromSreg<true> : &MovFromSreg<false>;
}

Handler BindPushSreg(const DecodeContext&, Insn*) { return &PushSreg; }
Handler BindPopSreg(const DecodeContext&, Insn*) { return &PopSreg; }

template <int kSeg>
Handler BindLoadFarPointer(const DecodeContext& ctx, Insn*) {
  return ctx.Is(DecodeContext::kReg, DecodeContext::kMem) ? &LoadFarPointer<kSeg> : nullptr;
}

}  // namespace

void RegisterSegmentRegs(BinderTable& t) {
  SharedMnemonic<ZYDIS_MNEMONIC_MOV, &HasSegmentOperand, &BindMovSreg>::Register(t, false);
  SharedMnemonic<ZYDIS_MNEMONIC_PUSH, &HasSegmentOperand, &BindPushSreg>::Register(t, false);
  SharedMnemonic<ZYDIS_MNEMONIC_POP, &HasSegmentOperand, &BindPopSreg>::Register(t, false);
  t.Set(ZYDIS_MNEMONIC_LDS, &BindLoadFarPointer<kDs>);
  t.Set(ZYDIS_MNEMONIC_LES, &BindLoadFarPointer<kEs>);
  t.Set(ZYDIS_MNEMONIC_LFS, &BindLoadFarPointer<kFs>);
  t.Set(ZYDIS_MNEMONIC_LGS, &BindLoadFarPointer<kGs>);
  t.Set(ZYDIS_MNEMONIC_LSS, &BindLoadFarPointer<kSs>, true);
}

}  // namespace vmxemu::cpu::isa
