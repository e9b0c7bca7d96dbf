// The VMX control bits (controls.def; SDM Vol. 3C 24.6-24.8), their groups with the
// default1 settings (Appendix A.2-A.5), and the allowed-settings rule of the control
// capability MSRs. Freestanding.
//
// Constants: pin_ctl::kNmiExiting, primary_ctl::kHltExiting, secondary_ctl::kEnableEpt,
// exit_ctl::kHostAddressSpaceSize, entry_ctl::kIa32eModeGuest, ...
#ifndef VMXEMU_VTX_ARCH_CONTROLS_H_
#define VMXEMU_VTX_ARCH_CONTROLS_H_

#include <stdint.h>

#include "vtx/arch/bits.h"
#include "vtx/arch/capability_msrs.h"
#include "vtx/arch/vmcs_fields.h"

namespace vmxemu::vmx::arch {

namespace pin_ctl {
#define PIN_BASED_CONTROL(name, bit, sdm_name, description) \
  inline constexpr uint32_t name = 1u << bit;
#include "vtx/arch/controls.def"
}  // namespace pin_ctl

namespace primary_ctl {
#define PRIMARY_CONTROL(name, bit, sdm_name, description) \
  inline constexpr uint32_t name = 1u << bit;
#include "vtx/arch/controls.def"
}  // namespace primary_ctl

namespace secondary_ctl {
#define SECONDARY_CONTROL(name, bit, sdm_name, description) \
  inline constexpr uint32_t name = 1u << bit;
#include "vtx/arch/controls.def"
}  // namespace secondary_ctl

namespace exit_ctl {
#define EXIT_CONTROL(name, bit, sdm_name, description) \
  inline constexpr uint32_t name = 1u << bit;
#include "vtx/arch/controls.def"
}  // namespace exit_ctl

namespace entry_ctl {
#define ENTRY_CONTROL(name, bit, sdm_name, description) \
  inline constexpr uint32_t name = 1u << bit;
#include "vtx/arch/controls.def"
}  // namespace entry_ctl

struct ControlBitInfo {
  uint8_t bit;
  const char* name;         // the SDM's name of the control
  const char* description;  // a one-line paraphrase

  constexpr uint32_t mask() const { return 1u << bit; }
};

inline constexpr ControlBitInfo kPinBasedControlBits[] = {
#define PIN_BASED_CONTROL(name, bit, sdm_name, description) {bit, sdm_name, description},
#include "vtx/arch/controls.def"
};
inline constexpr ControlBitInfo kPrimaryControlBits[] = {
#define PRIMARY_CONTROL(name, bit, sdm_name, description) {bit, sdm_name, description},
#include "vtx/arch/controls.def"
};
inline constexpr ControlBitInfo kSecondaryControlBits[] = {
#define SECONDARY_CONTROL(name, bit, sdm_name, description) {bit, sdm_name, description},
#include "vtx/arch/controls.def"
};
inline constexpr ControlBitInfo kExitControlBits[] = {
#define EXIT_CONTROL(name, bit, sdm_name, description) {bit, sdm_name, description},
#include "vtx/arch/controls.def"
};
inline constexpr ControlBitInfo kEntryControlBits[] = {
#define ENTRY_CONTROL(name, bit, sdm_name, description) {bit, sdm_name, description},
#include "vtx/arch/controls.def"
};

// ----- Control groups --------------------------------------------------------------------

enum class ControlGroup : uint8_t {
  kPinBased,
  kPrimaryProcBased,
  kSecondaryProcBased,
  kExit,
  kEntry,
};
inline constexpr int kNumControlGroups = 5;

struct ControlGroupInfo {
  ControlGroup group;
  const char* name;
  VmcsField field;
  VmxMsr capability_msr;       // reports default1 bits as "must be 1"
  VmxMsr true_capability_msr;  // reports real allowed-0 settings (A.2); the secondary
                               // controls have no TRUE MSR and repeat capability_msr
  // "Default1" bits (A.2): reserved-or-legacy bits the first VMX processors required to
  // be 1. The non-TRUE capability MSR reports them as allowed-0 = 1.
  uint32_t default1;
  const ControlBitInfo* bits;
  int num_bits;

