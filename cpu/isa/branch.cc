// Near control transfers: JMP, Jcc, CALL, RET, LOOP/LOOPcc, JCXZ/JECXZ/JRCXZ.
// (Far transfers are in far.cc.)
#include "cpu/isa/branch_util.h"
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

bool JmpRel(Cpu& cpu, const Insn& i) { return BranchTo(cpu, cpu.s.rip + i.imm, i.opsize); }

bool Jcc(Cpu& cpu, const Insn& i) {
  if (!cpu.Condition(i.cond)) return true;
  return BranchTo(cpu, cpu.s.rip + i.imm, i.opsize);
}

template <bool kMem>
struct JmpIndirect {
  template <int kBits>
  struct H {
    static bool Run(Cpu& cpu, const Insn& i) {
      UInt<kBits> target;
      if (!LoadOperand<UInt<kBits>, kMem>(cpu, i, i.r0, &target)) return false;
      return BranchTo(cpu, target, kBits / 8);
    }
  };
};

// SDM Vol. 2A CALL "Operation": the target is checked (#GP(0) if non-canonical or
// beyond the CS limit) before the return address is pushed, so a bad target leaves the
// stack (and the memory below it) untouched, and outranks a stack fault.
template <int kBits>
bool PushReturnAndBranch(Cpu& cpu, uint64_t target) {
  const uint64_t return_rip = cpu.s.rip;
  if (!BranchTo(cpu, target, kBits / 8)) return false;
  if (!cpu.Push<UInt<kBits>>(static_cast<UInt<kBits>>(return_rip))) {
    cpu.s.rip = return_rip;
    return false;
  }
  return true;
}

template <int kBits>
struct CallRel {
  static bool Run(Cpu& cpu, const Insn& i) {
    return PushReturnAndBranch<kBits>(cpu, cpu.s.rip + i.imm);
  }
};

template <bool kMem>
struct CallIndirect {
  template <int kBits>
  struct H {
    static bool Run(Cpu& cpu, const Insn& i) {
      UInt<kBits> target;
      if (!LoadOperand<UInt<kBits>, kMem>(cpu, i, i.r0, &target)) return false;
      return PushReturnAndBranch<kBits>(cpu, target);
    }
  };
};

template <int kBits>
struct Ret {
  static bool Run(Cpu& cpu, const Insn& i) {
    const uint64_t saved_rsp = cpu.s.gpr[kRsp];
    UInt<kBits> target;
    if (!cpu.Pop(&target)) return false;
    if (!BranchTo(cpu, target, kBits / 8)) {
      cpu.s.gpr[kRsp] = saved_rsp;
      return false;
    }
    // RET imm16 releases that many more bytes of stack.
    cpu.SetStackPointer(cpu.s.gpr[kRsp] + static_cast<uint16_t>(i.imm));
    return true;
  }
};

// LOOP/LOOPE/LOOPNE/JCXZ: the count register width is the address size.
enum class LoopKind : uint8_t { kLoop, kLoope, kLoopne, kJcxz };

template <LoopKind kKind>
bool Loop(Cpu& cpu, const Insn& i) {
  const uint64_t mask = i.addrsize == 8 ? ~0ull : i.addrsize == 4 ? 0xFFFFFFFFull : 0xFFFF;
  uint64_t count = cpu.s.gpr[kRcx] & mask;
  bool taken;
  if constexpr (kKind == LoopKind::kJcxz) {
    taken = count == 0;
  } else {
    count = (count - 1) & mask;
    taken = count != 0;
    if (kKind == LoopKind::kLoope) taken = taken && cpu.Zf();
    if (kKind == LoopKind::kLoopne) taken = taken && !cpu.Zf();
  }
  if (taken && !BranchTo(cpu, cpu.s.rip + i.imm, i.opsize)) return false;
  if constexpr (kKind != LoopKind::kJcxz) {
    cpu.s.gpr[kRcx] = i.addrsize == 4 ? count : (cpu.s.gpr[kRcx] & ~mask) | count;
  }
  return true;
}

Handler BindJmp(const DecodeContext& ctx, Insn* insn) {
  const int s = SizeIndex(insn->opsize);
  insn->flags |= Insn::kChains;
  switch (ctx.kind(0)) {
    case DecodeContext::kImm: return &Threaded<&JmpRel>;
    case DecodeContext::kReg: return kBySize<JmpIndirect<false>::H>[s];
    case DecodeContext::kMem:
      return ctx.ops[0].size > insn->opsize * 8 ? nullptr : kBySize<JmpIndirect<true>::H>[s];
    default: return nullptr;  // far forms: far.cc
  }
}

Handler BindJcc(const DecodeContext& ctx, Insn* insn) {
  // Jcc opcodes 70-7F and 0F 80-8F: the condition is the low nibble.
  insn->cond = ctx.zi.opcode & 0xF;
  insn->flags |= Insn::kChains;
  return ctx.kind(0) == DecodeContext::kImm ? &Threaded<&Jcc> : nullptr;
}

Handler BindCall(const DecodeContext& ctx, Insn* insn) {
  const int s = SizeIndex(insn->opsize);
  insn->flags |= Insn::kChains;
  switch (ctx.kind(0)) {
    case DecodeContext::kImm: return kBySize<CallRel>[s];
    case DecodeContext::kReg: return kBySize<CallIndirect<false>::H>[s];
    case DecodeContext::kMem:
      return ctx.ops[0].size > insn->opsize * 8 ? nullptr : kBySize<CallIndirect<true>::H>[s];
    default: return nullptr;
  }
}

Handler BindRet(const DecodeContext& ctx, Insn* insn) {
  if (ctx.kind(0) != DecodeContext::kImm) insn->imm = 0;
  insn->flags |= Insn::kChains;
  return kBySize<Ret>[SizeIndex(insn->opsize)];
}

template <LoopKind kKind>
Handler BindLoop(const DecodeContext&, Insn* insn) {
  insn->flags |= Insn::kChains;
  return &Threaded<&Loop<kKind>>;
}

}  // namespace

void RegisterBranch(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_JMP, &BindJmp, true);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,
                          ZYDIS_MNEMONIC_JNB, ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ,
                          ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE, ZYDIS_MNEMONIC_JS,
                          ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
                          ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE,
                          ZYDIS_MNEMONIC_JNLE}) {
    t.Set(m, &BindJcc, true);
  }
  t.Set(ZYDIS_MNEMONIC_CALL, &BindCall, true);
  t.Set(ZYDIS_MNEMONIC_RET, &BindRet, true);
  t.Set(ZYDIS_MNEMONIC_LOOP, &BindLoop<LoopKind::kLoop>, true);
  t.Set(ZYDIS_MNEMONIC_LOOPE, &BindLoop<LoopKind::kLoope>, true);
  t.Set(ZYDIS_MNEMONIC_LOOPNE, &BindLoop<LoopKind::kLoopne>, true);
  t.Set(ZYDIS_MNEMONIC_JCXZ, &BindLoop<LoopKind::kJcxz>, true);
  t.Set(ZYDIS_MNEMONIC_JECXZ, &BindLoop<LoopKind::kJcxz>, true);
  t.Set(ZYDIS_MNEMONIC_JRCXZ, &BindLoop<LoopKind::kJcxz>, true);
}

}  // namespace vmxemu::cpu::isa
