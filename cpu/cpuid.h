// CPUID: what this processor says it is and what it offers (SDM Vol. 2A CPUID, Tables
// 3-8 to 3-12). The answers come from one table of leaves in cpuid.cc; the feature
// bits in it come from kOfferedFeatures below, the one list of what is implemented and
// enforced. A feature is listed there only when its instructions run and its control
// bits are honoured ("never lie to the guest"); cpuid_test.cc probes each one.
//
// Identity: family 6, model 0x5E, stepping 3 (Intel Core i7-6700K, "Skylake-S"; the
// cache geometry of leaves 4 and 0x80000006 is that part's), vendor "GenuineIntel",
// brand string "vmxemu virtual CPU". One core, one thread, APIC ID 0.
#ifndef VMXEMU_CPU_CPUID_H_
#define VMXEMU_CPU_CPUID_H_

#include <cstdint>

#include "cpu/state.h"

namespace vmxemu::cpu {

struct CpuidResult {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool operator==(const CpuidResult&) const = default;
};

enum class CpuidReg : uint8_t { kEax, kEbx, kEcx, kEdx };

// One feature flag: the leaf (subleaf 0), register and bit that report it.
struct CpuidFeature {
  uint32_t leaf;
  CpuidReg reg;
  int bit;
  const char* name;  // the SDM's mnemonic, e.g. "CX8"
};

// Processor signature (CPUID.01H:EAX, and EDX after RESET, SDM Vol. 3A 9.1.4):
// extended model 5, family 6, model 0xE, stepping 3.
inline constexpr uint32_t kCpuidSignature = 0x000506E3;
inline constexpr uint32_t kCpuidMaxBasicLeaf = 0xB;
inline constexpr uint32_t kCpuidMaxExtendedLeaf = 0x80000008;

// Everything offered. Bits not listed read 0 (FPU, VME, MTRR, MCA, CLFSH, MMX, FXSR,
// SSE*, HTT, VMX (until the VMX issue), x2APIC, XSAVE, hypervisor, all of leaf 7, ...).
inline constexpr CpuidFeature kOfferedFeatures[] = {
    // CPUID.01H:EDX (Table 3-11).
    {0x1, CpuidReg::kEdx, 2, "DE"},       // CR4.DE; DR4/DR5 #UD (control_regs.cc)
    {0x1, CpuidReg::kEdx, 3, "PSE"},      // CR4.PSE 4 MiB pages (paging.cc)
    {0x1, CpuidReg::kEdx, 4, "TSC"},      // RDTSC, CR4.TSD (cpuid_msr.cc)
    {0x1, CpuidReg::kEdx, 5, "MSR"},      // RDMSR/WRMSR (msr.cc)
    {0x1, CpuidReg::kEdx, 6, "PAE"},      // CR4.PAE, PDPTE registers
    {0x1, CpuidReg::kEdx, 7, "MCE"},      // CR4.MCE (no machine check ever occurs)
    {0x1, CpuidReg::kEdx, 8, "CX8"},      // CMPXCHG8B (exchange.cc)
    {0x1, CpuidReg::kEdx, 9, "APIC"},     // reads 0 while IA32_APIC_BASE[11] = 0
    {0x1, CpuidReg::kEdx, 11, "SEP"},     // SYSENTER/SYSEXIT (syscall.cc)
    {0x1, CpuidReg::kEdx, 13, "PGE"},     // CR4.PGE (CR3 writes flush global pages too)
    {0x1, CpuidReg::kEdx, 15, "CMOV"},    // CMOVcc (cond.cc)
    {0x1, CpuidReg::kEdx, 16, "PAT"},     // IA32_PAT (msr.cc)
    {0x1, CpuidReg::kEdx, 17, "PSE-36"},  // 4 MiB pages above 4 GiB (paging.cc)
    // CPUID.01H:ECX (Table 3-10).
    {0x1, CpuidReg::kEcx, 13, "CMPXCHG16B"},  // (exchange.cc)
    // CPUID.80000001H:ECX/EDX.
    {0x80000001, CpuidReg::kEcx, 0, "LAHF-SAHF"},  // LAHF/SAHF in 64-bit mode
    {0x80000001, CpuidReg::kEdx, 11, "SYSCALL"},   // SYSCALL/SYSRET (syscall.cc)
    {0x80000001, CpuidReg::kEdx, 20, "NX"},        // EFER.NXE, XD pages
    {0x80000001, CpuidReg::kEdx, 26, "Page1GB"},   // 1 GiB pages (paging.cc)
    {0x80000001, CpuidReg::kEdx, 27, "RDTSCP"},    // RDTSCP, IA32_TSC_AUX
    {0x80000001, CpuidReg::kEdx, 29, "LM"},        // IA-32e mode
};

// The answer to CPUID with EAX = leaf, ECX = subleaf in state `s` (a few bits depend on
// it, e.g. CPUID.01H:EDX.APIC on IA32_APIC_BASE[11]). A leaf above the maximum basic
// or extended leaf returns the highest basic leaf's data, as Intel processors do.
CpuidResult Cpuid(const CpuState& s, uint32_t leaf, uint32_t subleaf);

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_CPUID_H_
