// Architectural state of one x86-64 logical processor (SDM Vol. 1 ch. 3, Vol. 3A ch. 2).
// Plain data: the interpreter, exception delivery, VMX entry/exit and snapshots all read
// and write it directly.
#ifndef VMXEMU_CPU_STATE_H_
#define VMXEMU_CPU_STATE_H_

#include <bit>
#include <cstdint>

#include "cpu/flags.h"

namespace vmxemu::cpu {

// MAXPHYADDR (CPUID.80000008H:EAX[7:0]); 40 like QEMU's default, so reserved-bit
// page faults match the QEMU oracle.
inline constexpr int kMaxPhysAddrBits = 40;
inline constexpr uint64_t kPhysAddrMask = (1ull << kMaxPhysAddrBits) - 1;

static_assert(std::endian::native == std::endian::little,
              "byte-offset register access assumes a little-endian host");

enum Gpr : uint8_t {
  kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
  kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};
inline constexpr int kNumGprs = 16;

// Segment registers in their SDM encoding order (Vol. 3A 3.4.2, MOV Sreg's reg field).
enum SegReg : uint8_t { kEs, kCs, kSs, kDs, kFs, kGs };
inline constexpr int kNumSegRegs = 6;

// Access rights in the VMCS format (SDM Vol. 3C 24.4.1, Table 24-2): bits 3:0 type,
// 4 S, 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable. The descriptor's
// attribute bits 40-47 and 52-55 map to bits 0-7 and 12-15 of this word.
struct AccessRights {
  uint32_t raw = 0;

  static constexpr uint32_t kAccessed = 1u << 0;  // in the type field
  static constexpr uint32_t kS = 1u << 4;
  static constexpr uint32_t kP = 1u << 7;
  static constexpr uint32_t kAvl = 1u << 12;
  static constexpr uint32_t kL = 1u << 13;
  static constexpr uint32_t kDb = 1u << 14;
  static constexpr uint32_t kG = 1u << 15;
  static constexpr uint32_t kUnusable = 1u << 16;

  constexpr uint32_t type() const { return raw & 0xF; }
  constexpr bool s() const { return raw & kS; }
  constexpr int dpl() const { return (raw >> 5) & 3; }
  constexpr bool present() const { return raw & kP; }
  constexpr bool l() const { return raw & kL; }
  constexpr bool db() const { return raw & kDb; }
  constexpr bool g() const { return raw & kG; }
  constexpr bool unusable() const { return raw & kUnusable; }
  // Code/data segment type bits (S=1), SDM Vol. 3A 3.4.5.1 Table 3-1.
  constexpr bool code() const { return s() && (raw & 0x8); }
  constexpr bool conforming() const { return code() && (raw & 0x4); }
  constexpr bool readable() const { return !code() || (raw & 0x2); }
  constexpr bool writable() const { return s() && !code() && (raw & 0x2); }
  constexpr bool expand_down() const { return s() && !code() && (raw & 0x4); }

