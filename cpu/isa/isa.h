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

// Picks handlers[SizeIndex(size)] from a table instantiated for 8/16/32/64 bits.
template <template <int> class H>
constexpr Handler kBySize[4] = {&H<8>::Run, &H<16>::Run, &H<32>::Run, &H<64>::Run};

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
