#include "vtx/arch/vmcs_fields.h"

#include <cstdint>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include "gtest/gtest.h"

namespace vmxemu::vmx::arch {
namespace {

struct EncodingCase {
  VmcsField field;
  uint32_t encoding;  // as printed in the SDM table
  const char* table;
};

// Encodings copied by hand from SDM Vol. 3D Appendix B (Tables B-1 to B-15), not from
// vmcs_fields.def.
constexpr EncodingCase kSdmEncodings[] = {
    {VmcsField::kVirtualProcessorId, 0x00000000, "B-1"},
    {VmcsField::kGuestEsSelector, 0x00000800, "B-2"},
    {VmcsField::kGuestTrSelector, 0x0000080E, "B-2"},
    {VmcsField::kHostEsSelector, 0x00000C00, "B-3"},
    {VmcsField::kHostTrSelector, 0x00000C0C, "B-3"},
    {VmcsField::kIoBitmapAAddress, 0x00002000, "B-4"},
    {VmcsField::kIoBitmapBAddress, 0x00002002, "B-4"},
    {VmcsField::kMsrBitmapAddress, 0x00002004, "B-4"},
    {VmcsField::kExitMsrStoreAddress, 0x00002006, "B-4"},
    {VmcsField::kExitMsrLoadAddress, 0x00002008, "B-4"},
    {VmcsField::kEntryMsrLoadAddress, 0x0000200A, "B-4"},
    {VmcsField::kExecutiveVmcsPointer, 0x0000200C, "B-4"},
    {VmcsField::kTscOffset, 0x00002010, "B-4"},
    {VmcsField::kVmFunctionControls, 0x00002018, "B-4"},
    {VmcsField::kEptPointer, 0x0000201A, "B-4"},
    {VmcsField::kEptpListAddress, 0x00002024, "B-4"},
    {VmcsField::kVmreadBitmapAddress, 0x00002026, "B-4"},
    {VmcsField::kVmwriteBitmapAddress, 0x00002028, "B-4"},
    {VmcsField::kGuestPhysicalAddress, 0x00002400, "B-5"},
    {VmcsField::kVmcsLinkPointer, 0x00002800, "B-6"},
    {VmcsField::kGuestIa32Debugctl, 0x00002802, "B-6"},
    {VmcsField::kGuestIa32Pat, 0x00002804, "B-6"},
    {VmcsField::kGuestIa32Efer, 0x00002806, "B-6"},
    {VmcsField::kGuestPdpte0, 0x0000280A, "B-6"},
    {VmcsField::kGuestPdpte3, 0x00002810, "B-6"},
    {VmcsField::kHostIa32Pat, 0x00002C00, "B-7"},
    {VmcsField::kHostIa32Efer, 0x00002C02, "B-7"},
    {VmcsField::kPinBasedControls, 0x00004000, "B-8"},
    {VmcsField::kPrimaryProcBasedControls, 0x00004002, "B-8"},
    {VmcsField::kExceptionBitmap, 0x00004004, "B-8"},
    {VmcsField::kCr3TargetCount, 0x0000400A, "B-8"},
    {VmcsField::kExitControls, 0x0000400C, "B-8"},
    {VmcsField::kEntryControls, 0x00004012, "B-8"},
    {VmcsField::kEntryInterruptionInfo, 0x00004016, "B-8"},
    {VmcsField::kEntryInstructionLength, 0x0000401A, "B-8"},
    {VmcsField::kSecondaryProcBasedControls, 0x0000401E, "B-8"},
    {VmcsField::kVmInstructionError, 0x00004400, "B-9"},
    {VmcsField::kExitReason, 0x00004402, "B-9"},
    {VmcsField::kIdtVectoringInfo, 0x00004408, "B-9"},
    {VmcsField::kExitInstructionInfo, 0x0000440E, "B-9"},
    {VmcsField::kGuestEsLimit, 0x00004800, "B-10"},
    {VmcsField::kGuestIdtrLimit, 0x00004812, "B-10"},
    {VmcsField::kGuestCsAccessRights, 0x00004816, "B-10"},
    {VmcsField::kGuestTrAccessRights, 0x00004822, "B-10"},
    {VmcsField::kGuestInterruptibilityState, 0x00004824, "B-10"},
    {VmcsField::kGuestActivityState, 0x00004826, "B-10"},
    {VmcsField::kGuestSmbase, 0x00004828, "B-10"},
    {VmcsField::kGuestIa32SysenterCs, 0x0000482A, "B-10"},
    {VmcsField::kPreemptionTimerValue, 0x0000482E, "B-10"},
    {VmcsField::kHostIa32SysenterCs, 0x00004C00, "B-11"},
    {VmcsField::kCr0GuestHostMask, 0x00006000, "B-12"},
    {VmcsField::kCr4ReadShadow, 0x00006006, "B-12"},
    {VmcsField::kCr3TargetValue3, 0x0000600E, "B-12"},
    {VmcsField::kExitQualification, 0x00006400, "B-13"},
    {VmcsField::kIoRip, 0x00006408, "B-13"},
    {VmcsField::kGuestLinearAddress, 0x0000640A, "B-13"},
    {VmcsField::kGuestCr0, 0x00006800, "B-14"},
    {VmcsField::kGuestTrBase, 0x00006814, "B-14"},
    {VmcsField::kGuestDr7, 0x0000681A, "B-14"},
    {VmcsField::kGuestRip, 0x0000681E, "B-14"},
    {VmcsField::kGuestRflags, 0x00006820, "B-14"},
    {VmcsField::kGuestPendingDebugExceptions, 0x00006822, "B-14"},
    {VmcsField::kGuestIa32SysenterEip, 0x00006826, "B-14"},
    {VmcsField::kHostCr0, 0x00006C00, "B-15"},
    {VmcsField::kHostTrBase, 0x00006C0A, "B-15"},
    {VmcsField::kHostRip, 0x00006C16, "B-15"},
};

TEST(VmcsFieldsTest, EncodingsMatchAppendixB) {
  for (const EncodingCase& c : kSdmEncodings) {
    SCOPED_TRACE(std::string("Table ") + c.table + " encoding " + std::to_string(c.encoding));
    EXPECT_EQ(static_cast<uint32_t>(c.field), c.encoding);
    const FieldInfo* info = LookupField(c.encoding);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->field, c.field);
  }
}

TEST(VmcsFieldsTest, RowsDescribeTheirFields) {
  const FieldInfo& rip = GetFieldInfo(VmcsField::kGuestRip);
  EXPECT_STREQ(rip.name, "GUEST_RIP");
  EXPECT_EQ(rip.width, FieldWidth::kNatural);
  EXPECT_EQ(rip.type(), ComponentType::kGuestState);
  EXPECT_EQ(rip.index, 15);
  EXPECT_FALSE(rip.read_only());

  const FieldInfo& reason = GetFieldInfo(VmcsField::kExitReason);
  EXPECT_EQ(reason.area, FieldArea::kExitInformation);
  EXPECT_EQ(reason.type(), ComponentType::kReadOnlyData);
  EXPECT_TRUE(reason.read_only());

  EXPECT_EQ(GetFieldInfo(VmcsField::kExitMsrLoadCount).area, FieldArea::kExitControl);
  EXPECT_EQ(GetFieldInfo(VmcsField::kEntryInterruptionInfo).area, FieldArea::kEntryControl);
  EXPECT_EQ(GetFieldInfo(VmcsField::kEptPointer).feature, VmxFeature::kEpt);
  EXPECT_EQ(GetFieldInfo(VmcsField::kVmreadBitmapAddress).feature, VmxFeature::kVmcsShadowing);
}

// FieldType<F> has the row's width, for every row (checked at compile time).
template <size_t kRow>
constexpr bool TraitMatchesRow() {
  constexpr FieldInfo row = kVmcsFields[kRow];
  return sizeof(FieldType<row.field>) * 8 == static_cast<size_t>(WidthBits(row.width));
}
template <size_t... kRows>
constexpr bool AllTraitsMatch(std::index_sequence<kRows...>) {
  return (TraitMatchesRow<kRows>() && ...);
}
static_assert(AllTraitsMatch(std::make_index_sequence<kNumVmcsFields>()));

TEST(VmcsFieldsTest, TypedAccessWidths) {
  static_assert(std::is_same_v<FieldType<VmcsField::kVirtualProcessorId>, uint16_t>);
  static_assert(std::is_same_v<FieldType<VmcsField::kHostTrSelector>, uint16_t>);
  static_assert(std::is_same_v<FieldType<VmcsField::kVmcsLinkPointer>, uint64_t>);
  static_assert(std::is_same_v<FieldType<VmcsField::kGuestCsAccessRights>, uint32_t>);
  static_assert(std::is_same_v<FieldType<VmcsField::kPreemptionTimerValue>, uint32_t>);
  static_assert(std::is_same_v<FieldType<VmcsField::kExitQualification>, uint64_t>);
  static_assert(std::is_same_v<FieldType<VmcsField::kHostRip>, uint64_t>);
}

TEST(VmcsFieldsTest, EveryRowIsFoundByItsEncodingAndOnlySixtyFourBitOnesByHigh) {
  for (const FieldInfo& row : kVmcsFields) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(LookupField(row.encoding), &row);
    EXPECT_EQ(DecodeEncoding(row.encoding).width, row.width);
    EXPECT_EQ(DecodeEncoding(row.encoding).type, row.type());
    EXPECT_EQ(DecodeEncoding(row.encoding).index, row.index);
    EXPECT_EQ(LookupField(row.encoding | 1u), row.has_high_access() ? &row : nullptr);
    EXPECT_EQ(IsHighAccess(row.encoding | 1u), true);
    EXPECT_EQ(IsHighAccess(row.encoding), false);
  }
}

