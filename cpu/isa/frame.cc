// Procedure frames and table lookup: ENTER, LEAVE, PUSHA/PUSHAD, POPA/POPAD, XLAT
// (SDM Vol. 2A/2B under each mnemonic).
//
// Every stack access goes through SS with the stack address size (cpu.stack_mask());
// the operand size picks the width of each slot. All reads and write probes come before
// the first register or memory change, so a fault leaves no partial effect.
// PUSHA/POPA are invalid in 64-bit mode: Zydis does not decode them there (#UD).
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

constexpr uint8_t kBp = kRbp * 8;

// ENTER imm16, imm8 (SDM Vol. 2A ENTER "Operation"): push BP, copy NestingLevel-1
// frame pointers from the caller's display, push FrameTemp, BP := FrameTemp,
// SP := SP - AllocSize. The SDM also requires a write at the final stack pointer to be
// possible: "#PF if ... a write using the final value of the stack pointer (within the
// current stack segment) would cause a page fault" (and #SS outside the limit).
template <int kBits>
struct Enter {
  using T = UInt<kBits>;
  static constexpr uint64_t kSize = sizeof(T);

  static bool Run(Cpu& cpu, const Insn& i) {
    const uint64_t mask = cpu.stack_mask();
    const uint64_t alloc = i.imm & 0xFFFF;
    const int level = i.imm2 % 32;
    const uint64_t frame_temp = (cpu.s.gpr[kRsp] - kSize) & mask;
    // The values to push, in order: BP, the display copied from [BP - k*size], FrameTemp.
    T values[33];
    int n = 0;
    values[n++] = cpu.GetReg<T>(kBp);
    if (level > 0) {
      uint64_t bp = cpu.s.gpr[kRbp];
      for (int k = 1; k < level; ++k) {
        bp = (bp - kSize) & mask;
        if (!cpu.Read<T>(kSs, bp, &values[n++])) return false;
      }
      values[n++] = static_cast<T>(frame_temp);
    }
    for (int k = 0; k < n; ++k) {
      if (!cpu.ProbeWrite(kSs, (frame_temp - kSize * k) & mask, kSize)) return false;
    }
    const uint64_t new_sp = (frame_temp - kSize * (n - 1) - alloc) & mask;
    if (alloc != 0 && !cpu.ProbeWrite(kSs, new_sp, kSize)) return false;
    for (int k = 0; k < n; ++k) {
      if (!cpu.Write<T>(kSs, (frame_temp - kSize * k) & mask, values[k])) return false;
    }
    // A 16-bit operand size writes BP only (bits above unchanged).
    cpu.SetReg<T>(kBp, static_cast<T>(frame_temp));
    cpu.SetStackPointer(new_sp);
    return true;
  }
};

// LEAVE: SP := BP (stack address size), then BP := Pop() (operand size).
template <int kBits>
struct Leave {
  using T = UInt<kBits>;
  static bool Run(Cpu& cpu, const Insn&) {
    const uint64_t sp = cpu.s.gpr[kRbp] & cpu.stack_mask();
    T bp;
    if (!cpu.Read<T>(kSs, sp, &bp)) return false;
    cpu.SetStackPointer(sp + sizeof(T));
    cpu.SetReg<T>(kBp, bp);
    return true;
  }
};

// PUSHA/PUSHAD: AX, CX, DX, BX, the original SP, BP, SI, DI (SDM Vol. 2B PUSHA).
template <int kBits>
struct Pusha {
  using T = UInt<kBits>;
  static bool Run(Cpu& cpu, const Insn&) {
    const uint64_t mask = cpu.stack_mask(), sp = cpu.s.gpr[kRsp];
    for (int k = 1; k <= 8; ++k) {
      if (!cpu.ProbeWrite(kSs, (sp - sizeof(T) * k) & mask, sizeof(T))) return false;
    }
    for (int k = 1; k <= 8; ++k) {  // register k-1 in encoding order: RAX .. RDI
      const T v = static_cast<T>(cpu.s.gpr[k - 1]);
      if (!cpu.Write<T>(kSs, (sp - sizeof(T) * k) & mask, v)) return false;
    }
    cpu.SetStackPointer(sp - sizeof(T) * 8);
    return true;
  }
};

