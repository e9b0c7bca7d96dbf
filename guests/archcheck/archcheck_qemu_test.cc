// Boots the archcheck guest (64-bit and -m32 builds) on QEMU: vtx/arch's tables must
// compile freestanding and answer the same lookups inside a guest as on the host.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/kernel_runner.h"

namespace vmxemu::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ArchcheckTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ArchcheckTest, LookupsWorkInsideTheGuest) {
  absl::StatusOr<KernelRun> run = RunKernel(Platform::kQemu, {.kernel = GetParam()});
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_FALSE(run->timed_out) << run->serial;
  EXPECT_EQ(run->guest_exit_code, 0) << run->serial;
  EXPECT_THAT(run->serial, Not(HasSubstr("FAIL")));
  EXPECT_THAT(run->serial, HasSubstr("archcheck: 133 VMCS fields, 80 exit reasons, "
                                     "25 VM-instruction errors, 21 VMX MSRs\n"));
  EXPECT_THAT(run->serial,
              HasSubstr("0x681e is GUEST_RIP, 0x201b is the high half of EPT_POINTER\n"));
  EXPECT_THAT(run->serial,
              HasSubstr("exit reason 48: EPT violation; error 12: VMREAD/VMWRITE from/to "
                        "unsupported VMCS component\n"));
  EXPECT_THAT(run->serial, HasSubstr("adjusted pin-based controls 0x3e; qualification "
                                     "0x313 is MOV from CR3 to GPR 3\n"));
  EXPECT_THAT(run->serial, HasSubstr("archcheck: all checks passed\n"));
}

INSTANTIATE_TEST_SUITE_P(Kernels, ArchcheckTest,
                         ::testing::Values("guests/archcheck/archcheck.elf",
                                           "guests/archcheck/archcheck32.elf"));

}  // namespace
}  // namespace vmxemu::testing
