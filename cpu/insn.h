// The decoded, cached form of one instruction. Zydis decodes an instruction once (~100 ns);
// the binder for its mnemonic turns that into an Insn whose handler is already
// specialized for the operand forms and sizes, so execution never looks at Zydis again.
#ifndef VMXEMU_CPU_INSN_H_
#define VMXEMU_CPU_INSN_H_

#include <cstdint>

namespace vmxemu::cpu {

class Cpu;
struct Insn;

// Executes one instruction. On entry cpu.s.rip already points to the next instruction
// (what RIP-relative addressing, CALL and Jcc want). Returns false when the instruction
// raised a fault (Cpu::Raise) or stopped the run (Cpu::Stop); the run loop then rewinds
// RIP to this instruction. A handler must not change guest-visible state before it is
// certain not to fault (SDM: faults are precise), except where the SDM says otherwise
// (REP string iterations already done stay done).
using Handler = bool (*)(Cpu& cpu, const Insn& insn);

// Index of the always-zero slot in CpuState::gpr: "no base" / "no index".
inline constexpr uint8_t kNoReg = 16;

struct Insn {
  Handler fn = nullptr;  // nullptr marks the end of a block (the sentinel)
  uint64_t next_rip = 0; // RIP of the following instruction (the block is RIP-checked)
  uint64_t imm = 0;      // immediate, sign- or zero-extended as the instruction defines;
                         // absolute address for moffs forms; far pointer offset
  int32_t disp = 0;      // displacement of the memory operand (sign-extended)
  uint16_t imm2 = 0;     // second immediate (ENTER level, far pointer selector)
  uint16_t mnemonic = 0; // ZydisMnemonic, for diagnostics and tracing
  uint8_t len = 0;       // instruction length in bytes
  // Register operands by position (operand 0 is the destination of two-operand forms).
  // A general-purpose register is its byte offset into gpr[] (AH..BH: +1); any other
  // register (segment, control, debug) is its number.
  uint8_t r0 = 0;
  uint8_t r1 = 0;
  uint8_t base = kNoReg; // memory operand base register (index into gpr[])
  uint8_t index = kNoReg;
  uint8_t scale = 0;     // log2 of the SIB scale
  uint8_t seg = 3;       // segment of the memory operand (SegReg), after overrides
  uint8_t opsize = 4;    // operand size in bytes (1, 2, 4, 8)
  uint8_t addrsize = 8;  // address size in bytes (2, 4, 8)
  uint8_t cond = 0;      // condition code (Jcc, SETcc, CMOVcc), or sub-operation
  uint8_t flags = 0;     // kInsn* below
  uint8_t fuse = 0;      // nonzero: may fuse with a following Jcc (isa/fusion.h)

  static constexpr uint8_t kRipRelative = 1 << 0;
  static constexpr uint8_t kRep = 1 << 1;      // F3
  static constexpr uint8_t kRepne = 1 << 2;    // F2
  static constexpr uint8_t kLock = 1 << 3;
  static constexpr uint8_t kEndsBlock = 1 << 4;
  // A near branch ending its block: nothing the run loop must see can have changed, so
  // Cpu::BlockEnd may chain into the next block. Blocks ending in any other
  // block-ending instruction (HLT, STI, POPF, I/O, MOV CR, far transfers...) go back to
  // the run loop, which checks interrupts, halts, stops and modes.
  static constexpr uint8_t kChains = 1 << 5;

  bool rip_relative() const { return flags & kRipRelative; }
  bool rep() const { return flags & kRep; }
  bool repne() const { return flags & kRepne; }
};

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_INSN_H_
