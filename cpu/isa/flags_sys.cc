// The system flags of RFLAGS: CLI, STI, PUSHF/PUSHFD/PUSHFQ, POPF/POPFD/POPFQ with the
// CPL/IOPL rules of SDM Vol. 2A CLI/STI and Vol. 2B PUSHF/POPF. Virtual-8086 mode
// extensions (CR4.VME) and protected-mode virtual interrupts (CR4.PVI) are not offered,
// so VIF/VIP never change here. CLI, STI and POPF end the block: they change interrupt
// state (IF), single-stepping (TF) or the I/O privilege level.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

int Iopl(const CpuState& s) { return static_cast<int>((s.rflags_base >> 12) & 3); }

// SDM Vol. 2A CLI/STI "Operation": real mode always; protected mode when IOPL >= CPL;
// virtual-8086 mode when IOPL = 3; otherwise #GP(0) (the VME/PVI paths are not offered).
bool MayChangeIf(const CpuState& s) {
  if (!s.protected_mode()) return true;
  if (s.virtual_8086()) return Iopl(s) == 3;
  return Iopl(s) >= s.cpl();
}

bool Cli(Cpu& cpu, const Insn&) {
  if (!MayChangeIf(cpu.s)) return cpu.Raise(kGP, 0);
  cpu.SetFlags(kFlagIF, 0);
  return true;
}

// STI blocks interrupts until after the next instruction, but only when it sets IF
// (SDM Vol. 2B STI; Vol. 3A 6.8.3).
bool Sti(Cpu& cpu, const Insn&) {
  if (!MayChangeIf(cpu.s)) return cpu.Raise(kGP, 0);
  if (!(cpu.s.rflags_base & kFlagIF)) cpu.s.sti_shadow = true;
  cpu.SetFlags(kFlagIF, kFlagIF);
  return true;
}

// SDM Vol. 2B PUSHF: the image has VM and RF cleared; in virtual-8086 mode it needs
// IOPL = 3 (#GP(0) otherwise, VME not offered).
template <int kBits>
struct Pushf {
  static bool Run(Cpu& cpu, const Insn&) {
    if (cpu.s.virtual_8086() && Iopl(cpu.s) != 3) return cpu.Raise(kGP, 0);
    const uint64_t image = cpu.s.Rflags() & ~(kFlagVM | kFlagRF);
    return cpu.Push<UInt<kBits>>(static_cast<UInt<kBits>>(image));
  }
};

// Flags POPF can load: all non-reserved bits of FLAGS (16-bit pops), plus AC and ID
// with a 32/64-bit operand. VM, RF, VIF, VIP are never loaded.
constexpr uint64_t kPopf16 = kArithFlags | kFlagTF | kFlagIF | kFlagDF | kFlagIOPL | kFlagNT;
constexpr uint64_t kPopf32 = kPopf16 | kFlagAC | kFlagID;

// SDM Vol. 2B POPF "Operation" and Table 4-15: at CPL > 0 IOPL is unchanged; when CPL >
// IOPL, IF is unchanged as well, without a fault. In virtual-8086 mode POPF needs IOPL
// = 3 and never changes IOPL. RF is always 0 afterwards.
template <int kBits>
struct Popf {
  static bool Run(Cpu& cpu, const Insn&) {
    const CpuState& s = cpu.s;
    uint64_t mask = kBits == 16 ? kPopf16 : kPopf32;
    if (s.virtual_8086()) {
      if (Iopl(s) != 3) return cpu.Raise(kGP, 0);
      mask &= ~kFlagIOPL;
    } else if (s.protected_mode() && s.cpl() > 0) {
      mask &= ~kFlagIOPL;
      if (s.cpl() > Iopl(s)) mask &= ~kFlagIF;
    }
    const uint64_t saved_rsp = s.gpr[kRsp];
    UInt<kBits> popped;
    if (!cpu.Pop<UInt<kBits>>(&popped)) return false;
    const uint64_t rflags = (s.Rflags() & ~mask & ~kFlagRF) | (popped & mask);
    // Alignment checking (CR0.AM = 1, AC = 1, CPL 3) is not implemented by the memory
    // path: turning it on must not pass silently.
    if ((rflags & kFlagAC) && (s.cr0 & cr0::kAM) && s.cpl() == 3) {
      cpu.s.gpr[kRsp] = saved_rsp;
      return cpu.Stop("alignment checking (CR0.AM=1, RFLAGS.AC=1 at CPL 3) is not implemented");
    }
    cpu.s.SetRflags(rflags);
    return true;
  }
};

Handler BindCli(const DecodeContext&, Insn*) { return &Cli; }
Handler BindSti(const DecodeContext&, Insn*) { return &Sti; }

template <template <int> class H>
Handler BindBySize(const DecodeContext&, Insn* insn) {
  switch (insn->opsize) {
    case 2: return &H<16>::Run;
    case 4: return &H<32>::Run;
    default: return &H<64>::Run;
  }
}

}  // namespace

void RegisterFlagsSys(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_CLI, &BindCli, true);
  t.Set(ZYDIS_MNEMONIC_STI, &BindSti, true);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_PUSHF, ZYDIS_MNEMONIC_PUSHFD, ZYDIS_MNEMONIC_PUSHFQ}) {
    t.Set(m, &BindBySize<Pushf>);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_POPF, ZYDIS_MNEMONIC_POPFD, ZYDIS_MNEMONIC_POPFQ}) {
    t.Set(m, &BindBySize<Popf>, true);
  }
}

}  // namespace vmxemu::cpu::isa
