#include "vtx/arch/controls.h"

#include <cstdint>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace vmxemu::vmx::arch {
namespace {

// Capability MSR values in the Appendix A format, typical of recent Intel CPUs: allowed
// 0-settings in bits 31:0, allowed 1-settings in bits 63:32.
constexpr uint64_t kPinBasedCap = 0x0000007F'00000016;      // default1 bits 1, 2, 4
constexpr uint64_t kProcBasedCap = 0xFFF9FFFE'0401E172;     // IA32_VMX_PROCBASED_CTLS
constexpr uint64_t kTrueProcBasedCap = 0xFFF9FFFE'04006172; // CR3 exiting may be 0
constexpr uint64_t kExitCap = 0x01FFFFFF'00036DFF;
constexpr uint64_t kTrueExitCap = 0x01FFFFFF'00036DFB;      // save debug controls may be 0

TEST(ControlsTest, ControlBitsMatchSdmTables) {
  // Table 24-5.
  EXPECT_EQ(pin_ctl::kExternalInterruptExiting, 1u << 0);
  EXPECT_EQ(pin_ctl::kNmiExiting, 1u << 3);
  EXPECT_EQ(pin_ctl::kVirtualNmis, 1u << 5);
  EXPECT_EQ(pin_ctl::kActivatePreemptionTimer, 1u << 6);
  // Table 24-6.
  EXPECT_EQ(primary_ctl::kInterruptWindowExiting, 1u << 2);
  EXPECT_EQ(primary_ctl::kHltExiting, 1u << 7);
  EXPECT_EQ(primary_ctl::kCr3LoadExiting, 1u << 15);
  EXPECT_EQ(primary_ctl::kUseTprShadow, 1u << 21);
  EXPECT_EQ(primary_ctl::kUseIoBitmaps, 1u << 25);
  EXPECT_EQ(primary_ctl::kMonitorTrapFlag, 1u << 27);
  EXPECT_EQ(primary_ctl::kUseMsrBitmaps, 1u << 28);
  EXPECT_EQ(primary_ctl::kActivateSecondaryControls, 1u << 31);
  // Table 24-7.
  EXPECT_EQ(secondary_ctl::kEnableEpt, 1u << 1);
  EXPECT_EQ(secondary_ctl::kDescriptorTableExiting, 1u << 2);
  EXPECT_EQ(secondary_ctl::kEnableRdtscp, 1u << 3);
  EXPECT_EQ(secondary_ctl::kEnableVpid, 1u << 5);
  EXPECT_EQ(secondary_ctl::kWbinvdExiting, 1u << 6);
  EXPECT_EQ(secondary_ctl::kUnrestrictedGuest, 1u << 7);
  EXPECT_EQ(secondary_ctl::kRdrandExiting, 1u << 11);
  EXPECT_EQ(secondary_ctl::kEnableVmFunctions, 1u << 13);
  EXPECT_EQ(secondary_ctl::kVmcsShadowing, 1u << 14);
  EXPECT_EQ(secondary_ctl::kRdseedExiting, 1u << 16);
  // Table 24-10.
  EXPECT_EQ(exit_ctl::kSaveDebugControls, 1u << 2);
  EXPECT_EQ(exit_ctl::kHostAddressSpaceSize, 1u << 9);
  EXPECT_EQ(exit_ctl::kAcknowledgeInterruptOnExit, 1u << 15);
  EXPECT_EQ(exit_ctl::kSaveIa32Pat, 1u << 18);
  EXPECT_EQ(exit_ctl::kLoadIa32Efer, 1u << 21);
  EXPECT_EQ(exit_ctl::kSavePreemptionTimerValue, 1u << 22);
  // Table 24-12.
  EXPECT_EQ(entry_ctl::kLoadDebugControls, 1u << 2);
  EXPECT_EQ(entry_ctl::kIa32eModeGuest, 1u << 9);
  EXPECT_EQ(entry_ctl::kLoadIa32Pat, 1u << 14);
  EXPECT_EQ(entry_ctl::kLoadIa32Efer, 1u << 15);
}

TEST(ControlsTest, GroupsDescribeTheirFieldsAndMsrs) {
  const ControlGroupInfo& pin = GetControlGroup(ControlGroup::kPinBased);
  EXPECT_EQ(pin.field, VmcsField::kPinBasedControls);
  EXPECT_EQ(pin.capability_msr, VmxMsr::kIa32VmxPinbasedCtls);
  EXPECT_TRUE(pin.has_true_msr());
  const ControlGroupInfo& secondary = GetControlGroup(ControlGroup::kSecondaryProcBased);
  EXPECT_FALSE(secondary.has_true_msr());
  EXPECT_EQ(secondary.default1, 0u);
  EXPECT_EQ(CapabilityMsrFor(ControlGroup::kPrimaryProcBased, false),
            VmxMsr::kIa32VmxProcbasedCtls);
  EXPECT_EQ(CapabilityMsrFor(ControlGroup::kPrimaryProcBased, true),
            VmxMsr::kIa32VmxTrueProcbasedCtls);
  EXPECT_EQ(CapabilityMsrFor(ControlGroup::kSecondaryProcBased, true),
            VmxMsr::kIa32VmxProcbasedCtls2);
  EXPECT_EQ(CapabilityMsrFor(ControlGroup::kEntry, true), VmxMsr::kIa32VmxTrueEntryCtls);
}

TEST(ControlsTest, Default1Bits) {
  // Appendix A.3.2: the CR3 exiting controls are default1; HLT exiting is not.
  EXPECT_TRUE(IsDefault1(ControlGroup::kPrimaryProcBased, 15));
  EXPECT_TRUE(IsDefault1(ControlGroup::kPrimaryProcBased, 26));  // reserved
  EXPECT_FALSE(IsDefault1(ControlGroup::kPrimaryProcBased, 7));
  EXPECT_TRUE(IsDefault1(ControlGroup::kExit, 2));
  EXPECT_FALSE(IsDefault1(ControlGroup::kExit, 9));
  EXPECT_TRUE(IsDefault1(ControlGroup::kEntry, 12));  // reserved
  EXPECT_FALSE(IsDefault1(ControlGroup::kSecondaryProcBased, 1));
  // The default1 bits are exactly what the non-TRUE MSRs above must report as allowed-0.
  EXPECT_EQ(Allowed0(kPinBasedCap), GetControlGroup(ControlGroup::kPinBased).default1);
  EXPECT_EQ(Allowed0(kProcBasedCap),
            GetControlGroup(ControlGroup::kPrimaryProcBased).default1);
  EXPECT_EQ(Allowed0(kExitCap), GetControlGroup(ControlGroup::kExit).default1);
}

TEST(ControlsTest, NonTrueCapabilityAddsDefault1) {
  EXPECT_EQ(NonTrueCapability(ControlGroup::kPrimaryProcBased, kTrueProcBasedCap),
            kProcBasedCap);
  EXPECT_EQ(NonTrueCapability(ControlGroup::kExit, kTrueExitCap), kExitCap);
}

TEST(ControlsTest, LookupControlBit) {
  const ControlBitInfo* ept = LookupControlBit(ControlGroup::kSecondaryProcBased, 1);
  ASSERT_NE(ept, nullptr);
  EXPECT_STREQ(ept->name, "enable EPT");
  EXPECT_EQ(LookupControlBit(ControlGroup::kPinBased, 1), nullptr);   // reserved
  EXPECT_EQ(LookupControlBit(ControlGroup::kPrimaryProcBased, 18), nullptr);
  EXPECT_EQ(LookupControlBit(ControlGroup::kEntry, 12), nullptr);
  EXPECT_EQ(DefinedControls(ControlGroup::kPinBased), 0xE9u);
}

TEST(ControlsTest, EveryRowIsNamedAndDescribed) {
  for (const ControlGroupInfo& group : kControlGroups) {
    SCOPED_TRACE(group.name);
    std::set<std::string> names;
    for (int i = 0; i < group.num_bits; ++i) {
      const ControlBitInfo& bit = group.bits[i];
      EXPECT_TRUE(names.insert(bit.name).second) << bit.name;
      EXPECT_GT(std::string(bit.description).size(), 10u) << bit.name;
      EXPECT_EQ(LookupControlBit(group.group, bit.bit), &bit);
    }
  }
}

struct AllowedCase {
  const char* what;
  uint64_t cap;
  uint32_t value;
  bool allowed;
};

// Appendix A.3-A.5: allowed-0 (bits 31:0) set means the control must be 1; allowed-1
// (bits 63:32) clear means it must be 0.
constexpr AllowedCase kAllowedCases[] = {
    {"pin-based defaults", kPinBasedCap, 0x16, true},
    {"pin-based NMI exiting + virtual NMIs", kPinBasedCap, 0x16 | 0x8 | 0x20, true},
    {"pin-based default1 bit 4 clear", kPinBasedCap, 0x06, false},
    {"pin-based posted interrupts unsupported", kPinBasedCap, 0x16 | 0x80, false},
    {"primary: CR3 exiting cleared under non-TRUE MSR", kProcBasedCap, 0x04006172, false},
    {"primary: CR3 exiting cleared under TRUE MSR", kTrueProcBasedCap, 0x04006172, true},
    {"primary: bit 0 never allowed", kProcBasedCap, 0x0401E173, false},
    {"exit: 64-bit host", kExitCap, 0x00036DFF | exit_ctl::kHostAddressSpaceSize, true},
    {"exit: bit 25 beyond allowed-1", kExitCap, 0x00036DFF | (1u << 25), false},
    {"zero capability allows only zero", 0, 0, true},
    {"zero capability rejects anything", 0, 1, false},
};

TEST(ControlsTest, ControlsAllowed) {
  for (const AllowedCase& c : kAllowedCases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(ControlsAllowed(c.cap, c.value), c.allowed);
  }
}

struct AdjustCase {
  const char* what;
  uint64_t cap;
  uint32_t wanted;
  uint32_t adjusted;
};

constexpr AdjustCase kAdjustCases[] = {
    {"nothing wanted: the required bits", kPinBasedCap, 0, 0x16},
    {"NMI exiting and virtual NMIs kept", kPinBasedCap,
     pin_ctl::kNmiExiting | pin_ctl::kVirtualNmis, 0x16 | 0x8 | 0x20},
    {"posted interrupts dropped", kPinBasedCap, pin_ctl::kProcessPostedInterrupts, 0x16},
    {"primary: HLT + MSR bitmaps + secondary", kProcBasedCap,
     primary_ctl::kHltExiting | primary_ctl::kUseMsrBitmaps |
         primary_ctl::kActivateSecondaryControls,
     0x0401E172 | 0x80 | 0x10000000 | 0x80000000},
    {"primary TRUE: CR3 exiting not forced", kTrueProcBasedCap, primary_ctl::kHltExiting,
     0x04006172 | 0x80},
    {"primary: unsupported bit 0 dropped", kProcBasedCap, 1u, 0x0401E172},
};

TEST(ControlsTest, AdjustControls) {
  for (const AdjustCase& c : kAdjustCases) {
    SCOPED_TRACE(c.what);
    const uint32_t adjusted = AdjustControls(c.cap, c.wanted);
    EXPECT_EQ(adjusted, c.adjusted);
    EXPECT_TRUE(ControlsAllowed(c.cap, adjusted));
  }
}

TEST(ControlsTest, MakeControlCapability) {
  EXPECT_EQ(MakeControlCapability(0x16, 0x7F), kPinBasedCap);
  EXPECT_EQ(Allowed1(kProcBasedCap), 0xFFF9FFFEu);
}

}  // namespace
}  // namespace vmxemu::vmx::arch
