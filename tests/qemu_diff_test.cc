// Whole-program differential test: every guest in guests/difftest runs on QEMU TCG, the
// oracle, and must print a clean transcript and exit 0; then it runs on vmxemu, whose
// serial output and exit code must be identical to QEMU's. The guests print only what
// is architecturally defined (guests/difftest/report.h); lines about the CPU model
// ("cpu-model: ...") are left out of the comparison.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/kernel_runner.h"

namespace vmxemu::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// The comparison with vmxemu. Off only if Platform::kVmxemu or //tools/vmxemu is
// unavailable; then drop //tools/vmxemu from the test's data as well.
constexpr bool kCompareWithVmxemu = true;

constexpr char kModelPrefix[] = "cpu-model: ";  // guests/difftest/report.h

struct DiffKernel {
  std::string name;   // guests/difftest/<name>.elf
  std::string topic;  // The guest's last line is "<topic>: N checks, 0 failed".
  // Why vmxemu does not match QEMU yet, or empty: the comparison is skipped with this
  // reason while it is set. Remove the entry once vmxemu is fixed.
  std::string vmxemu_known_issue;
};

void PrintTo(const DiffKernel& k, std::ostream* os) { *os << k.name; }

const DiffKernel kKernels[] = {
    {"arith", "arith", ""},
    {"arith32", "arith", ""},
    {"exceptions", "exceptions", ""},
    {"modes", "modes", ""},
    {"modes32", "modes", ""},
    {"paging", "paging", ""},
    {"paging32", "paging", ""},
    {"smc", "smc", ""},
    {"strings", "strings", ""},
    {"timers", "timers", ""},
};

KernelSpec Spec(const DiffKernel& k) {
  // vmxemu sends each serial byte in the UART's real time at 115200 baud (about 87k
  // instructions of virtual time); the longest transcript takes about a minute.
  return {.kernel = "guests/difftest/" + k.name + ".elf", .timeout = std::chrono::minutes(5)};
}

// One QEMU run per kernel, shared by both tests of a shard.
const KernelRun& QemuRun(const DiffKernel& k) {
  static auto* runs = new std::map<std::string, KernelRun>;
  auto it = runs->find(k.name);
  if (it != runs->end()) return it->second;
  absl::StatusOr<KernelRun> run = RunKernel(Platform::kQemu, Spec(k));
  EXPECT_TRUE(run.ok()) << run.status().message();
  return (*runs)[k.name] = run.ok() ? *run : KernelRun{};
}

std::string Comparable(absl::string_view transcript) {
  std::string kept;
  for (absl::string_view line : absl::StrSplit(transcript, '\n')) {
    if (absl::StartsWith(line, kModelPrefix)) continue;
    absl::StrAppend(&kept, line, "\n");
  }
  return kept;
}

// "line N: qemu '...' vs vmxemu '...'" for the first line that differs.
std::string FirstDifference(absl::string_view qemu, absl::string_view vmxemu) {
  std::vector<absl::string_view> a = absl::StrSplit(qemu, '\n');
  std::vector<absl::string_view> b = absl::StrSplit(vmxemu, '\n');
  for (size_t i = 0; i < a.size() || i < b.size(); ++i) {
    absl::string_view x = i < a.size() ? a[i] : "<end>";
    absl::string_view y = i < b.size() ? b[i] : "<end>";
    if (x != y) {
      return absl::StrCat("first difference at line ", i + 1, ":\n  qemu:   ", x,
                          "\n  vmxemu: ", y);
    }
  }
  return "no difference";
}

class DiffTest : public ::testing::TestWithParam<DiffKernel> {};

TEST_P(DiffTest, QemuTranscriptIsClean) {
  const DiffKernel& k = GetParam();
  const KernelRun& run = QemuRun(k);
  EXPECT_FALSE(run.timed_out) << run.serial;
  EXPECT_EQ(run.guest_exit_code, 0) << run.serial << run.diagnostics;
  EXPECT_THAT(run.serial, Not(HasSubstr("FAIL"))) << run.serial;
  EXPECT_THAT(run.serial, ContainsRegex(k.topic + ": [0-9]+ checks, 0 failed\n$")) << run.serial;
}

TEST_P(DiffTest, VmxemuMatchesQemu) {
  const DiffKernel& k = GetParam();
  if (!kCompareWithVmxemu) GTEST_SKIP() << "comparison with vmxemu switched off";
  if (!k.vmxemu_known_issue.empty()) {
    GTEST_SKIP() << "known vmxemu issue: " << k.vmxemu_known_issue;
  }
  const KernelRun& qemu = QemuRun(k);
  absl::StatusOr<KernelRun> vmxemu = RunKernel(Platform::kVmxemu, Spec(k));
  ASSERT_TRUE(vmxemu.ok()) << vmxemu.status().message();
  EXPECT_FALSE(vmxemu->timed_out) << vmxemu->serial;
  std::string want = Comparable(qemu.serial);
  std::string got = Comparable(vmxemu->serial);
  EXPECT_TRUE(got == want) << FirstDifference(want, got) << "\nvmxemu's stderr:\n"
                           << vmxemu->diagnostics;
  EXPECT_EQ(vmxemu->guest_exit_code, qemu.guest_exit_code) << vmxemu->diagnostics;
}

INSTANTIATE_TEST_SUITE_P(Guests, DiffTest, ::testing::ValuesIn(kKernels),
                         [](const ::testing::TestParamInfo<DiffKernel>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace vmxemu::testing
