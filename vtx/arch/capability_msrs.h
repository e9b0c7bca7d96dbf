// The MSRs that gate and describe VMX (capability_msrs.def) and the formats of the
// non-control ones: IA32_FEATURE_CONTROL (SDM Vol. 3C 23.7), IA32_VMX_BASIC (A.1),
// IA32_VMX_MISC (A.6), the CR0/CR4 fixed-bit MSRs (A.7, A.8), IA32_VMX_VMCS_ENUM (A.9),
// IA32_VMX_EPT_VPID_CAP (A.10) and IA32_VMX_VMFUNC (A.11). The control-capability MSRs
// (A.3-A.5) are in controls.h. Freestanding.
#ifndef VMXEMU_VTX_ARCH_CAPABILITY_MSRS_H_
#define VMXEMU_VTX_ARCH_CAPABILITY_MSRS_H_

#include <stdint.h>

#include "vtx/arch/bits.h"

namespace vmxemu::vmx::arch {

enum class VmxMsr : uint32_t {
#define VMX_MSR(name, index, sdm_name, sdm_section) name = index,
#include "vtx/arch/capability_msrs.def"
#undef VMX_MSR
};

struct VmxMsrInfo {
  VmxMsr msr;
  const char* name;
  const char* sdm_section;

  constexpr uint32_t index() const { return static_cast<uint32_t>(msr); }
};

inline constexpr VmxMsrInfo kVmxMsrs[] = {
#define VMX_MSR(name, index, sdm_name, sdm_section) {VmxMsr::name, sdm_name, sdm_section},
#include "vtx/arch/capability_msrs.def"
#undef VMX_MSR
};
inline constexpr int kNumVmxMsrs = ArraySize(kVmxMsrs);

// The row for MSR `index`, or nullptr if it is not one of these MSRs.
constexpr const VmxMsrInfo* LookupVmxMsr(uint32_t index) {
  for (const VmxMsrInfo& info : kVmxMsrs) {
    if (info.index() == index) return &info;
  }
  return nullptr;
}

// ----- IA32_FEATURE_CONTROL (23.7) ---------------------------------------------------
// Only the VMX-related bits (SGX and LMCE bits of the MSR are not VMX's business).
namespace feature_control {
inline constexpr uint64_t kLock = 1ull << 0;
inline constexpr uint64_t kEnableVmxInsideSmx = 1ull << 1;
inline constexpr uint64_t kEnableVmxOutsideSmx = 1ull << 2;
inline constexpr uint64_t kSenterLocalFunctionEnables = BitMask(14, 8);
inline constexpr uint64_t kSenterGlobalEnable = 1ull << 15;
}  // namespace feature_control

// VMXON raises #GP unless the MSR is locked with VMX enabled for the current SMX state
// (VMXON operation, SDM Vol. 3C 30.3).
constexpr bool FeatureControlAllowsVmxon(uint64_t value, bool in_smx) {
  const uint64_t enable = in_smx ? feature_control::kEnableVmxInsideSmx
                                 : feature_control::kEnableVmxOutsideSmx;
  return (value & feature_control::kLock) && (value & enable);
}

// ----- IA32_VMX_BASIC (A.1) ----------------------------------------------------------
inline constexpr uint8_t kMemoryTypeUncacheable = 0;
inline constexpr uint8_t kMemoryTypeWriteBack = 6;

struct VmxBasic {
  uint32_t revision_id = 0;         // 30:0 (bit 31 is always 0)
  uint16_t region_size = 0;         // 44:32, bytes of VMXON region and VMCS (<= 4096)
  bool physical_address_width_32 = false;  // 48: VMXON/VMCS/bitmap addresses < 4 GiB
  bool dual_monitor_smm = false;    // 49: dual-monitor treatment of SMIs and SMM
  uint8_t memory_type = 0;          // 53:50: for the VMCS and structures it references
  bool ins_outs_info = false;       // 54: INS/OUTS exits report instruction information
  bool true_controls = false;       // 55: the IA32_VMX_TRUE_*_CTLS MSRs exist
  bool any_error_code_injection = false;  // 56: entry may inject hardware exceptions
                                          // with or without error code, any vector

  static constexpr VmxBasic Decode(uint64_t value) {
    return {.revision_id = static_cast<uint32_t>(Bits(value, 30, 0)),
            .region_size = static_cast<uint16_t>(Bits(value, 44, 32)),
            .physical_address_width_32 = Bit(value, 48),
            .dual_monitor_smm = Bit(value, 49),
            .memory_type = static_cast<uint8_t>(Bits(value, 53, 50)),
            .ins_outs_info = Bit(value, 54),
            .true_controls = Bit(value, 55),
            .any_error_code_injection = Bit(value, 56)};
  }