TEST(VmcsFieldsTest, HighHalvesOfSixtyFourBitFields) {
  // SDM 24.11.2: a 64-bit field has a second, odd encoding for its high 32 bits.
  EXPECT_EQ(LookupField(0x2001), &GetFieldInfo(VmcsField::kIoBitmapAAddress));
  EXPECT_EQ(LookupField(0x201B), &GetFieldInfo(VmcsField::kEptPointer));
  EXPECT_EQ(LookupField(0x2401), &GetFieldInfo(VmcsField::kGuestPhysicalAddress));
  EXPECT_EQ(LookupField(0x2801), &GetFieldInfo(VmcsField::kVmcsLinkPointer));
  EXPECT_EQ(LookupField(0x2C03), &GetFieldInfo(VmcsField::kHostIa32Efer));
  EXPECT_EQ(HighAccessEncoding(VmcsField::kTscOffset), 0x2011u);
}

TEST(VmcsFieldsTest, UnknownAndMalformedEncodingsAreRejected) {
  constexpr uint64_t kRejected[] = {
      0x0002,           // posted-interrupt notification vector: not offered
      0x0004,           // EPTP index: EPT-violation #VE not offered
      0x0810,           // guest interrupt status: virtual-interrupt delivery not offered
      0x0812,           // PML index
      0x200E,           // PML address
      0x2012,           // virtual-APIC address: no TPR shadow
      0x2014,           // APIC-access address
      0x2032,           // TSC multiplier
      0x2808,           // guest IA32_PERF_GLOBAL_CTRL
      0x2C04,           // host IA32_PERF_GLOBAL_CTRL
      0x401C,           // TPR threshold
      0x4020,           // PLE gap
      0x482C,           // index 22 of 32-bit guest state: unassigned
      0x0001,           // high access of a 16-bit field
      0x4001,           // high access of a 32-bit field
      0x6801,           // high access of a natural-width field
      0x7800,           // bit 12 set (reserved)
      0x8000,           // bit 15 set
      0x10000681E,      // GUEST_RIP with bit 32 set: the 64-bit register operand counts
      0xFFFFFFFF,
      0x6850,           // natural-width guest index 40: beyond every table
  };
  for (uint64_t encoding : kRejected) {
    SCOPED_TRACE(encoding);
    EXPECT_EQ(LookupField(encoding), nullptr);
  }
}