  // From descriptor bytes 5 (access) and 6 (flags, high nibble).
  static constexpr AccessRights FromDescriptor(uint64_t desc) {
    return {static_cast<uint32_t>(((desc >> 40) & 0xFF) | ((desc >> 52) & 0xF) << 12)};
  }
};

struct Segment {
  uint16_t selector = 0;
  uint64_t base = 0;
  uint32_t limit = 0;  // byte-granular (already scaled by G)
  AccessRights ar;
};

struct DescriptorTable {
  uint64_t base = 0;
  uint32_t limit = 0;  // 16 bits architecturally
};

// Control-register and MSR bits used by the core (SDM Vol. 3A 2.5, 2.2.1).
namespace cr0 {
inline constexpr uint64_t kPE = 1ull << 0, kMP = 1ull << 1, kEM = 1ull << 2, kTS = 1ull << 3,
                          kET = 1ull << 4, kNE = 1ull << 5, kWP = 1ull << 16,
                          kAM = 1ull << 18, kNW = 1ull << 29, kCD = 1ull << 30,
                          kPG = 1ull << 31;
}
namespace cr4 {
inline constexpr uint64_t kVME = 1ull << 0, kPVI = 1ull << 1, kTSD = 1ull << 2,
                          kDE = 1ull << 3, kPSE = 1ull << 4, kPAE = 1ull << 5,
                          kMCE = 1ull << 6, kPGE = 1ull << 7, kPCE = 1ull << 8,
                          kOSFXSR = 1ull << 9, kOSXMMEXCPT = 1ull << 10, kUMIP = 1ull << 11,
                          kVMXE = 1ull << 13, kSMXE = 1ull << 14, kFSGSBASE = 1ull << 16,
                          kPCIDE = 1ull << 17, kOSXSAVE = 1ull << 18, kSMEP = 1ull << 20,
                          kSMAP = 1ull << 21, kPKE = 1ull << 22;
}
namespace efer {
inline constexpr uint64_t kSCE = 1ull << 0, kLME = 1ull << 8, kLMA = 1ull << 10,
                          kNXE = 1ull << 11;
}

// The model-specific registers the core keeps (the rest live in msr.cc's table).
struct MsrState {
  uint64_t efer = 0;
  uint64_t star = 0, lstar = 0, cstar = 0, sfmask = 0;
  uint64_t kernel_gs_base = 0;
  uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  uint64_t pat = 0x0007040600070406ull;  // power-up value, SDM Vol. 3A 11.12.4
  uint64_t tsc_aux = 0;
  uint64_t apic_base = 0xFEE00900ull;    // BSP, xAPIC enabled, base 0xFEE00000
  uint64_t feature_control = 0;
  uint64_t misc_enable = 1;              // fast strings
  uint64_t tsc_adjust = 0;
  uint64_t debugctl = 0;
};

struct CpuState {
  // gpr[16] always reads 0: a decoded memory operand with no base or no index names it,
  // so effective-address computation has no branches.
  uint64_t gpr[kNumGprs + 1] = {};
  uint64_t rip = 0;
  // Non-arithmetic RFLAGS bits (and the arithmetic ones while flags.op == kEager); read
  // the whole register with Rflags(), never directly.
  uint64_t rflags_base = 0x2;
  LazyFlags flags;

  Segment seg[kNumSegRegs];
  Segment ldtr, tr;
  DescriptorTable gdtr, idtr;

  uint64_t cr0 = cr0::kET | cr0::kCD | cr0::kNW;  // reset value 0x60000010
  uint64_t cr2 = 0, cr3 = 0, cr4 = 0;
  uint64_t pdpte[4] = {};  // PAE paging's PDPTE registers (SDM Vol. 3A 4.4.1)
  uint8_t cr8 = 0;  // TPR[7:4]
  uint64_t dr[8] = {0, 0, 0, 0, 0, 0, 0xFFFF0FF0, 0x400};
  uint64_t xcr0 = 1;
  MsrState msr;

  // Interruptibility (SDM Vol. 3A 6.8.3, Vol. 3C 24.4.2).
  bool sti_shadow = false;     // blocking by STI, for the next instruction
  bool mov_ss_shadow = false;  // blocking by MOV SS / POP SS
  bool nmi_blocked = false;    // between NMI delivery and the next IRET
  bool halted = false;

  // The CPL is SS.DPL (SDM Vol. 3C 24.4.1 relies on it; CS.DPL differs for conforming
  // code). Every privilege transition keeps SS.DPL equal to the new CPL.
  int cpl() const { return seg[kSs].ar.dpl(); }
  bool long_mode_active() const { return msr.efer & efer::kLMA; }
  bool in_64bit_mode() const { return long_mode_active() && seg[kCs].ar.l(); }
  bool protected_mode() const { return cr0 & cr0::kPE; }
  bool virtual_8086() const { return rflags_base & kFlagVM; }

  uint64_t Rflags() const { return flags.Materialize(rflags_base); }
  void SetRflags(uint64_t value) { rflags_base = flags.SetFrom(value | 0x2); }
};

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_STATE_H_
