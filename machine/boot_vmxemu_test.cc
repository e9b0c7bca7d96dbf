// Boots the guest kernels on vmxemu and on QEMU TCG (the oracle) through the kernel
// runner, with the same command line, and checks that both print the same bytes on COM1
// and exit the same way.
//
// One line may differ, and is compared masked: "cpu vendor: ..." — QEMU's default CPU
// model (qemu64) says AuthenticAMD, vmxemu's CPU, which emulates VT-x, GenuineIntel.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/kernel_runner.h"

namespace vmxemu::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kVendorPrefix[] = "cpu vendor: ";

std::string MaskPlatformLines(const std::string& serial) {
  std::string out;
  for (size_t pos = 0; pos < serial.size();) {
    size_t end = serial.find('\n', pos);
    if (end == std::string::npos) end = serial.size();
    std::string line = serial.substr(pos, end - pos);
    if (line.rfind(kVendorPrefix, 0) == 0) line = std::string(kVendorPrefix) + "<vendor>";
    out += line;
    if (end < serial.size()) out += '\n';
    pos = end + 1;
  }
  return out;
}

struct BootCase {
  std::string name;
  KernelSpec spec;
  int exit_code;
};

void PrintTo(const BootCase& c, std::ostream* os) { *os << c.name; }

class BootVmxemuTest : public ::testing::TestWithParam<BootCase> {};

TEST_P(BootVmxemuTest, SerialAndExitMatchQemu) {
  const BootCase& c = GetParam();
  KernelSpec spec = c.spec;
  spec.timeout = std::chrono::minutes(10);
  absl::StatusOr<KernelRun> qemu = RunKernel(Platform::kQemu, spec);
  ASSERT_TRUE(qemu.ok()) << qemu.status();
  absl::StatusOr<KernelRun> vmxemu = RunKernel(Platform::kVmxemu, spec);
  ASSERT_TRUE(vmxemu.ok()) << vmxemu.status();

  ASSERT_FALSE(qemu->timed_out);
  ASSERT_FALSE(vmxemu->timed_out) << vmxemu->serial;
  EXPECT_EQ(qemu->guest_exit_code, c.exit_code) << qemu->serial << qemu->diagnostics;
  EXPECT_EQ(vmxemu->guest_exit_code, c.exit_code) << vmxemu->diagnostics;
  EXPECT_EQ(vmxemu->exit_status, qemu->exit_status) << vmxemu->diagnostics;
  EXPECT_EQ(MaskPlatformLines(vmxemu->serial), MaskPlatformLines(qemu->serial))
      << "vmxemu's stderr:\n" << vmxemu->diagnostics;
  EXPECT_THAT(vmxemu->serial, Not(HasSubstr("FAIL")));
}

std::vector<BootCase> Cases() {
  const std::vector<std::string> modules = {"guests/hello/hello.elf",
                                            "guests/exit_code/exit_code.elf"};
  return {
      {"hello64", {.kernel = "guests/hello/hello.elf", .cmdline = "hi there"}, 0},
      {"hello64_no_cmdline", {.kernel = "guests/hello/hello.elf"}, 0},
      {"hello32", {.kernel = "guests/hello/hello32.elf", .cmdline = "32-bit kernel"}, 0},
      {"exit_code_42", {.kernel = "guests/exit_code/exit_code.elf", .cmdline = "42"}, 42},
      {"exit_code_127", {.kernel = "guests/exit_code/exit_code.elf", .cmdline = "127"}, 127},
      {"selftest64", {.kernel = "guests/selftest/selftest.elf", .modules = modules}, 0},
      {"selftest32", {.kernel = "guests/selftest/selftest32.elf", .modules = modules}, 0},
      {"selftest64_64mb_module_args",
       {.kernel = "guests/selftest/selftest.elf",
        .modules = {"guests/hello/hello32.elf first arg"},
        .memory_mb = 64},
       0},
  };
}

INSTANTIATE_TEST_SUITE_P(Kernels, BootVmxemuTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(MaskPlatformLinesTest, MasksOnlyTheVendorLine) {
  EXPECT_EQ(MaskPlatformLines("a\ncpu vendor: GenuineIntel\nb\n"),
            "a\ncpu vendor: <vendor>\nb\n");
  EXPECT_EQ(MaskPlatformLines("no newline"), "no newline");
  EXPECT_EQ(MaskPlatformLines(""), "");
}

}  // namespace
}  // namespace vmxemu::testing