TEST(VmcsFieldsTest, EncodingWellFormedness) {
  EXPECT_TRUE(EncodingIsWellFormed(0x2001));
  EXPECT_TRUE(EncodingIsWellFormed(0x0002));  // well formed, just not implemented
  EXPECT_FALSE(EncodingIsWellFormed(0x4003));
  EXPECT_FALSE(EncodingIsWellFormed(0x1000));
  EXPECT_FALSE(EncodingIsWellFormed(1ull << 40));
}

TEST(VmcsFieldsTest, DecodeAndMakeEncodingRoundTrip) {
  const EncodingParts rip = {.high = false,
                             .index = 15,
                             .type = ComponentType::kGuestState,
                             .width = FieldWidth::kNatural};
  EXPECT_EQ(DecodeEncoding(0x681E), rip);
  EXPECT_EQ(MakeEncoding(rip), 0x681Eu);
  const EncodingParts gpa_high = {.high = true,
                                  .index = 0,
                                  .type = ComponentType::kReadOnlyData,
                                  .width = FieldWidth::k64};
  EXPECT_EQ(DecodeEncoding(0x2401), gpa_high);
  EXPECT_EQ(MakeEncoding(gpa_high), 0x2401u);
}

TEST(VmcsFieldsTest, FieldCountsByFeature) {
  EXPECT_EQ(kNumVmcsFields, 133);
  EXPECT_EQ(CountFields(VmxFeature::kBase), 116);
  EXPECT_EQ(CountFields(VmxFeature::kMsrBitmaps), 1);
  EXPECT_EQ(CountFields(VmxFeature::kEpt), 6);  // EPTP, GPA, PDPTE0-3
  EXPECT_EQ(CountFields(VmxFeature::kVpid), 1);
  EXPECT_EQ(CountFields(VmxFeature::kVmfunc), 1);
  EXPECT_EQ(CountFields(VmxFeature::kEptpSwitching), 1);
  EXPECT_EQ(CountFields(VmxFeature::kVmcsShadowing), 2);
  EXPECT_EQ(CountFields(VmxFeature::kPreemptionTimer), 1);
  EXPECT_EQ(CountFields(VmxFeature::kPat), 2);
  EXPECT_EQ(CountFields(VmxFeature::kEfer), 2);
  int total = 0;
  for (int f = 0; f < kNumVmxFeatures; ++f) total += CountFields(static_cast<VmxFeature>(f));
  EXPECT_EQ(total, kNumVmcsFields);
}

