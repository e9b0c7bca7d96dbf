// Fast system calls: SYSCALL/SYSRET, SWAPGS (SDM Vol. 2B; Vol. 3A 5.8.8) and
// SYSENTER/SYSEXIT (Vol. 3A 5.8.7), with Intel's rules: SYSCALL and SYSRET exist only in
// 64-bit mode (#UD in compatibility mode, unlike AMD), SYSRET to a non-canonical RCX is
// #GP(0) at CPL 0. CS and SS are not read from the GDT: their caches get the fixed flat
// values of the "Operation" sections.
//
// Not as in the SDM: SYSENTER in real-address mode is #UD, not #GP(0), because Zydis
// does not decode it there (decoder.cc turns that into #UD).
#include "cpu/isa/isa.h"
#include "cpu/segments.h"

namespace vmxemu::cpu::isa {
namespace {

// Flat 4-GiB segments as the fast-call instructions load them (type, S, DPL, P, L, D/B,
// G in the VMCS access-rights format of state.h).
constexpr uint32_t kCode = 0x9B | AccessRights::kG;           // execute/read, accessed
constexpr uint32_t kData = 0x93 | AccessRights::kDb | AccessRights::kG;  // read/write, accessed
constexpr uint32_t kDpl3 = 3u << 5;

Segment Flat(uint16_t selector, uint32_t ar) {
  return Segment{.selector = selector, .base = 0, .limit = 0xFFFFFFFF, .ar = {ar}};
}

// SDM Vol. 2B SYSCALL "Operation".
bool Syscall(Cpu& cpu, const Insn&) {
  CpuState& s = cpu.s;
  if (!s.in_64bit_mode() || !(s.msr.efer & efer::kSCE)) return cpu.Raise(kUD);
  const uint64_t rflags = s.Rflags();
  const uint16_t cs = static_cast<uint16_t>(s.msr.star >> 32);
  s.gpr[kRcx] = s.rip;
  s.gpr[kR11] = rflags;
  s.rip = s.msr.lstar;
  s.SetRflags(rflags & ~s.msr.sfmask);
  s.seg[kCs] = Flat(cs & 0xFFFC, kCode | AccessRights::kL);
  s.seg[kSs] = Flat(static_cast<uint16_t>(cs + 8), kData);
  cpu.SegmentsChanged();
  return true;
}

// SDM Vol. 2B SYSRET "Operation": REX.W returns to 64-bit mode, otherwise to
// compatibility mode with EIP = ECX.
template <bool k64>
bool Sysret(Cpu& cpu, const Insn&) {
  CpuState& s = cpu.s;
  if (!s.in_64bit_mode() || !(s.msr.efer & efer::kSCE)) return cpu.Raise(kUD);
  if (s.cpl() != 0) return cpu.Raise(kGP, 0);
  if (k64 && !IsCanonical(s.gpr[kRcx])) return cpu.Raise(kGP, 0);
  const uint16_t base = static_cast<uint16_t>(s.msr.star >> 48);
  // RF, VM and the reserved bits are cleared, bit 1 set.
  const uint64_t rflags = (s.gpr[kR11] & 0x3C7FD7) | 2;
  if ((rflags & kFlagAC) && (s.cr0 & cr0::kAM)) {
    return cpu.Stop("alignment checking (CR0.AM=1, RFLAGS.AC=1 at CPL 3) is not implemented");
  }
  s.rip = k64 ? s.gpr[kRcx] : static_cast<uint32_t>(s.gpr[kRcx]);
  s.SetRflags(rflags);
  s.seg[kCs] = Flat(static_cast<uint16_t>((k64 ? base + 16 : base) | 3),
                    kCode | kDpl3 | (k64 ? AccessRights::kL : AccessRights::kDb));
  s.seg[kSs] = Flat(static_cast<uint16_t>((base + 8) | 3), kData | kDpl3);
  cpu.SegmentsChanged();
  return true;
}

// SDM Vol. 2B SWAPGS: 64-bit mode only (Zydis rejects it elsewhere), CPL 0.
bool Swapgs(Cpu& cpu, const Insn&) {
  CpuState& s = cpu.s;
  if (s.cpl() != 0) return cpu.Raise(kGP, 0);
  const uint64_t gs_base = s.seg[kGs].base;
  s.seg[kGs].base = s.msr.kernel_gs_base;
  s.msr.kernel_gs_base = gs_base;
  cpu.SegmentsChanged();
  return true;
}

// SDM Vol. 2B SYSENTER "Operation": from protected or virtual-8086 mode to CPL 0; in
// IA-32e mode to 64-bit mode.
bool Sysenter(Cpu& cpu, const Insn&) {
  CpuState& s = cpu.s;
  const uint16_t cs = static_cast<uint16_t>(s.msr.sysenter_cs);
  if (!s.protected_mode() || (cs & 0xFFFC) == 0) return cpu.Raise(kGP, 0);
  const bool ia32e = s.long_mode_active();
  cpu.SetFlags(kFlagVM | kFlagIF, 0);
  s.gpr[kRsp] = ia32e ? s.msr.sysenter_esp : static_cast<uint32_t>(s.msr.sysenter_esp);
  s.rip = ia32e ? s.msr.sysenter_eip : static_cast<uint32_t>(s.msr.sysenter_eip);
  s.seg[kCs] = Flat(cs & 0xFFFC, kCode | (ia32e ? AccessRights::kL : AccessRights::kDb));
  s.seg[kSs] = Flat(static_cast<uint16_t>((cs & 0xFFFC) + 8), kData);
  cpu.SegmentsChanged();
  return true;
}

// SDM Vol. 2B SYSEXIT "Operation": to CPL 3; REX.W returns to 64-bit mode (RIP = RDX,
// RSP = RCX, both canonical), otherwise to 32-bit code with EDX/ECX.
template <bool k64>
bool Sysexit(Cpu& cpu, const Insn&) {
  CpuState& s = cpu.s;
  const uint16_t cs = static_cast<uint16_t>(s.msr.sysenter_cs);
  if (!s.protected_mode() || s.virtual_8086() || s.cpl() != 0 || (cs & 0xFFFC) == 0) {
    return cpu.Raise(kGP, 0);
  }
  if (k64 && (!IsCanonical(s.gpr[kRcx]) || !IsCanonical(s.gpr[kRdx]))) return cpu.Raise(kGP, 0);
  if ((s.rflags_base & kFlagAC) && (s.cr0 & cr0::kAM)) {
    return cpu.Stop("alignment checking (CR0.AM=1, RFLAGS.AC=1 at CPL 3) is not implemented");
  }
  s.gpr[kRsp] = k64 ? s.gpr[kRcx] : static_cast<uint32_t>(s.gpr[kRcx]);
  s.rip = k64 ? s.gpr[kRdx] : static_cast<uint32_t>(s.gpr[kRdx]);
  const uint16_t user_cs = static_cast<uint16_t>((cs + (k64 ? 32 : 16)) | 3);
  s.seg[kCs] = Flat(user_cs, kCode | kDpl3 | (k64 ? AccessRights::kL : AccessRights::kDb));
  s.seg[kSs] = Flat(static_cast<uint16_t>(user_cs + 8), kData | kDpl3);
  cpu.SegmentsChanged();
  return true;
}

Handler BindSyscall(const DecodeContext&, Insn*) { return &Syscall; }
Handler BindSwapgs(const DecodeContext&, Insn*) { return &Swapgs; }
Handler BindSysenter(const DecodeContext&, Insn*) { return &Sysenter; }
Handler BindSysret(const DecodeContext&, Insn* insn) {
  return insn->opsize == 8 ? &Sysret<true> : &Sysret<false>;
}
Handler BindSysexit(const DecodeContext&, Insn* insn) {
  return insn->opsize == 8 ? &Sysexit<true> : &Sysexit<false>;
}

}  // namespace

void RegisterSyscall(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_SYSCALL, &BindSyscall, true);
  t.Set(ZYDIS_MNEMONIC_SYSRET, &BindSysret, true);
  t.Set(ZYDIS_MNEMONIC_SWAPGS, &BindSwapgs, true);
  t.Set(ZYDIS_MNEMONIC_SYSENTER, &BindSysenter, true);
  t.Set(ZYDIS_MNEMONIC_SYSEXIT, &BindSysexit, true);
}

}  // namespace vmxemu::cpu::isa