  constexpr uint64_t Encode() const {
    return PlaceBits(revision_id, 30, 0) | PlaceBits(region_size, 44, 32) |
           PlaceBit(physical_address_width_32, 48) | PlaceBit(dual_monitor_smm, 49) |
           PlaceBits(memory_type, 53, 50) | PlaceBit(ins_outs_info, 54) |
           PlaceBit(true_controls, 55) | PlaceBit(any_error_code_injection, 56);
  }

  constexpr bool operator==(const VmxBasic&) const = default;
};

// ----- IA32_VMX_MISC (A.6) -----------------------------------------------------------
struct VmxMisc {
  uint8_t preemption_timer_rate = 0;  // 4:0: timer ticks when TSC bit X changes
  bool exit_stores_lma = false;       // 5: exits store EFER.LMA in "IA-32e mode guest"
  bool activity_hlt = false;          // 6: activity states supported by VM entry
  bool activity_shutdown = false;     // 7
  bool activity_wait_for_sipi = false;  // 8
  bool pt_in_vmx = false;             // 14: Intel PT usable in VMX operation
  bool rdmsr_smbase_in_smm = false;   // 15
  uint16_t cr3_target_count = 0;      // 24:16: number of CR3-target values
  uint8_t msr_list_size_code = 0;     // 27:25: lists hold 512 * (N + 1) entries
  bool smm_monitor_ctl_bit2 = false;  // 28: VMXOFF may unblock SMIs
  bool vmwrite_exit_info = false;     // 29: VMWRITE may write VM-exit information fields
  bool zero_length_injection = false;  // 30: software events may be injected with
                                       // instruction length 0
  uint32_t mseg_revision_id = 0;      // 63:32

  // Recommended maximum entries in each VM-exit/VM-entry MSR list.
  constexpr uint32_t max_msr_list_entries() const { return 512u * (msr_list_size_code + 1); }

  static constexpr VmxMisc Decode(uint64_t value) {
    return {.preemption_timer_rate = static_cast<uint8_t>(Bits(value, 4, 0)),
            .exit_stores_lma = Bit(value, 5),
            .activity_hlt = Bit(value, 6),
            .activity_shutdown = Bit(value, 7),
            .activity_wait_for_sipi = Bit(value, 8),
            .pt_in_vmx = Bit(value, 14),
            .rdmsr_smbase_in_smm = Bit(value, 15),
            .cr3_target_count = static_cast<uint16_t>(Bits(value, 24, 16)),
            .msr_list_size_code = static_cast<uint8_t>(Bits(value, 27, 25)),
            .smm_monitor_ctl_bit2 = Bit(value, 28),
            .vmwrite_exit_info = Bit(value, 29),
            .zero_length_injection = Bit(value, 30),
            .mseg_revision_id = static_cast<uint32_t>(Bits(value, 63, 32))};
  }

  constexpr uint64_t Encode() const {
    return PlaceBits(preemption_timer_rate, 4, 0) | PlaceBit(exit_stores_lma, 5) |
           PlaceBit(activity_hlt, 6) | PlaceBit(activity_shutdown, 7) |
           PlaceBit(activity_wait_for_sipi, 8) | PlaceBit(pt_in_vmx, 14) |
           PlaceBit(rdmsr_smbase_in_smm, 15) | PlaceBits(cr3_target_count, 24, 16) |
           PlaceBits(msr_list_size_code, 27, 25) | PlaceBit(smm_monitor_ctl_bit2, 28) |
           PlaceBit(vmwrite_exit_info, 29) | PlaceBit(zero_length_injection, 30) |
           PlaceBits(mseg_revision_id, 63, 32);
  }