  constexpr bool has_true_msr() const { return true_capability_msr != capability_msr; }
};

inline constexpr ControlGroupInfo kControlGroups[] = {
    {ControlGroup::kPinBased, "pin-based VM-execution controls",
     VmcsField::kPinBasedControls, VmxMsr::kIa32VmxPinbasedCtls,
     VmxMsr::kIa32VmxTruePinbasedCtls, 0x00000016, kPinBasedControlBits,
     ArraySize(kPinBasedControlBits)},
    {ControlGroup::kPrimaryProcBased, "primary processor-based VM-execution controls",
     VmcsField::kPrimaryProcBasedControls, VmxMsr::kIa32VmxProcbasedCtls,
     VmxMsr::kIa32VmxTrueProcbasedCtls, 0x0401E172, kPrimaryControlBits,
     ArraySize(kPrimaryControlBits)},
    {ControlGroup::kSecondaryProcBased, "secondary processor-based VM-execution controls",
     VmcsField::kSecondaryProcBasedControls, VmxMsr::kIa32VmxProcbasedCtls2,
     VmxMsr::kIa32VmxProcbasedCtls2, 0x00000000, kSecondaryControlBits,
     ArraySize(kSecondaryControlBits)},
    {ControlGroup::kExit, "VM-exit controls", VmcsField::kExitControls,
     VmxMsr::kIa32VmxExitCtls, VmxMsr::kIa32VmxTrueExitCtls, 0x00036DFF, kExitControlBits,
     ArraySize(kExitControlBits)},
    {ControlGroup::kEntry, "VM-entry controls", VmcsField::kEntryControls,
     VmxMsr::kIa32VmxEntryCtls, VmxMsr::kIa32VmxTrueEntryCtls, 0x000011FF,
     kEntryControlBits, ArraySize(kEntryControlBits)},
};

constexpr const ControlGroupInfo& GetControlGroup(ControlGroup group) {
  return kControlGroups[static_cast<int>(group)];
}

// The row of control `bit` in `group`, or nullptr for a reserved bit.
constexpr const ControlBitInfo* LookupControlBit(ControlGroup group, int bit) {
  const ControlGroupInfo& info = GetControlGroup(group);
  for (int i = 0; i < info.num_bits; ++i) {
    if (info.bits[i].bit == bit) return &info.bits[i];
  }
  return nullptr;
}

// Bits with a defined control (everything else is reserved).
constexpr uint32_t DefinedControls(ControlGroup group) {
  const ControlGroupInfo& info = GetControlGroup(group);
  uint32_t mask = 0;
  for (int i = 0; i < info.num_bits; ++i) mask |= info.bits[i].mask();
  return mask;
}

constexpr bool IsDefault1(ControlGroup group, int bit) {
  return (GetControlGroup(group).default1 >> bit) & 1;
}

namespace internal {

constexpr bool ControlTablesWellFormed() {
  for (int g = 0; g < kNumControlGroups; ++g) {
    const ControlGroupInfo& info = kControlGroups[g];
    if (static_cast<int>(info.group) != g) return false;
    for (int i = 0; i < info.num_bits; ++i) {
      if (info.bits[i].bit > 31) return false;
      if (i > 0 && info.bits[i - 1].bit >= info.bits[i].bit) return false;  // ascending
    }
  }
  return true;
}

}  // namespace internal

static_assert(internal::ControlTablesWellFormed(),
              "controls.def: each group's bits must be ascending, unique, < 32");
// The default1 sets as Appendix A.3.1, A.3.2, A.4 and A.5 list them, bit by bit.
static_assert(GetControlGroup(ControlGroup::kPinBased).default1 ==
              (BitMask(2, 1) | BitMask(4, 4)));
static_assert(GetControlGroup(ControlGroup::kPrimaryProcBased).default1 ==
              (BitMask(1, 1) | BitMask(6, 4) | BitMask(8, 8) | BitMask(16, 13) |
               BitMask(26, 26)));
static_assert(GetControlGroup(ControlGroup::kExit).default1 ==
              (BitMask(8, 0) | BitMask(11, 10) | BitMask(14, 13) | BitMask(17, 16)));
static_assert(GetControlGroup(ControlGroup::kEntry).default1 ==
              (BitMask(8, 0) | BitMask(12, 12)));
// The only default1 bits that name controls: CR3-load/-store exiting and the debug-
// controls save/load (the first VMX processors supported only their 1-settings).
static_assert((DefinedControls(ControlGroup::kPinBased) &
               GetControlGroup(ControlGroup::kPinBased).default1) == 0);
static_assert((DefinedControls(ControlGroup::kPrimaryProcBased) &
               GetControlGroup(ControlGroup::kPrimaryProcBased).default1) ==
              (primary_ctl::kCr3LoadExiting | primary_ctl::kCr3StoreExiting));
static_assert((DefinedControls(ControlGroup::kExit) &
               GetControlGroup(ControlGroup::kExit).default1) == exit_ctl::kSaveDebugControls);
static_assert((DefinedControls(ControlGroup::kEntry) &
               GetControlGroup(ControlGroup::kEntry).default1) ==
              entry_ctl::kLoadDebugControls);

// ----- The allowed-settings rule (A.3-A.5) -------------------------------------------
// A control capability MSR holds the allowed 0-settings in bits 31:0 (bit X = 1: control
// X must be 1) and the allowed 1-settings in bits 63:32 (bit 32+X = 1: control X may
// be 1).

constexpr uint32_t Allowed0(uint64_t cap_msr) { return static_cast<uint32_t>(cap_msr); }
constexpr uint32_t Allowed1(uint64_t cap_msr) { return static_cast<uint32_t>(cap_msr >> 32); }

constexpr uint64_t MakeControlCapability(uint32_t must_be_1, uint32_t may_be_1) {
  return static_cast<uint64_t>(may_be_1) << 32 | must_be_1;
}

// VM entry accepts `value` for a control field described by `cap_msr` (26.2.1.1-3).
constexpr bool ControlsAllowed(uint64_t cap_msr, uint32_t value) {
  return (value & Allowed0(cap_msr)) == Allowed0(cap_msr) && (value & ~Allowed1(cap_msr)) == 0;
}

// `wanted` adjusted to what the CPU allows: required bits set, unsupported bits cleared
// (NOVA's negotiation). Callers check that the controls they need survived.
constexpr uint32_t AdjustControls(uint64_t cap_msr, uint32_t wanted) {
  return (wanted | Allowed0(cap_msr)) & Allowed1(cap_msr);
}

// The MSR a VMM consults for `group`: the TRUE MSR if IA32_VMX_BASIC bit 55 is set and
// the group has one (A.2).
constexpr VmxMsr CapabilityMsrFor(ControlGroup group, bool true_controls) {
  const ControlGroupInfo& info = GetControlGroup(group);
  return true_controls ? info.true_capability_msr : info.capability_msr;
}

// The non-TRUE capability MSR value implied by a TRUE one: identical except that every
// default1 bit is reported as "must be 1" (A.2).
constexpr uint64_t NonTrueCapability(ControlGroup group, uint64_t true_cap_msr) {
  return true_cap_msr | GetControlGroup(group).default1;
}

}  // namespace vmxemu::vmx::arch

#endif  // VMXEMU_VTX_ARCH_CONTROLS_H_
