// The VMCS field table (vmcs_fields.def) as C++: the VmcsField enum (value = encoding),
// FieldInfo rows, encoding decode and lookup (SDM Vol. 3C 24.11.2, Table 24-17
// "Structure of VMCS Component Encoding"; Vol. 3D Appendix B), the typed-access trait
// FieldType<F>, and the VMREAD/VMWRITE width rules. Freestanding.
//
// Fields of features vmxemu does not offer are absent; VMREAD/VMWRITE of them fail with
// VM-instruction error 12 as on a processor without the feature:
//   16-bit:  posted-interrupt notification vector (posted interrupts), EPTP index
//            (EPT-violation #VE), guest interrupt status (virtual-interrupt delivery),
//            PML index (PML), and those of IPI virtualization, HLAT and user interrupts.
//   64-bit:  PML address, virtual-APIC address and APIC-access address (no TPR shadow or
//            APIC virtualization), posted-interrupt descriptor, EOI-exit bitmaps 0-3,
//            #VE information address, XSS-exiting bitmap, ENCLS/ENCLV-exiting bitmaps,
//            SPPTP, TSC multiplier, tertiary and secondary-exit controls; guest and host
//            IA32_PERF_GLOBAL_CTRL (no "load IA32_PERF_GLOBAL_CTRL"), IA32_BNDCFGS (MPX),
//            IA32_RTIT_CTL (PT), IA32_LBR_CTL, PKRS, CET and FRED state; and those of
//            other newer features (PCONFIG, HLAT, PASID, IPI virtualization).
//   32-bit:  TPR threshold (TPR shadow), PLE gap/window (PAUSE-loop exiting), instruction
//            timeout (notify) window.
#ifndef VMXEMU_VTX_ARCH_VMCS_FIELDS_H_
#define VMXEMU_VTX_ARCH_VMCS_FIELDS_H_

#include <stddef.h>
#include <stdint.h>

#include "vtx/arch/bits.h"

namespace vmxemu::vmx::arch {

// Bits 14:13 of an encoding. Natural width is 64 bits: vmxemu models an Intel 64 CPU.
enum class FieldWidth : uint8_t { k16 = 0, k64 = 1, k32 = 2, kNatural = 3 };

// Bits 11:10 of an encoding.
enum class ComponentType : uint8_t {
  kControl = 0,
  kReadOnlyData = 1,  // VM-exit information and the VM-instruction error
  kGuestState = 2,
  kHostState = 3,
};

// The SDM section a field is described in (a finer split of ComponentType::kControl).
enum class FieldArea : uint8_t {
  kGuestState,        // 24.4
  kHostState,         // 24.5
  kExecutionControl,  // 24.6
  kExitControl,       // 24.7
  kEntryControl,      // 24.8
  kExitInformation,   // 24.9 (includes the VM-instruction error field, 24.9.5)
};

// The feature whose support makes a field exist (footnotes of the Appendix B tables).
enum class VmxFeature : uint8_t {
  kBase,              // every VMX processor
  kMsrBitmaps,        // "use MSR bitmaps" (primary processor-based control 28)
  kEpt,               // "enable EPT" (secondary control 1)
  kVpid,              // "enable VPID" (secondary control 5)
  kVmfunc,            // "enable VM functions" (secondary control 13)
  kEptpSwitching,     // EPTP switching, VM function 0 (IA32_VMX_VMFUNC bit 0)
  kVmcsShadowing,     // "VMCS shadowing" (secondary control 14)
  kPreemptionTimer,   // "activate VMX-preemption timer" (pin-based control 6)
  kPat,               // "load IA32_PAT" entry control / "save/load IA32_PAT" exit controls
  kEfer,              // "load IA32_EFER" entry control / "save/load IA32_EFER" exit controls
};
inline constexpr int kNumVmxFeatures = 10;

constexpr const char* VmxFeatureName(VmxFeature feature) {
  switch (feature) {
    case VmxFeature::kBase: return "base";
    case VmxFeature::kMsrBitmaps: return "MSR bitmaps";
    case VmxFeature::kEpt: return "EPT";
    case VmxFeature::kVpid: return "VPID";
    case VmxFeature::kVmfunc: return "VM functions";
    case VmxFeature::kEptpSwitching: return "EPTP switching";
    case VmxFeature::kVmcsShadowing: return "VMCS shadowing";
    case VmxFeature::kPreemptionTimer: return "VMX-preemption timer";
    case VmxFeature::kPat: return "IA32_PAT save/load";
    case VmxFeature::kEfer: return "IA32_EFER save/load";
  }
  return "?";
}

constexpr ComponentType ComponentTypeOf(FieldArea area) {
  switch (area) {
    case FieldArea::kGuestState: return ComponentType::kGuestState;
    case FieldArea::kHostState: return ComponentType::kHostState;
    case FieldArea::kExitInformation: return ComponentType::kReadOnlyData;
    case FieldArea::kExecutionControl:
    case FieldArea::kExitControl:
    case FieldArea::kEntryControl: return ComponentType::kControl;
  }
  return ComponentType::kControl;
}

constexpr int WidthBits(FieldWidth width) {
  switch (width) {
    case FieldWidth::k16: return 16;
    case FieldWidth::k32: return 32;
    case FieldWidth::k64:
    case FieldWidth::kNatural: return 64;
  }
  return 64;
}

// Every implemented field; the enumerator's value is its (full-access) encoding.
enum class VmcsField : uint32_t {
#define VMCS_FIELD(name, sdm_name, encoding, index, width, area, feature) name = encoding,
#include "vtx/arch/vmcs_fields.def"
#undef VMCS_FIELD
};

struct FieldInfo {
  VmcsField field;
  const char* name;
  uint32_t encoding;
  uint16_t index;
  FieldWidth width;
  FieldArea area;
  VmxFeature feature;