TEST(VmcsFieldsTest, NamesAreUniqueAndFeaturesNamed) {
  std::set<std::string> names;
  for (const FieldInfo& row : kVmcsFields) EXPECT_TRUE(names.insert(row.name).second);
  for (int f = 0; f < kNumVmxFeatures; ++f) {
    EXPECT_STRNE(VmxFeatureName(static_cast<VmxFeature>(f)), "?");
  }
}

TEST(VmcsFieldsTest, HighestIndexIsThePreemptionTimerValue) {
  // IA32_VMX_VMCS_ENUM reports it (SDM A.9): 0x482E has index 23.
  EXPECT_EQ(HighestFieldIndex(), 23);
}

struct AccessCase {
  const char* what;
  VmcsField field;
  bool high;
  bool in_64bit_mode;
  uint64_t stored;
  uint64_t source;       // for VMWRITE
  uint64_t read;         // expected VMREAD result
  uint64_t written;      // expected field value after VMWRITE
};

// SDM 24.11.2 ("VMREAD, VMWRITE, and Encodings of VMCS Fields") and the VMWRITE
// description: short fields ignore high source bits; a 32-bit operand written through
// the full encoding clears bits 63:32; high access reads/writes bits 63:32 only.
constexpr AccessCase kAccessCases[] = {
    {"16-bit", VmcsField::kGuestCsSelector, false, true, 0x0008, 0xFFFF'0010, 0x0008, 0x0010},
    {"32-bit", VmcsField::kExceptionBitmap, false, true, 0x4000, 0x1'0000'0002, 0x4000, 0x2},
    {"64-bit full, 64-bit mode", VmcsField::kTscOffset, false, true, 0x1234'5678'9ABC'DEF0,
     0xFFFF'0000'0000'0001, 0x1234'5678'9ABC'DEF0, 0xFFFF'0000'0000'0001},
    {"64-bit full, 32-bit mode", VmcsField::kTscOffset, false, false, 0x1234'5678'9ABC'DEF0,
     0xAAAA'BBBB'0000'0001, 0x9ABC'DEF0, 0x0000'0000'0000'0001},
    {"64-bit high, 64-bit mode", VmcsField::kTscOffset, true, true, 0x1234'5678'9ABC'DEF0,
     0xFFFF'FFFF'0000'00AA, 0x1234'5678, 0x0000'00AA'9ABC'DEF0},
    {"64-bit high, 32-bit mode", VmcsField::kTscOffset, true, false, 0x1234'5678'9ABC'DEF0,
     0x0000'0000'0000'00AA, 0x1234'5678, 0x0000'00AA'9ABC'DEF0},
    {"natural full, 32-bit mode", VmcsField::kGuestRip, false, false, 0xFFFF'8000'0000'1000,
     0x0010'0000, 0x0000'1000, 0x0010'0000},
};

TEST(VmcsFieldsTest, VmreadVmwriteWidthRules) {
  for (const AccessCase& c : kAccessCases) {
    SCOPED_TRACE(c.what);
    const FieldInfo& info = GetFieldInfo(c.field);
    EXPECT_EQ(VmreadValue(info, c.high, c.stored, c.in_64bit_mode), c.read);
    EXPECT_EQ(VmwriteValue(info, c.high, c.stored, c.source, c.in_64bit_mode), c.written);
  }
}

TEST(VmcsFieldsTest, ShadowBitmapIndexing) {
  // SDM 24.6.15: bits 14:0 of the encoding select the bitmap bit.
  EXPECT_TRUE(ShadowBitmapApplies(0x681E));
  EXPECT_EQ(ShadowBitmapBit(0x681E), 0x681Eu);
  EXPECT_EQ(ShadowBitmapBit(0x2001), 0x2001u);
  EXPECT_FALSE(ShadowBitmapApplies(0x8000));
  EXPECT_FALSE(ShadowBitmapApplies(1ull << 32));
}

}  // namespace
}  // namespace vmxemu::vmx::arch
