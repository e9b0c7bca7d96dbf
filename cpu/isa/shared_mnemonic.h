// Mnemonics that two instruction families share: JMP/CALL/RET (near forms in branch.cc,
// far forms in far.cc) and MOV/PUSH/POP (general registers in mov.cc/misc.cc, segment
// registers in segment_regs.cc). Zydis names both forms alike and a BinderTable holds
// one binder per mnemonic, so the family registered later (registry.cc order) chains:
// its binder takes the forms `kMine` accepts and hands every other form to the binder
// that was registered before it.
#ifndef VMXEMU_CPU_ISA_SHARED_MNEMONIC_H_
#define VMXEMU_CPU_ISA_SHARED_MNEMONIC_H_

#include <atomic>

#include "cpu/decoder.h"

namespace vmxemu::cpu::isa {

template <ZydisMnemonic kMnemonic, bool (*kMine)(const DecodeContext&), Binder kOwn>
struct SharedMnemonic {
  // The earlier family's binder. Every Decoder registers the same one, so concurrent
  // registrations store the same value (atomic only to keep that race-free).
  static inline std::atomic<Binder> previous{nullptr};

  static Handler Bind(const DecodeContext& ctx, Insn* insn) {
    if (kMine(ctx)) return kOwn(ctx, insn);
    const Binder prev = previous.load(std::memory_order_relaxed);
    return prev != nullptr ? prev(ctx, insn) : nullptr;
  }

  // `ends_block` is or-ed with the earlier family's flag: it applies to every form.
  static void Register(BinderTable& t, bool ends_block) {
    const BinderTable::Entry e = t.Get(kMnemonic);
    if (e.bind != &Bind) previous.store(e.bind, std::memory_order_relaxed);
    t.Set(kMnemonic, &Bind, e.ends_block || ends_block);
  }
};

}  // namespace vmxemu::cpu::isa

#endif  // VMXEMU_CPU_ISA_SHARED_MNEMONIC_H_