  constexpr ComponentType type() const { return ComponentTypeOf(area); }
  // VMWRITE fails with error 13 unless IA32_VMX_MISC bit 29 is set (SDM 30.3 VMWRITE).
  constexpr bool read_only() const { return type() == ComponentType::kReadOnlyData; }
  // A 64-bit field also answers to encoding | 1, its high 32 bits (SDM 24.11.2).
  constexpr bool has_high_access() const { return width == FieldWidth::k64; }
};

inline constexpr FieldInfo kVmcsFields[] = {
#define VMCS_FIELD(name, sdm_name, encoding, index, width, area, feature) \
  {VmcsField::name, sdm_name, encoding, index,                            \
   FieldWidth::width, FieldArea::area, VmxFeature::feature},
#include "vtx/arch/vmcs_fields.def"
#undef VMCS_FIELD
};
inline constexpr int kNumVmcsFields = ArraySize(kVmcsFields);

// ----- Encodings (SDM 24.11.2, Table 24-17) ------------------------------------------

// The parts of a 32-bit encoding. VMREAD/VMWRITE take the encoding from a register that
// is 64 bits wide in 64-bit mode; any bit above 14 (and bit 12) makes it unsupported.
struct EncodingParts {
  bool high = false;      // bit 0: access type (1 = high half of a 64-bit field)
  uint16_t index = 0;     // bits 9:1
  ComponentType type = ComponentType::kControl;  // bits 11:10
  FieldWidth width = FieldWidth::k16;            // bits 14:13

