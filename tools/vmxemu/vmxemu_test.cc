#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "machine/machine.h"
#include "machine/test_elf.h"
#include "tools/vmxemu/cli.h"

namespace vmxemu::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The argv the kernel runner passes to QEMU, which vmxemu must take as it is.
const std::vector<std::string> kQemuArgv = {
    "-accel", "tcg", "-M", "pc", "-display", "none", "-no-reboot", "-nodefaults",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-m", "64", "-serial",
    "file:/tmp/serial.out", "-kernel", "k.elf", "-append", "a b", "-initrd",
    "m1.bin x,,y,m2.bin"};

TEST(ParseArgsTest, TakesTheKernelRunnersQemuCommandLine) {
  absl::StatusOr<Options> o = ParseArgs(kQemuArgv);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->help);
  EXPECT_EQ(o->config.kernel, "k.elf");
  EXPECT_EQ(o->config.cmdline, "a b");
  EXPECT_THAT(o->config.modules, ElementsAre("m1.bin x,y", "m2.bin"));
  EXPECT_EQ(o->config.ram_mb, 64u);
  EXPECT_EQ(o->serial, SerialKind::kFile);
  EXPECT_EQ(o->serial_path, "/tmp/serial.out");
  EXPECT_EQ(o->config.icount_shift, 0);
  EXPECT_EQ(o->config.budget, 0u);
}

TEST(ParseArgsTest, Defaults) {
  absl::StatusOr<Options> o = ParseArgs({"-kernel", "k"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->config.ram_mb, 128u);
  EXPECT_EQ(o->serial, SerialKind::kStdio);
  EXPECT_TRUE(o->config.modules.empty());
  EXPECT_EQ(o->config.cmdline, "");
}

TEST(ParseArgsTest, ValueForms) {
  const struct {
    std::vector<std::string> args;
    uint64_t ram_mb;
    int shift;
    uint64_t budget;
  } cases[] = {
      {{"-m", "256M"}, 256, 0, 0},
      {{"--m", "1G"}, 1024, 0, 0},
      {{"-m", "size=2048k"}, 2, 0, 0},
      {{"-icount", "3"}, 128, 3, 0},
      {{"-icount", "shift=7,sleep=off,align=off"}, 128, 7, 0},
      {{"-budget", "1000000"}, 128, 0, 1000000},
      {{"-budget", "0x10"}, 128, 0, 16},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args[0] + " " + c.args[1]);
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"-kernel", "k"});
    absl::StatusOr<Options> o = ParseArgs(args);
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->config.ram_mb, c.ram_mb);
    EXPECT_EQ(o->config.icount_shift, c.shift);
    EXPECT_EQ(o->config.budget, c.budget);
  }
}

TEST(ParseArgsTest, SerialDestinations) {
  for (const auto& [value, kind] : std::vector<std::pair<std::string, SerialKind>>{
           {"stdio", SerialKind::kStdio}, {"null", SerialKind::kNull},
           {"none", SerialKind::kNull}, {"file:out.txt", SerialKind::kFile}}) {
    SCOPED_TRACE(value);
    absl::StatusOr<Options> o = ParseArgs({"-serial", value, "-kernel", "k"});
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->serial, kind);
  }
}

TEST(ParseArgsTest, Help) {
  for (const char* flag : {"-h", "-help", "--help"}) {
    absl::StatusOr<Options> o = ParseArgs({flag});
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_TRUE(o->help);
  }
  EXPECT_THAT(Usage(), HasSubstr("Exit status"));
}

TEST(ParseArgsTest, Errors) {
  const struct {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{}, "no kernel: give -kernel FILE"},
      {{"-kernel"}, "option -kernel: needs a value"},
      {{"-kernel", "k", "-hda", "disk.img"}, "unknown or unsupported option '-hda'"},
      {{"-kernel", "k", "disk.img"}, "unexpected argument 'disk.img'"},
      {{"-kernel", "k", "-m", "12x"}, "option -m: '12x' is not a RAM size"},
      {{"-kernel", "k", "-m", "1536k"}, "not a RAM size in whole MiB"},
      {{"-kernel", "k", "-m", "128,maxmem=1G"}, "only a size is supported"},
      {{"-kernel", "k", "-accel", "kvm"}, "option -accel: 'kvm' is not supported"},
      {{"-kernel", "k", "-M", "q35"}, "the only machine is the PC"},
      {{"-kernel", "k", "-display", "gtk"}, "there is no display"},
      {{"-kernel", "k", "-monitor", "stdio"}, "there is no monitor"},
      {{"-kernel", "k", "-serial", "tcp::4444"}, "use stdio, file:PATH or null"},
      {{"-kernel", "k", "-serial", "stdio", "-serial", "null"}, "only one serial port"},
      {{"-kernel", "k", "-device", "e1000"}, "'e1000' is not supported"},
      {{"-kernel", "k", "-device", "isa-debug-exit"}, "got iobase=0x501,iosize=2"},
      {{"-kernel", "k", "-device", "isa-debug-exit,iobase=0xf4,iosize=4,x=1"},
       "property 'x=1'"},
      {{"-kernel", "k", "-icount", "auto"}, "shift=auto is not supported"},
      {{"-kernel", "k", "-icount", "11"}, "not a number in 0..10"},
      {{"-kernel", "k", "-icount", "shift=2,rr=record"}, "sub-option 'rr=record'"},
      {{"-kernel", "k", "-budget", "0"}, "not a positive instruction count"},
      {{"-kernel", "k", "-budget", "-5"}, "not a positive instruction count"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error);
    absl::StatusOr<Options> o = ParseArgs(c.args);
    ASSERT_FALSE(o.ok());
    EXPECT_THAT(std::string(o.status().message()), HasSubstr(c.error));
  }
}