// POPA/POPAD: DI, SI, BP, (skip SP), BX, DX, CX, AX (SDM Vol. 2B POPA).
template <int kBits>
struct Popa {
  using T = UInt<kBits>;
  static bool Run(Cpu& cpu, const Insn&) {
    const uint64_t mask = cpu.stack_mask(), sp = cpu.s.gpr[kRsp];
    T v[8];
    for (int k = 0; k < 8; ++k) {
      if (!cpu.Read<T>(kSs, (sp + sizeof(T) * k) & mask, &v[k])) return false;
    }
    for (int k = 0; k < 8; ++k) {
      const int reg = 7 - k;  // RDI first
      if (reg != kRsp) cpu.SetReg<T>(static_cast<uint8_t>(reg * 8), v[k]);
    }
    cpu.SetStackPointer(sp + sizeof(T) * 8);
    return true;
  }
};

// XLAT: AL := [seg:rBX + ZeroExtend(AL)] at the address size (SDM Vol. 2B XLAT).
template <int kAddr>
struct Xlat {
  static bool Run(Cpu& cpu, const Insn& i) {
    constexpr uint64_t kMask = kAddr == 64 ? ~0ull : (1ull << kAddr) - 1;
    const uint64_t ea = (cpu.s.gpr[kRbx] + static_cast<uint8_t>(cpu.s.gpr[kRax])) & kMask;
    uint8_t al;
    if (!cpu.Read<uint8_t>(i.seg, ea, &al)) return false;
    cpu.SetReg<uint8_t>(kRax * 8, al);
    return true;
  }
};

// The handlers exist for operand sizes 16/32/64 (PUSHA/POPA: 16/32).
Handler BindEnter(const DecodeContext& ctx, Insn* insn) {
  insn->imm = ctx.ops[0].imm.value.u & 0xFFFF;
  insn->imm2 = static_cast<uint16_t>(ctx.ops[1].imm.value.u & 0xFF);
  switch (insn->opsize) {
    case 2: return &Threaded<&Enter<16>::Run>;
    case 4: return &Threaded<&Enter<32>::Run>;
    default: return &Threaded<&Enter<64>::Run>;
  }
}

Handler BindLeave(const DecodeContext&, Insn* insn) {
  switch (insn->opsize) {
    case 2: return &Threaded<&Leave<16>::Run>;
    case 4: return &Threaded<&Leave<32>::Run>;
    default: return &Threaded<&Leave<64>::Run>;
  }
}

Handler BindPusha(const DecodeContext&, Insn* insn) {
  return insn->opsize == 2 ? &Threaded<&Pusha<16>::Run> : &Threaded<&Pusha<32>::Run>;
}

Handler BindPopa(const DecodeContext&, Insn* insn) {
  return insn->opsize == 2 ? &Threaded<&Popa<16>::Run> : &Threaded<&Popa<32>::Run>;
}

Handler BindXlat(const DecodeContext& ctx, Insn* insn) {
  // The table operand [rBX] is hidden in Zydis; its segment is DS or the override.
  insn->seg = kDs;
  for (int k = 0; k < ctx.zi.operand_count; ++k) {
    if (ctx.ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY) {
      insn->seg = ctx.ops[k].mem.segment - ZYDIS_REGISTER_ES;
    }
  }
  switch (insn->addrsize) {
    case 2: return &Threaded<&Xlat<16>::Run>;
    case 4: return &Threaded<&Xlat<32>::Run>;
    default: return &Threaded<&Xlat<64>::Run>;
  }
}

}  // namespace

void RegisterFrame(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_ENTER, &BindEnter);
  t.Set(ZYDIS_MNEMONIC_LEAVE, &BindLeave);
  t.Set(ZYDIS_MNEMONIC_PUSHA, &BindPusha);
  t.Set(ZYDIS_MNEMONIC_PUSHAD, &BindPusha);
  t.Set(ZYDIS_MNEMONIC_POPA, &BindPopa);
  t.Set(ZYDIS_MNEMONIC_POPAD, &BindPopa);
  t.Set(ZYDIS_MNEMONIC_XLAT, &BindXlat);
}

}  // namespace vmxemu::cpu::isa