  constexpr bool operator==(const EncodingParts&) const = default;
};

inline constexpr uint64_t kEncodingReservedMask = ~BitMask(14, 0) | BitMask(12, 12);

constexpr EncodingParts DecodeEncoding(uint64_t encoding) {
  return {.high = Bit(encoding, 0),
          .index = static_cast<uint16_t>(Bits(encoding, 9, 1)),
          .type = static_cast<ComponentType>(Bits(encoding, 11, 10)),
          .width = static_cast<FieldWidth>(Bits(encoding, 14, 13))};
}

constexpr uint32_t MakeEncoding(const EncodingParts& parts) {
  return static_cast<uint32_t>(
      PlaceBit(parts.high, 0) | PlaceBits(parts.index, 9, 1) |
      PlaceBits(static_cast<uint64_t>(parts.type), 11, 10) |
      PlaceBits(static_cast<uint64_t>(parts.width), 14, 13));
}

// Reserved bits clear, and high access only for 64-bit fields. Says nothing about
// whether a field with this encoding exists.
constexpr bool EncodingIsWellFormed(uint64_t encoding) {
  if (encoding & kEncodingReservedMask) return false;
  const EncodingParts parts = DecodeEncoding(encoding);
  return !parts.high || parts.width == FieldWidth::k64;
}

// ----- Table self-checks -------------------------------------------------------------

namespace internal {

constexpr bool RowAgreesWithEncoding(const FieldInfo& f) {
  const EncodingParts parts = DecodeEncoding(f.encoding);
  return f.encoding == static_cast<uint32_t>(f.field) && (f.encoding & ~0x7FFFu) == 0 &&
         (f.encoding & (1u << 12)) == 0 && !parts.high && parts.index == f.index &&
         parts.type == f.type() && parts.width == f.width;
}

constexpr bool AllRowsAgreeWithEncodings() {
  for (const FieldInfo& f : kVmcsFields) {
    if (!RowAgreesWithEncoding(f)) return false;
  }
  return true;
}

constexpr bool EncodingsAreUnique() {
  for (int i = 0; i < kNumVmcsFields; ++i) {
    for (int j = i + 1; j < kNumVmcsFields; ++j) {
      if (kVmcsFields[i].encoding == kVmcsFields[j].encoding) return false;
    }
  }
  return true;
}

// Appendix B order (width 16, 64, 32, natural; then type; then index) is ascending
// encoding order.
constexpr bool RowsInAppendixBOrder() {
  for (int i = 1; i < kNumVmcsFields; ++i) {
    if (kVmcsFields[i - 1].encoding >= kVmcsFields[i].encoding) return false;
  }
  return true;
}

constexpr bool NamesAreUnique() {
  for (int i = 0; i < kNumVmcsFields; ++i) {
    for (int j = i + 1; j < kNumVmcsFields; ++j) {
      if (StringsEqual(kVmcsFields[i].name, kVmcsFields[j].name)) return false;
    }
  }
  return true;
}

// Dense [width][type][index] -> row map for O(1) lookups on the VMREAD/VMWRITE path.
// Every implemented index is below kIndexLimit (IA32_VMX_VMCS_ENUM reports the highest).
inline constexpr int kIndexLimit = 32;

struct FieldIndexMap {
  int16_t row[4][4][kIndexLimit];
};

constexpr FieldIndexMap BuildFieldIndexMap() {
  FieldIndexMap map{};
  for (auto& by_type : map.row) {
    for (auto& by_index : by_type) {
      for (int16_t& row : by_index) row = -1;
    }
  }
  for (int i = 0; i < kNumVmcsFields; ++i) {
    const FieldInfo& f = kVmcsFields[i];
    map.row[static_cast<int>(f.width)][static_cast<int>(f.type())][f.index] =
        static_cast<int16_t>(i);
  }
  return map;
}

constexpr bool IndicesBelowLimit() {
  for (const FieldInfo& f : kVmcsFields) {
    if (f.index >= kIndexLimit) return false;
  }
  return true;
}

}  // namespace internal

static_assert(internal::AllRowsAgreeWithEncodings(),
              "a vmcs_fields.def row disagrees with its encoding (index/type/width/bit 0)");
static_assert(internal::EncodingsAreUnique(), "duplicate VMCS encoding");
static_assert(internal::RowsInAppendixBOrder(), "vmcs_fields.def rows out of Appendix B order");
static_assert(internal::NamesAreUnique(), "duplicate VMCS field name");
static_assert(internal::IndicesBelowLimit(), "raise internal::kIndexLimit");

namespace internal {
inline constexpr FieldIndexMap kFieldIndexMap = BuildFieldIndexMap();
}  // namespace internal

// ----- Lookup ------------------------------------------------------------------------

// The field `encoding` names, or nullptr if there is none (VM-instruction error 12).
// Accepts the high-access encoding (encoding | 1) of 64-bit fields and returns the
// field's row; IsHighAccess() tells the two apart. Takes the full 64-bit register value:
// bits 63:15 must be 0.
constexpr const FieldInfo* LookupField(uint64_t encoding) {
  if (!EncodingIsWellFormed(encoding)) return nullptr;
  const EncodingParts parts = DecodeEncoding(encoding);
  if (parts.index >= internal::kIndexLimit) return nullptr;
  const int row = internal::kFieldIndexMap
                      .row[static_cast<int>(parts.width)][static_cast<int>(parts.type)]
                          [parts.index];
  return row < 0 ? nullptr : &kVmcsFields[row];
}

constexpr const FieldInfo& GetFieldInfo(VmcsField field) {
  return *LookupField(static_cast<uint32_t>(field));
}

constexpr bool IsHighAccess(uint64_t encoding) { return Bit(encoding, 0); }

constexpr uint32_t HighAccessEncoding(VmcsField field) {
  return static_cast<uint32_t>(field) | 1u;
}

// Highest index of any implemented encoding: IA32_VMX_VMCS_ENUM bits 9:1 (SDM A.9).
constexpr int HighestFieldIndex() {
  int highest = 0;
  for (const FieldInfo& f : kVmcsFields) {
    if (f.index > highest) highest = f.index;
  }
  return highest;
}

constexpr int CountFields(VmxFeature feature) {
  int count = 0;
  for (const FieldInfo& f : kVmcsFields) count += f.feature == feature;
  return count;
}

// ----- Typed access --------------------------------------------------------------------

// The C++ type holding field F: uint16_t, uint32_t, or uint64_t (64-bit and natural).
// `vmcs.Read<VmcsField::kGuestRip>()` returns FieldType<VmcsField::kGuestRip>.
template <VmcsField kField>
using FieldType = typename Conditional<
    GetFieldInfo(kField).width == FieldWidth::k16, uint16_t,
    typename Conditional<GetFieldInfo(kField).width == FieldWidth::k32, uint32_t,
                         uint64_t>::Type>::Type;

static_assert(kIsSame<FieldType<VmcsField::kGuestCsSelector>, uint16_t>);
static_assert(kIsSame<FieldType<VmcsField::kExitReason>, uint32_t>);
static_assert(kIsSame<FieldType<VmcsField::kEptPointer>, uint64_t>);
static_assert(kIsSame<FieldType<VmcsField::kGuestRip>, uint64_t>);

// ----- VMREAD/VMWRITE width rules (SDM 24.11.2; VMREAD/VMWRITE in Vol. 3C 30.3) --------

// The destination value of a VMREAD of `field` (through its full or high encoding) that
// holds `stored`. Outside 64-bit mode the operand is 32 bits: only bits 31:0 of a 64-bit
// or natural-width field are read through the full encoding.
constexpr uint64_t VmreadValue(const FieldInfo& field, bool high, uint64_t stored,
                               bool in_64bit_mode) {
  switch (field.width) {
    case FieldWidth::k16: return stored & 0xFFFF;
    case FieldWidth::k32: return stored & 0xFFFFFFFF;
    case FieldWidth::k64:
    case FieldWidth::kNatural:
      if (high) return stored >> 32;
      return in_64bit_mode ? stored : stored & 0xFFFFFFFF;
  }
  return 0;
}

// The field's new value after a VMWRITE of `source` through its full or high encoding.
// Source bits beyond the field are ignored; a 32-bit source written through the full
// encoding clears bits 63:32; a high-access write keeps bits 31:0.
constexpr uint64_t VmwriteValue(const FieldInfo& field, bool high, uint64_t current,
                                uint64_t source, bool in_64bit_mode) {
  const uint64_t operand = in_64bit_mode ? source : source & 0xFFFFFFFF;
  switch (field.width) {
    case FieldWidth::k16: return operand & 0xFFFF;
    case FieldWidth::k32: return operand & 0xFFFFFFFF;
    case FieldWidth::k64:
    case FieldWidth::kNatural:
      if (high) return (current & 0xFFFFFFFF) | (operand & 0xFFFFFFFF) << 32;
      return operand;
  }
  return current;
}

// VMCS shadowing (SDM 24.6.15, 25.1.3): in non-root operation VMREAD/VMWRITE consult bit
// (encoding & 7FFFH) of the VMREAD/VMWRITE bitmap; an encoding with any of bits 63:15 set
// always causes a VM exit.
constexpr bool ShadowBitmapApplies(uint64_t encoding) { return (encoding >> 15) == 0; }
constexpr uint32_t ShadowBitmapBit(uint64_t encoding) {
  return static_cast<uint32_t>(encoding & 0x7FFF);
}

}  // namespace vmxemu::vmx::arch

#endif  // VMXEMU_VTX_ARCH_VMCS_FIELDS_H_
