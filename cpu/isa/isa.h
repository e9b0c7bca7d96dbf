// Shared helpers for instruction families (one family per file in cpu/isa/). A family
// defines handlers as templates specialized by operand form and width, and a Register*
// function that binds mnemonics to a binder choosing among them at decode time.
#ifndef VMXEMU_CPU_ISA_ISA_H_
#define VMXEMU_CPU_ISA_ISA_H_

#include <cstdint>
#include <type_traits>

#include "cpu/cpu.h"
#include "cpu/decoder.h"

namespace vmxemu::cpu::isa {

template <int kBits>
using UInt = std::conditional_t<kBits == 8, uint8_t,
             std::conditional_t<kBits == 16, uint16_t,
             std::conditional_t<kBits == 32, uint32_t, uint64_t>>>;

// Operand forms of two-operand instructions: destination then source.
enum class Form : uint8_t { kRR, kRM, kMR, kRI, kMI };

// The form of the first two visible operands, or false if it is none of the above.
inline bool GetForm(const DecodeContext& ctx, Form* form) {
  using K = DecodeContext::Kind;
  const K a = ctx.kind(0), b = ctx.kind(1);
  if (a == K::kReg && b == K::kReg) *form = Form::kRR;
  else if (a == K::kReg && b == K::kMem) *form = Form::kRM;
  else if (a == K::kMem && b == K::kReg) *form = Form::kMR;
  else if (a == K::kReg && b == K::kImm) *form = Form::kRI;
  else if (a == K::kMem && b == K::kImm) *form = Form::kMI;
  else return false;
  return true;
}

// Index 0..3 for operand sizes 1, 2, 4, 8 bytes.
inline int SizeIndex(int bytes) { return bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3; }

// Threaded dispatch: after an instruction, jump straight to the next one (one
// indirect jump per guest instruction instead of a call, a return and a loop branch);
// after the last one, to the block's sentinel (Cpu::BlockEnd), which may chain into
// the next block. Returns to the dispatcher when it asked for one instruction at a time
// (cpu.stop_chain_: budget end, single-step, EndBlock()).
[[gnu::always_inline]] inline bool ContinueAfter(Cpu& cpu, const Insn& insn) {
  if (cpu.stop_chain_) return true;
  const Insn* next = &insn + 1;
  cpu.pc_ = next;
  if (next->len == 0) return Cpu::BlockEnd(cpu, *next);
  cpu.s.rip = next->next_rip;
  return next->fn(cpu, *next);  // a sibling call: compiled as a jump at -O2
}

template <Handler H>
bool Threaded(Cpu& cpu, const Insn& insn) {
  if (!H(cpu, insn)) return false;
  return ContinueAfter(cpu, insn);
}

// Picks handlers[SizeIndex(size)] from a table instantiated for 8/16/32/64 bits (the
// threaded forms).
template <template <int> class H>
constexpr Handler kBySize[4] = {&Threaded<&H<8>::Run>, &Threaded<&H<16>::Run>,
                                &Threaded<&H<32>::Run>, &Threaded<&H<64>::Run>};

// Register-or-memory operand access in one place, for handlers that are generic over
// the form. `kMem` selects memory at cpu.Ea(insn) through insn.seg.
template <class T, bool kMem>
inline bool LoadOperand(Cpu& cpu, const Insn& i, uint8_t reg, T* out) {
  if constexpr (kMem) return cpu.Read<T>(i.seg, cpu.Ea(i), out);
  *out = cpu.GetReg<T>(reg);
  return true;
}

// Each family's registration (one per file).
void RegisterAlu(BinderTable& t);
void RegisterMov(BinderTable& t);
void RegisterBranch(BinderTable& t);
void RegisterMisc(BinderTable& t);
void RegisterShift(BinderTable& t);
void RegisterMulDiv(BinderTable& t);
void RegisterBitOps(BinderTable& t);
void RegisterCond(BinderTable& t);
void RegisterConvert(BinderTable& t);
void RegisterFlagOps(BinderTable& t);
void RegisterBcd(BinderTable& t);
void RegisterExchange(BinderTable& t);
void RegisterString(BinderTable& t);
void RegisterFrame(BinderTable& t);
void RegisterControlRegs(BinderTable& t);
void RegisterCpuidMsr(BinderTable& t);
void RegisterDescriptorTables(BinderTable& t);
void RegisterFlagsSys(BinderTable& t);
void RegisterSyscall(BinderTable& t);
void RegisterInterrupts(BinderTable& t);
void RegisterFar(BinderTable& t);
void RegisterSegmentRegs(BinderTable& t);
void RegisterIo(BinderTable& t);

}  // namespace vmxemu::cpu::isa

#endif  // VMXEMU_CPU_ISA_ISA_H_
