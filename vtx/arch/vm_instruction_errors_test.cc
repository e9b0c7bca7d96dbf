#include "vtx/arch/vm_instruction_errors.h"

#include <cstdint>
#include <set>

#include "gtest/gtest.h"

namespace vmxemu::vmx::arch {
namespace {

// SDM Vol. 3C 30.4, Table 30-1.
TEST(VmInstructionErrorsTest, NumbersMatchTable30_1) {
  struct Case {
    VmInstructionError error;
    uint32_t number;
    const char* description;
  };
  const Case cases[] = {
      {VmInstructionError::kVmcallInVmxRoot, 1, "VMCALL executed in VMX root operation"},
      {VmInstructionError::kVmlaunchNonClearVmcs, 4, "VMLAUNCH with non-clear VMCS"},
      {VmInstructionError::kVmresumeNonLaunchedVmcs, 5, "VMRESUME with non-launched VMCS"},
      {VmInstructionError::kEntryInvalidControlFields, 7,
       "VM entry with invalid control field(s)"},
      {VmInstructionError::kEntryInvalidHostStateFields, 8,
       "VM entry with invalid host-state field(s)"},
      {VmInstructionError::kVmptrldIncorrectRevisionId, 11,
       "VMPTRLD with incorrect VMCS revision identifier"},
      {VmInstructionError::kUnsupportedVmcsComponent, 12,
       "VMREAD/VMWRITE from/to unsupported VMCS component"},
      {VmInstructionError::kVmwriteReadOnlyComponent, 13, "VMWRITE to read-only VMCS component"},
      {VmInstructionError::kVmxonInVmxRoot, 15, "VMXON executed in VMX root operation"},
      {VmInstructionError::kEntryEventsBlockedByMovSs, 26,
       "VM entry with events blocked by MOV SS"},
      {VmInstructionError::kInvalidInveptInvvpidOperand, 28, "Invalid operand to INVEPT/INVVPID"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.number);
    EXPECT_EQ(static_cast<uint32_t>(c.error), c.number);
    EXPECT_STREQ(VmInstructionErrorDescription(c.error), c.description);
  }
}

TEST(VmInstructionErrorsTest, GapsAreUnassigned) {
  const std::set<uint32_t> unassigned = {0, 14, 21, 27, 29, 30};
  for (uint32_t n = 0; n <= 30; ++n) {
    SCOPED_TRACE(n);
    EXPECT_EQ(LookupVmInstructionError(n) == nullptr, unassigned.count(n) == 1);
  }
}

// SDM Vol. 3C 30.2: the six arithmetic flags report the outcome; others are kept.
TEST(VmInstructionErrorsTest, RflagsOutcomes) {
  constexpr uint64_t kIf = 1 << 9, kReserved1 = 1 << 1;
  const uint64_t before = kIf | kReserved1 | 0x8D5;  // CF PF AF ZF SF OF set
  EXPECT_EQ(RflagsAfter(VmxOutcome::kSucceed, before), kIf | kReserved1);
  EXPECT_EQ(RflagsAfter(VmxOutcome::kFailInvalid, before), kIf | kReserved1 | 0x1);
  EXPECT_EQ(RflagsAfter(VmxOutcome::kFailValid, before), kIf | kReserved1 | 0x40);
}

}  // namespace
}  // namespace vmxemu::vmx::arch