TEST(SplitQemuListTest, DoubledCommaIsLiteral) {
  EXPECT_THAT(SplitQemuList("a,b"), ElementsAre("a", "b"));
  EXPECT_THAT(SplitQemuList("a,,b"), ElementsAre("a,b"));
  EXPECT_THAT(SplitQemuList("a x,,,b"), ElementsAre("a x,", "b"));
  EXPECT_THAT(SplitQemuList(""), ElementsAre(""));
}

TEST(ExitStatusTest, Table) {
  using machine::RunResult;
  using machine::StopKind;
  EXPECT_EQ(ExitStatusFor({.kind = StopKind::kGuestExit, .exit_status = (42 << 1) | 1}), 85);
  EXPECT_EQ(ExitStatusFor({.kind = StopKind::kGuestExit, .exit_status = (0x80 << 1) | 1}), 1);
  EXPECT_EQ(ExitStatusFor({.kind = StopKind::kShutdown}), 0);
  EXPECT_EQ(ExitStatusFor({.kind = StopKind::kBudget}), 4);
  EXPECT_EQ(ExitStatusFor({.kind = StopKind::kHalted}), 6);
  EXPECT_EQ(ExitStatusFor({.kind = StopKind::kError}), 8);
}

// ---- the binary ----------------------------------------------------------------------

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr
};

Outcome RunVmxemu(const std::string& args) {
  Outcome out;
  FILE* p = popen(("tools/vmxemu/vmxemu " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.output.append(buf, n);
  const int st = pclose(p);
  out.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string TempPath(const std::string& name) {
  const char* dir = getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

TEST(VmxemuBinaryTest, HelpExitsZero) {
  Outcome o = RunVmxemu("--help");
  EXPECT_EQ(o.status, 0);
  EXPECT_THAT(o.output, HasSubstr("usage: vmxemu -kernel FILE"));
}

TEST(VmxemuBinaryTest, BadOptionExitsTwo) {
  Outcome o = RunVmxemu("-kernel k -cpu max");
  EXPECT_EQ(o.status, kExitUsage);
  EXPECT_THAT(o.output, HasSubstr("vmxemu: unknown or unsupported option '-cpu'"));
}

TEST(VmxemuBinaryTest, MissingKernelIsNamed) {
  Outcome o = RunVmxemu("-kernel no/such/kernel.elf");
  EXPECT_EQ(o.status, kExitUsage);
  EXPECT_THAT(o.output, HasSubstr("kernel 'no/such/kernel.elf': cannot open"));
}

TEST(VmxemuBinaryTest, BadKernelIsNamed) {
  const std::string path = TempPath("not_multiboot.bin");
  std::ofstream(path, std::ios::binary) << std::string(100, 'x');
  Outcome o = RunVmxemu("-kernel " + path);
  EXPECT_EQ(o.status, kExitUsage);
  EXPECT_THAT(o.output, HasSubstr(path + ": not a multiboot kernel"));
}

TEST(VmxemuBinaryTest, UnwritableSerialFileIsNamed) {
  const std::string path = TempPath("k.elf");
  std::ofstream(path, std::ios::binary) << machine::testing::BuildElf(
      {.entry = 0x100000, .segments = {{.paddr = 0x100000, .data = "\xF4"}}});
  Outcome o = RunVmxemu("-kernel " + path + " -serial file:/no/such/dir/out");
  EXPECT_EQ(o.status, kExitUsage);
  EXPECT_THAT(o.output, HasSubstr("-serial file:/no/such/dir/out: No such file"));
}

TEST(VmxemuBinaryTest, TooMuchRamIsRefused) {
  const std::string path = TempPath("k2.elf");
  std::ofstream(path, std::ios::binary) << machine::testing::BuildElf(
      {.entry = 0x100000, .segments = {{.paddr = 0x100000, .data = "\xF4"}}});
  Outcome o = RunVmxemu("-kernel " + path + " -m 4G");
  EXPECT_EQ(o.status, kExitUsage);
  EXPECT_THAT(o.output, HasSubstr("RAM size 4096 MiB is not supported"));
}

}  // namespace
}  // namespace vmxemu::tools