  constexpr bool operator==(const VmxMisc&) const = default;
};

// ----- CR0/CR4 fixed bits (A.7, A.8; 23.8) -------------------------------------------
// A bit set in FIXED0 must be 1 in VMX operation; a bit clear in FIXED1 must be 0; the
// rest are free. The same MSRs constrain VMXON, the host CR fields and the guest CR
// fields at VM entry (26.2.2, 26.3.1.1).
inline constexpr uint64_t kCr0Pe = 1ull << 0;
inline constexpr uint64_t kCr0Ne = 1ull << 5;
inline constexpr uint64_t kCr0Pg = 1ull << 31;
inline constexpr uint64_t kCr4Vmxe = 1ull << 13;

constexpr bool FixedBitsAllow(uint64_t fixed0, uint64_t fixed1, uint64_t value) {
  return (value & fixed0) == fixed0 && (value & ~fixed1) == 0;
}

// `value` with the fixed-1 bits set and the fixed-0 bits cleared.
constexpr uint64_t ApplyFixedBits(uint64_t fixed0, uint64_t fixed1, uint64_t value) {
  return (value | fixed0) & fixed1;
}

// With "unrestricted guest" the guest CR0 field may clear PE and PG even where
// IA32_VMX_CR0_FIXED0 fixes them to 1 (26.3.1.1).
constexpr uint64_t GuestCr0Fixed0(uint64_t cr0_fixed0, bool unrestricted_guest) {
  return unrestricted_guest ? cr0_fixed0 & ~(kCr0Pe | kCr0Pg) : cr0_fixed0;
}

// ----- IA32_VMX_VMCS_ENUM (A.9) ------------------------------------------------------
constexpr uint64_t VmcsEnumValue(int highest_index) { return PlaceBits(highest_index, 9, 1); }
constexpr int VmcsEnumHighestIndex(uint64_t value) { return static_cast<int>(Bits(value, 9, 1)); }

// ----- IA32_VMX_EPT_VPID_CAP (A.10) --------------------------------------------------
// Bits 31:0 report EPT and INVEPT, bits 63:32 VPID and INVVPID.
namespace ept_vpid_cap {
inline constexpr uint64_t kExecuteOnly = 1ull << 0;
inline constexpr uint64_t kPageWalkLength4 = 1ull << 6;
inline constexpr uint64_t kPageWalkLength5 = 1ull << 7;
inline constexpr uint64_t kUncacheableStructures = 1ull << 8;  // EPTP memory type UC
inline constexpr uint64_t kWriteBackStructures = 1ull << 14;   // EPTP memory type WB
inline constexpr uint64_t kPde2MbPages = 1ull << 16;
inline constexpr uint64_t kPdpte1GbPages = 1ull << 17;
inline constexpr uint64_t kInvept = 1ull << 20;
inline constexpr uint64_t kAccessedDirtyFlags = 1ull << 21;
inline constexpr uint64_t kAdvancedEptViolationInfo = 1ull << 22;
inline constexpr uint64_t kSupervisorShadowStack = 1ull << 23;
inline constexpr uint64_t kInveptSingleContext = 1ull << 25;
inline constexpr uint64_t kInveptAllContext = 1ull << 26;
inline constexpr uint64_t kInvvpid = 1ull << 32;
inline constexpr uint64_t kInvvpidIndividualAddress = 1ull << 40;
inline constexpr uint64_t kInvvpidSingleContext = 1ull << 41;
inline constexpr uint64_t kInvvpidAllContext = 1ull << 42;
inline constexpr uint64_t kInvvpidSingleContextRetainingGlobals = 1ull << 43;
}  // namespace ept_vpid_cap

// INVEPT and INVVPID types (the register operand; INVEPT and INVVPID in 30.3) and the
// capability bit that must be set for each; other values fail with VM-instruction
// error 28.
enum class InveptType : uint64_t { kSingleContext = 1, kAllContext = 2 };
enum class InvvpidType : uint64_t {
  kIndividualAddress = 0,
  kSingleContext = 1,
  kAllContext = 2,
  kSingleContextRetainingGlobals = 3,
};

constexpr bool InveptTypeSupported(uint64_t ept_vpid_cap, uint64_t type) {
  if (type == static_cast<uint64_t>(InveptType::kSingleContext)) {
    return ept_vpid_cap & ept_vpid_cap::kInveptSingleContext;
  }
  if (type == static_cast<uint64_t>(InveptType::kAllContext)) {
    return ept_vpid_cap & ept_vpid_cap::kInveptAllContext;
  }
  return false;
}

constexpr bool InvvpidTypeSupported(uint64_t ept_vpid_cap, uint64_t type) {
  return type <= 3 && Bit(ept_vpid_cap, 40 + static_cast<int>(type));
}

// ----- IA32_VMX_VMFUNC (A.11) --------------------------------------------------------
// Bit X set: VM function X may be enabled in the VM-function controls.
namespace vmfunc {
inline constexpr uint64_t kEptpSwitching = 1ull << 0;  // VM function 0 (25.5.5.3)
}  // namespace vmfunc

}  // namespace vmxemu::vmx::arch

#endif  // VMXEMU_VTX_ARCH_CAPABILITY_MSRS_H_
