#include "vtx/arch/exit_reasons.h"

#include <cstdint>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace vmxemu::vmx::arch {
namespace {

struct ReasonCase {
  ExitReason reason;
  uint16_t number;  // SDM Vol. 3D Table C-1
  const char* name;
};

constexpr ReasonCase kSdmReasons[] = {
    {ExitReason::kExceptionOrNmi, 0, "Exception or non-maskable interrupt (NMI)"},
    {ExitReason::kExternalInterrupt, 1, "External interrupt"},
    {ExitReason::kTripleFault, 2, "Triple fault"},
    {ExitReason::kInterruptWindow, 7, "Interrupt window"},
    {ExitReason::kTaskSwitch, 9, "Task switch"},
    {ExitReason::kCpuid, 10, "CPUID"},
    {ExitReason::kHlt, 12, "HLT"},
    {ExitReason::kVmcall, 18, "VMCALL"},
    {ExitReason::kVmclear, 19, "VMCLEAR"},
    {ExitReason::kVmxon, 27, "VMXON"},
    {ExitReason::kControlRegisterAccess, 28, "Control-register accesses"},
    {ExitReason::kIoInstruction, 30, "I/O instruction"},
    {ExitReason::kWrmsr, 32, "WRMSR"},
    {ExitReason::kEntryFailureGuestState, 33, "VM-entry failure due to invalid guest state"},
    {ExitReason::kEntryFailureMsrLoading, 34, "VM-entry failure due to MSR loading"},
    {ExitReason::kMwait, 36, "MWAIT"},
    {ExitReason::kMonitorTrapFlag, 37, "Monitor trap flag"},
    {ExitReason::kEntryFailureMachineCheck, 41,
     "VM-entry failure due to machine-check event"},
    {ExitReason::kTprBelowThreshold, 43, "TPR below threshold"},
    {ExitReason::kGdtrIdtrAccess, 46, "Access to GDTR or IDTR"},
    {ExitReason::kLdtrTrAccess, 47, "Access to LDTR or TR"},
    {ExitReason::kEptViolation, 48, "EPT violation"},
    {ExitReason::kEptMisconfiguration, 49, "EPT misconfiguration"},
    {ExitReason::kInvept, 50, "INVEPT"},
    {ExitReason::kPreemptionTimerExpired, 52, "VMX-preemption timer expired"},
    {ExitReason::kInvvpid, 53, "INVVPID"},
    {ExitReason::kWbinvd, 54, "WBINVD or WBNOINVD"},
    {ExitReason::kRdrand, 57, "RDRAND"},
    {ExitReason::kVmfunc, 59, "VMFUNC"},
    {ExitReason::kRdseed, 61, "RDSEED"},
    {ExitReason::kXrstors, 64, "XRSTORS"},
    {ExitReason::kEnclv, 70, "ENCLV"},
    {ExitReason::kEnqcmdPasidFailure, 72, "ENQCMD PASID translation failure"},
    {ExitReason::kBusLock, 74, "Bus lock"},
    {ExitReason::kTdcall, 77, "TDCALL"},
    {ExitReason::kUwrmsr, 81, "UWRMSR"},
    {ExitReason::kWrmsrnsImmediate, 85, "WRMSRNS with immediate operand"},
};

TEST(ExitReasonsTest, NumbersAndNamesMatchAppendixC) {
  for (const ReasonCase& c : kSdmReasons) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(static_cast<uint16_t>(c.reason), c.number);
    const ExitReasonInfo* info = LookupExitReason(c.number);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->reason, c.reason);
    EXPECT_STREQ(info->name, c.name);
    EXPECT_STREQ(ExitReasonName(c.reason), c.name);
  }
}

TEST(ExitReasonsTest, EveryNumberBelow86IsAssignedExceptTheGaps) {
  const std::set<uint32_t> unassigned = {35, 38, 42, 71, 82, 83};
  for (uint32_t n = 0; n < 90; ++n) {
    SCOPED_TRACE(n);
    const bool assigned = n < 86 && !unassigned.count(n);
    const ExitReasonInfo* info = LookupExitReason(n);
    EXPECT_EQ(info != nullptr, assigned);
    if (info != nullptr) {
      EXPECT_EQ(info->number(), n);
    }
  }
  EXPECT_EQ(kNumExitReasons, 80);
  EXPECT_EQ(LookupExitReason(0xFFFF), nullptr);
}

TEST(ExitReasonsTest, NamesAreUnique) {
  std::set<std::string> names;
  for (const ExitReasonInfo& info : kExitReasons) EXPECT_TRUE(names.insert(info.name).second);
}

// SDM Vol. 3C Table 24-14 "Format of Exit Reason".
TEST(ExitReasonsTest, ExitReasonFieldRoundTrips) {
  struct Case {
    uint32_t value;
    ExitReasonField field;
  };
  const Case cases[] = {
      {0x0000000A, {.basic = 10}},
      // A failed VM entry due to invalid guest state, as KVM reports it: 0x80000021.
      {0x80000021, {.basic = 33, .entry_failure = true}},
      {0x80000022, {.basic = 34, .entry_failure = true}},
      {0x08000000 | 48, {.basic = 48, .enclave_mode = true}},
      {0x30000006, {.basic = 6, .pending_mtf = true, .from_vmx_root = true}},
      {0x04000000 | 74, {.basic = 74, .bus_lock_detected = true}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(ExitReasonField::Decode(c.value), c.field);
    EXPECT_EQ(c.field.Encode(), c.value);
  }
  EXPECT_EQ(ExitReasonField::Decode(0x80000021).reason(), ExitReason::kEntryFailureGuestState);
}

TEST(ExitReasonsTest, ExitReasonValues) {
  EXPECT_EQ(ExitReasonValue(ExitReason::kCpuid), 10u);
  EXPECT_EQ(EntryFailureExitReasonValue(ExitReason::kEntryFailureGuestState), 0x80000021u);
  EXPECT_EQ(EntryFailureExitReasonValue(ExitReason::kEntryFailureMsrLoading), 0x80000022u);
  EXPECT_EQ(kExitReasonReservedMask & (kExitReasonBusLockDetected | kExitReasonEnclaveMode |
                                       kExitReasonPendingMtf | kExitReasonFromVmxRoot |
                                       kExitReasonEntryFailure | 0xFFFFu),
            0u);
}

}  // namespace
}  // namespace vmxemu::vmx::arch
