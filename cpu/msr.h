// Model-specific registers: the one table of MSRs this processor offers (msr.cc), and
// RDMSR/WRMSR semantics on it (SDM Vol. 4 Table 2-2 "IA-32 Architectural MSRs", Vol.
// 2B RDMSR/WRMSR). An index not in the table does not exist: access is #GP(0), as on
// hardware. Writes check reserved bits (#GP(0)); a defined bit the core does not
// implement (e.g. IA32_DEBUGCTL.LBR) stops the run naming it.
//
// Not offered (so #GP): MTRRs (CPUID.01H:EDX.MTRR = 0), IA32_TSC_ADJUST (leaf 7
// reports nothing), machine-check banks and IA32_MCG_STATUS (MCA = 0), performance
// counters (architectural PMU version 0), x2APIC MSRs, VMX capability MSRs (next issue).
#ifndef VMXEMU_CPU_MSR_H_
#define VMXEMU_CPU_MSR_H_

#include <cstdint>
#include <string>

namespace vmxemu::cpu {

class Cpu;

// MSR indices (SDM Vol. 4 Table 2-2).
namespace msr {
inline constexpr uint32_t kTsc = 0x10, kPlatformId = 0x17, kApicBase = 0x1B,
                          kFeatureControl = 0x3A, kBiosSignId = 0x8B, kSysenterCs = 0x174,
                          kSysenterEsp = 0x175, kSysenterEip = 0x176, kMcgCap = 0x179,
                          kMiscEnable = 0x1A0, kDebugCtl = 0x1D9, kPat = 0x277,
                          kEfer = 0xC0000080, kStar = 0xC0000081, kLstar = 0xC0000082,
                          kCstar = 0xC0000083, kFmask = 0xC0000084, kFsBase = 0xC0000100,
                          kGsBase = 0xC0000101, kKernelGsBase = 0xC0000102,
                          kTscAux = 0xC0000103;
}  // namespace msr

// Outcome of an MSR access, a value (DESIGN.md rule 4): the caller raises #GP(0) or
// stops the run; VM-entry MSR loading will map them to its own failures.
enum class MsrStatus : uint8_t {
  kOk,
  kFault,          // #GP(0): no such MSR, read-only, reserved bit, invalid value
  kUnimplemented,  // a defined feature the core lacks; `*what` says which
};

MsrStatus ReadMsr(Cpu& cpu, uint32_t index, uint64_t* value);
// Writes with every architectural check; on success the side effects are done
// (segment caches, TLB and mode for EFER). `what` receives the message for
// kUnimplemented.
MsrStatus WriteMsr(Cpu& cpu, uint32_t index, uint64_t value, std::string* what);

// The SDM name of an offered MSR ("IA32_EFER"), or nullptr if there is none.
const char* MsrName(uint32_t index);

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_MSR_H_
