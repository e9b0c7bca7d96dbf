// Boots the guest kernels in QEMU TCG through the kernel runner and checks what they
// print and how they exit. QEMU is the oracle here: these tests show that the guest
// toolchain and runtime produce kernels a real multiboot loader boots.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/kernel_runner.h"

namespace vmxemu::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

KernelRun Boot(const KernelSpec& spec) {
  absl::StatusOr<KernelRun> run = RunKernel(Platform::kQemu, spec);
  EXPECT_TRUE(run.ok()) << run.status().message();
  if (!run.ok()) return {};
  EXPECT_FALSE(run->timed_out) << run->serial;
  return *run;
}

struct HelloCase {
  std::string kernel;
  std::string cmdline;
};

void PrintTo(const HelloCase& c, std::ostream* os) { *os << c.kernel << " '" << c.cmdline << "'"; }

class HelloTest : public ::testing::TestWithParam<HelloCase> {};

TEST_P(HelloTest, PrintsGreetingAndCommandLine) {
  const HelloCase& c = GetParam();
  KernelRun run = Boot({.kernel = c.kernel, .cmdline = c.cmdline});
  // QEMU's multiboot loader passes "<kernel path> <-append text>" (a space even when
  // -append is empty); vmxemu's loader does the same, so outputs compare byte for byte.
  EXPECT_EQ(run.serial, "Hello from vmxemu guest!\ncmdline: " + c.kernel + " " + c.cmdline + "\n");
  EXPECT_EQ(run.guest_exit_code, 0);
  EXPECT_EQ(run.exit_status, 1);  // isa-debug-exit: (0 << 1) | 1
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, HelloTest,
    ::testing::Values(HelloCase{"guests/hello/hello.elf", "hi there"},
                      HelloCase{"guests/hello/hello.elf", ""},
                      HelloCase{"guests/hello/hello32.elf", "32-bit kernel"}));

TEST(ExitCodeTest, GuestExitCodeIsDecoded) {
  for (int code : {0, 1, 42, 127}) {
    SCOPED_TRACE(code);
    KernelRun run = Boot({.kernel = "guests/exit_code/exit_code.elf",
                          .cmdline = std::to_string(code)});
    EXPECT_EQ(run.serial, "exiting with " + std::to_string(code) + "\n");
    EXPECT_EQ(run.guest_exit_code, code);
    EXPECT_EQ(run.exit_status, (code << 1) | 1);
  }
}

class SelftestTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SelftestTest, AllChecksPass) {
  KernelRun run = Boot({.kernel = GetParam(),
                        .modules = {"guests/hello/hello.elf", "guests/exit_code/exit_code.elf"}});
  EXPECT_EQ(run.guest_exit_code, 0) << run.serial;
  EXPECT_THAT(run.serial, Not(HasSubstr("FAIL")));
  EXPECT_THAT(run.serial, HasSubstr("modules: 2\n"));
  EXPECT_THAT(run.serial, HasSubstr("module 0: guests/hello/hello.elf"));
  EXPECT_THAT(run.serial, HasSubstr("ok exception #DE caught and skipped\n"));
  EXPECT_THAT(run.serial, HasSubstr("ok pmm pages distinct\n"));
  EXPECT_THAT(run.serial, HasSubstr("memory: lower=639 KiB upper=129920 KiB\n"));
  EXPECT_THAT(run.serial, ::testing::ContainsRegex("selftest: all [0-9]+ checks passed\n$"));
}

INSTANTIATE_TEST_SUITE_P(Kernels, SelftestTest,
                         ::testing::Values("guests/selftest/selftest.elf",
                                           "guests/selftest/selftest32.elf"));

TEST(SelftestTest, PagingChecksRunIn64BitBuild) {
  KernelRun run = Boot({.kernel = "guests/selftest/selftest.elf"});
  EXPECT_THAT(run.serial,
              HasSubstr("ok paging #PF on write to read-only page: cr2 and error code 3, resumed\n"));
}

TEST(KernelRunnerTest, MissingKernelIsAnError) {
  absl::StatusOr<KernelRun> run = RunKernel(Platform::kQemu, {.kernel = "no/such/kernel.elf"});
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(std::string(run.status().message()), HasSubstr("no/such/kernel.elf"));
}

}  // namespace
}  // namespace vmxemu::testing
