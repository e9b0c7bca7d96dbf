// Processor identification, model-specific registers and counters: CPUID, RDMSR,
// WRMSR, RDTSC, RDTSCP, RDPMC (SDM Vol. 2A/2B). The data live in cpu/cpuid.cc and
// cpu/msr.cc; these handlers add the privilege rules and the register plumbing.
#include <string>

#include "cpu/cpuid.h"
#include "cpu/isa/isa.h"
#include "cpu/isa/privilege.h"
#include "cpu/msr.h"

namespace vmxemu::cpu::isa {
namespace {

// EDX:EAX <- value; in 64-bit mode the upper halves of RAX and RDX are cleared.
void SetEdxEax(Cpu& cpu, uint64_t value) {
  cpu.s.gpr[kRax] = static_cast<uint32_t>(value);
  cpu.s.gpr[kRdx] = value >> 32;
}

// SDM Vol. 2A CPUID: EAX = leaf, ECX = subleaf; results zero-extended.
bool CpuidInsn(Cpu& cpu, const Insn&) {
  const CpuidResult r = Cpuid(cpu.s, static_cast<uint32_t>(cpu.s.gpr[kRax]),
                              static_cast<uint32_t>(cpu.s.gpr[kRcx]));
  cpu.s.gpr[kRax] = r.eax;
  cpu.s.gpr[kRbx] = r.ebx;
  cpu.s.gpr[kRcx] = r.ecx;
  cpu.s.gpr[kRdx] = r.edx;
  return true;
}

// SDM Vol. 2B RDMSR/WRMSR: #GP(0) at CPL > 0 and for a missing MSR or bad value.
bool Rdmsr(Cpu& cpu, const Insn&) {
  if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
  uint64_t value;
  if (ReadMsr(cpu, static_cast<uint32_t>(cpu.s.gpr[kRcx]), &value) != MsrStatus::kOk) {
    return cpu.Raise(kGP, 0);
  }
  SetEdxEax(cpu, value);
  return true;
}

bool Wrmsr(Cpu& cpu, const Insn&) {
  if (!Privileged(cpu)) return cpu.Raise(kGP, 0);
  const uint32_t index = static_cast<uint32_t>(cpu.s.gpr[kRcx]);
  const uint64_t value = (cpu.s.gpr[kRdx] << 32) | static_cast<uint32_t>(cpu.s.gpr[kRax]);
  std::string what;
  switch (WriteMsr(cpu, index, value, &what)) {
    case MsrStatus::kOk: return true;
    case MsrStatus::kFault: return cpu.Raise(kGP, 0);
    case MsrStatus::kUnimplemented: return cpu.Stop("WRMSR: " + what);
  }
  return true;
}

// SDM Vol. 2B RDTSC/RDTSCP: #GP(0) when CR4.TSD = 1 and CPL > 0 (also in virtual-8086
// mode). RDTSCP also loads ECX with IA32_TSC_AUX[31:0].
bool TscAllowed(const Cpu& cpu) { return !(cpu.s.cr4 & cr4::kTSD) || Privileged(cpu); }

bool Rdtsc(Cpu& cpu, const Insn&) {
  if (!TscAllowed(cpu)) return cpu.Raise(kGP, 0);
  SetEdxEax(cpu, cpu.Tsc());
  return true;
}

bool Rdtscp(Cpu& cpu, const Insn&) {
  if (!TscAllowed(cpu)) return cpu.Raise(kGP, 0);
  SetEdxEax(cpu, cpu.Tsc());
  cpu.s.gpr[kRcx] = static_cast<uint32_t>(cpu.s.msr.tsc_aux);
  return true;
}

// SDM Vol. 2B RDPMC: #GP(0) at CPL > 0 with CR4.PCE = 0, and for an invalid counter in
// ECX. No performance counters exist (CPUID.0AH reports version 0), so every ECX is
// invalid: always #GP(0).
bool Rdpmc(Cpu& cpu, const Insn&) { return cpu.Raise(kGP, 0); }

template <Handler H>
Handler Bind(const DecodeContext&, Insn*) {
  return H;
}

}  // namespace

void RegisterCpuidMsr(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_CPUID, &Bind<&CpuidInsn>);
  t.Set(ZYDIS_MNEMONIC_RDMSR, &Bind<&Rdmsr>);
  // WRMSR may change the paging mode (EFER), segment bases, interrupt routing.
  t.Set(ZYDIS_MNEMONIC_WRMSR, &Bind<&Wrmsr>, true);
  // The TSC advances per retired block; ending the block after each read keeps
  // successive reads strictly increasing.
  t.Set(ZYDIS_MNEMONIC_RDTSC, &Bind<&Rdtsc>, true);
  t.Set(ZYDIS_MNEMONIC_RDTSCP, &Bind<&Rdtscp>, true);
  t.Set(ZYDIS_MNEMONIC_RDPMC, &Bind<&Rdpmc>);
}

}  // namespace vmxemu::cpu::isa
