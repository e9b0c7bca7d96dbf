#include "vtx/arch/capability_msrs.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace vmxemu::vmx::arch {
namespace {

// SDM Vol. 4 Table 2-2 (architectural MSRs) and Vol. 3D Appendix A.
TEST(CapabilityMsrsTest, Indices) {
  struct Case {
    VmxMsr msr;
    uint32_t index;
    const char* name;
  };
  const Case cases[] = {
      {VmxMsr::kIa32FeatureControl, 0x3A, "IA32_FEATURE_CONTROL"},
      {VmxMsr::kIa32VmxBasic, 0x480, "IA32_VMX_BASIC"},
      {VmxMsr::kIa32VmxPinbasedCtls, 0x481, "IA32_VMX_PINBASED_CTLS"},
      {VmxMsr::kIa32VmxProcbasedCtls, 0x482, "IA32_VMX_PROCBASED_CTLS"},
      {VmxMsr::kIa32VmxExitCtls, 0x483, "IA32_VMX_EXIT_CTLS"},
      {VmxMsr::kIa32VmxEntryCtls, 0x484, "IA32_VMX_ENTRY_CTLS"},
      {VmxMsr::kIa32VmxMisc, 0x485, "IA32_VMX_MISC"},
      {VmxMsr::kIa32VmxCr0Fixed0, 0x486, "IA32_VMX_CR0_FIXED0"},
      {VmxMsr::kIa32VmxCr4Fixed1, 0x489, "IA32_VMX_CR4_FIXED1"},
      {VmxMsr::kIa32VmxVmcsEnum, 0x48A, "IA32_VMX_VMCS_ENUM"},
      {VmxMsr::kIa32VmxProcbasedCtls2, 0x48B, "IA32_VMX_PROCBASED_CTLS2"},
      {VmxMsr::kIa32VmxEptVpidCap, 0x48C, "IA32_VMX_EPT_VPID_CAP"},
      {VmxMsr::kIa32VmxTruePinbasedCtls, 0x48D, "IA32_VMX_TRUE_PINBASED_CTLS"},
      {VmxMsr::kIa32VmxTrueEntryCtls, 0x490, "IA32_VMX_TRUE_ENTRY_CTLS"},
      {VmxMsr::kIa32VmxVmfunc, 0x491, "IA32_VMX_VMFUNC"},
      {VmxMsr::kIa32VmxProcbasedCtls3, 0x492, "IA32_VMX_PROCBASED_CTLS3"},
      {VmxMsr::kIa32VmxExitCtls2, 0x493, "IA32_VMX_EXIT_CTLS2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(static_cast<uint32_t>(c.msr), c.index);
    const VmxMsrInfo* info = LookupVmxMsr(c.index);
    ASSERT_NE(info, nullptr);
    EXPECT_STREQ(info->name, c.name);
  }
  EXPECT_EQ(kNumVmxMsrs, 21);
  EXPECT_EQ(LookupVmxMsr(0x494), nullptr);
  EXPECT_EQ(LookupVmxMsr(0x10), nullptr);
}

TEST(CapabilityMsrsTest, FeatureControlGatesVmxon) {
  using namespace feature_control;
  EXPECT_TRUE(FeatureControlAllowsVmxon(kLock | kEnableVmxOutsideSmx, /*in_smx=*/false));
  EXPECT_FALSE(FeatureControlAllowsVmxon(kLock | kEnableVmxOutsideSmx, /*in_smx=*/true));
  EXPECT_TRUE(FeatureControlAllowsVmxon(kLock | kEnableVmxInsideSmx, /*in_smx=*/true));
  EXPECT_FALSE(FeatureControlAllowsVmxon(kEnableVmxOutsideSmx, /*in_smx=*/false));  // unlocked
  EXPECT_FALSE(FeatureControlAllowsVmxon(kLock, /*in_smx=*/false));
  EXPECT_EQ(kSenterLocalFunctionEnables, 0x7F00u);
}

// IA32_VMX_BASIC as a recent Intel CPU reports it (SDM A.1): revision 4, 1024-byte
// regions, dual-monitor SMM, write-back, INS/OUTS info, TRUE controls.
TEST(CapabilityMsrsTest, VmxBasicRoundTrip) {
  const uint64_t value = 0x00DA0400'00000004;
  const VmxBasic basic = {.revision_id = 4,
                          .region_size = 0x400,
                          .dual_monitor_smm = true,
                          .memory_type = kMemoryTypeWriteBack,
                          .ins_outs_info = true,
                          .true_controls = true};
  EXPECT_EQ(VmxBasic::Decode(value), basic);
  EXPECT_EQ(basic.Encode(), value);
  EXPECT_EQ(VmxBasic::Decode(1ull << 56).any_error_code_injection, true);
  EXPECT_EQ(VmxBasic::Decode(1ull << 31).revision_id, 0u);  // bit 31 is not revision
}

// IA32_VMX_MISC (SDM A.6): timer rate 7, stores LMA, HLT/shutdown/wait-for-SIPI, PT,
// RDMSR of SMBASE, 4 CR3 targets, 512-entry MSR lists, bits 28-30.
TEST(CapabilityMsrsTest, VmxMiscRoundTrip) {
  const uint64_t value = 0x00000000'7004C1E7;
  const VmxMisc misc = {.preemption_timer_rate = 7,
                        .exit_stores_lma = true,
                        .activity_hlt = true,
                        .activity_shutdown = true,
                        .activity_wait_for_sipi = true,
                        .pt_in_vmx = true,
                        .rdmsr_smbase_in_smm = true,
                        .cr3_target_count = 4,
                        .msr_list_size_code = 0,
                        .smm_monitor_ctl_bit2 = true,
                        .vmwrite_exit_info = true,
                        .zero_length_injection = true};
  EXPECT_EQ(VmxMisc::Decode(value), misc);
  EXPECT_EQ(misc.Encode(), value);
  EXPECT_EQ(misc.max_msr_list_entries(), 512u);
  EXPECT_EQ(VmxMisc::Decode(0x0600'0000ull).max_msr_list_entries(), 2048u);  // N = 3
  EXPECT_EQ(VmxMisc::Decode(0x1234'5678'0000'0000).mseg_revision_id, 0x12345678u);
}

TEST(CapabilityMsrsTest, FixedBits) {
  constexpr uint64_t kCr0Fixed0 = 0x80000021;  // PG, NE, PE (SDM A.7)
  constexpr uint64_t kCr0Fixed1 = 0xFFFFFFFF;
  constexpr uint64_t kCr4Fixed0 = 0x2000;      // VMXE (SDM A.8)
  constexpr uint64_t kCr4Fixed1 = 0x003767FF;
  EXPECT_TRUE(FixedBitsAllow(kCr0Fixed0, kCr0Fixed1, 0x80050033));
  EXPECT_FALSE(FixedBitsAllow(kCr0Fixed0, kCr0Fixed1, 0x80050032));  // PE clear
  EXPECT_FALSE(FixedBitsAllow(kCr0Fixed0, kCr0Fixed1, 0x1'80050033));  // above fixed1
  EXPECT_TRUE(FixedBitsAllow(kCr4Fixed0, kCr4Fixed1, 0x2020));
  EXPECT_FALSE(FixedBitsAllow(kCr4Fixed0, kCr4Fixed1, 0x0020));       // VMXE clear
  EXPECT_FALSE(FixedBitsAllow(kCr4Fixed0, kCr4Fixed1, 0x402020));     // bit 22
  EXPECT_EQ(ApplyFixedBits(kCr4Fixed0, kCr4Fixed1, 0x400020), 0x2020u);
  // Unrestricted guest: PE and PG become free for the guest CR0 (26.3.1.1); NE stays.
  EXPECT_EQ(GuestCr0Fixed0(kCr0Fixed0, true), kCr0Ne);
  EXPECT_EQ(GuestCr0Fixed0(kCr0Fixed0, false), kCr0Fixed0);
  EXPECT_TRUE(FixedBitsAllow(GuestCr0Fixed0(kCr0Fixed0, true), kCr0Fixed1, 0x30));
}

TEST(CapabilityMsrsTest, VmcsEnum) {
  EXPECT_EQ(VmcsEnumValue(23), 0x2Eu);
  EXPECT_EQ(VmcsEnumHighestIndex(0x2E), 23);
}

// IA32_VMX_EPT_VPID_CAP = 0xF0106734141, as common Intel CPUs report it (SDM A.10).
TEST(CapabilityMsrsTest, EptVpidCapAndInvalidationTypes) {
  constexpr uint64_t kCap = 0x00000F01'06734141;
  using namespace ept_vpid_cap;
  EXPECT_TRUE(kCap & kExecuteOnly);
  EXPECT_TRUE(kCap & kPageWalkLength4);
  EXPECT_FALSE(kCap & kPageWalkLength5);
  EXPECT_TRUE(kCap & kWriteBackStructures);
  EXPECT_TRUE(kCap & kPde2MbPages);
  EXPECT_TRUE(kCap & kPdpte1GbPages);
  EXPECT_TRUE(kCap & kInvept);
  EXPECT_TRUE(kCap & kAccessedDirtyFlags);
  EXPECT_TRUE(kCap & kInvvpid);

  EXPECT_TRUE(InveptTypeSupported(kCap, 1));
  EXPECT_TRUE(InveptTypeSupported(kCap, 2));
  EXPECT_FALSE(InveptTypeSupported(kCap, 0));
  EXPECT_FALSE(InveptTypeSupported(kCap, 3));
  EXPECT_FALSE(InveptTypeSupported(kCap & ~kInveptSingleContext, 1));
  for (uint64_t type = 0; type <= 3; ++type) EXPECT_TRUE(InvvpidTypeSupported(kCap, type));
  EXPECT_FALSE(InvvpidTypeSupported(kCap, 4));
  EXPECT_FALSE(InvvpidTypeSupported(kCap, 1ull << 40));
  EXPECT_FALSE(InvvpidTypeSupported(kCap & ~kInvvpidIndividualAddress, 0));
}

}  // namespace
}  // namespace vmxemu::vmx::arch
