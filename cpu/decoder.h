// Zydis behind one interface: bytes -> Insn. The common operand fields (registers by
// position, the memory operand, immediates, sizes, prefixes) are filled here; then the
// binder registered for the mnemonic chooses the specialized handler. An instruction
// with no binder gets a handler that stops the run naming it.
#ifndef VMXEMU_CPU_DECODER_H_
#define VMXEMU_CPU_DECODER_H_

#include <Zydis/Zydis.h>

#include <cstddef>
#include <cstdint>

#include "cpu/insn.h"

namespace vmxemu::cpu {

// Decode modes: code size, stack size, real/v86 (the block cache key's low 4 bits).
namespace decode_mode {
inline constexpr uint32_t kCode16 = 0, kCode32 = 1, kCode64 = 2;
inline constexpr uint32_t kStack32 = 1 << 2;  // SS.B (outside 64-bit mode)
inline constexpr uint32_t kReal = 1 << 3;     // real mode or virtual-8086 mode
}  // namespace decode_mode

// What a binder sees of the decoded instruction.
struct DecodeContext {
  enum Kind : uint8_t { kNone, kReg, kMem, kImm, kPtr };

  const ZydisDecodedInstruction& zi;
  const ZydisDecodedOperand* ops;  // all operands; the visible ones first
  uint32_t mode;

  int visible() const { return zi.operand_count_visible; }
  Kind kind(int i) const;
  // The operand-form of the first two visible operands, e.g. "RM" = reg, mem.
  bool Is(Kind k0, Kind k1 = kNone) const { return kind(0) == k0 && kind(1) == k1; }
  bool in_64bit_mode() const { return (mode & 3) == decode_mode::kCode64; }
};

// Chooses the handler; may adjust the Insn. nullptr means "not implemented in this form".
using Binder = Handler (*)(const DecodeContext& ctx, Insn* insn);

class BinderTable {
 public:
  // `ends_block`: the instruction transfers control or changes how later instructions
  // decode or are interrupted, so the block stops after it.
  void Set(ZydisMnemonic m, Binder binder, bool ends_block = false) {
    entries_[m] = {binder, ends_block};
  }
  struct Entry {
    Binder bind = nullptr;
    bool ends_block = false;
  };
  const Entry& Get(ZydisMnemonic m) const { return entries_[m]; }

 private:
  Entry entries_[ZYDIS_MNEMONIC_MAX_VALUE + 1];
};

// Every instruction family registers its binders here (isa/registry.cc).
void RegisterAllInstructions(BinderTable& table);

class Decoder {
 public:
  Decoder();

  enum class Status { kOk, kNeedMoreBytes, kInvalid };
  // Decodes one instruction from `bytes` (`avail` of them readable). On kOk, fills
  // *insn; on kInvalid, *insn raises #UD when executed.
  Status Decode(uint32_t mode, const uint8_t* bytes, size_t avail, Insn* insn);

 private:
  ZydisDecoder decoders_[16];
  BinderTable binders_;
};

// Byte offset into CpuState::gpr of a general-purpose register, or -1.
int GprByteOffset(ZydisRegister reg);
// Handlers every family may bind.
bool RaiseUd(Cpu& cpu, const Insn& insn);
bool StopUnimplemented(Cpu& cpu, const Insn& insn);

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_DECODER_H_
