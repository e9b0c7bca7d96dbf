#include "machine/machine.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "cpu/testing/assembler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "machine/test_elf.h"

namespace vmxemu::machine {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

// Writes a kernel whose code, loaded and entered at 1 MiB, is `source` (32-bit protected
// mode, as multiboot enters it), with 64 KiB of zeroed memory for its data.
std::string WriteKernel(const std::string& name, const std::string& source,
                        bool elf64 = false) {
  absl::StatusOr<std::vector<uint8_t>> code = cpu::testing::Assemble(source, 32, 0x100000);
  EXPECT_TRUE(code.ok()) << code.status();
  if (!code.ok()) return "";
  const std::string bytes(code->begin(), code->end());
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << testing::BuildElf(
      {.elf64 = elf64,
       .entry = 0x100000,
       .segments = {{.paddr = 0x100000,
                     .data = bytes,
                     .memsz = std::max<uint64_t>(bytes.size(), 0x10000)}}});
  return path;
}

// Creates the machine with COM1 going to `serial` (which must outlive it).
std::unique_ptr<Machine> Create(MachineConfig config, std::string* serial) {
  config.serial_out = [serial](char c) { *serial += c; };
  absl::StatusOr<std::unique_ptr<Machine>> m = Machine::Create(config);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : nullptr;
}

constexpr char kExit42[] = R"(
  mov dx, 0xf4
  mov eax, 42
  out dx, eax
  hlt
)";

TEST(MachineTest, GuestExitIsAValue) {
  std::string serial;
  auto m = Create({.kernel = WriteKernel("exit42.elf", kExit42)}, &serial);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->kernel().entry, 0x100000u);
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kGuestExit) << r.message;
  EXPECT_EQ(r.exit_status, (42u << 1) | 1);
  EXPECT_EQ(r.instructions, 3u);  // the OUT ends the run
}

TEST(MachineTest, Elf64KernelBoots) {
  // QEMU refuses ELF64 multiboot kernels; vmxemu loads them by the same rules.
  std::string serial;
  auto m = Create({.kernel = WriteKernel("exit42_64.elf", kExit42, /*elf64=*/true)}, &serial);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->kernel().format, "ELF64");
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kGuestExit) << r.message;
  EXPECT_EQ(r.exit_status, (42u << 1) | 1);
}

TEST(MachineTest, SerialOutputReachesTheSink) {
  std::string serial;
  auto m = Create({.kernel = WriteKernel("hi.elf", R"(
    mov dx, 0x3f8
    mov al, 'H'
    out dx, al
    mov al, 'i'
    out dx, al
    mov al, 10
    out dx, al
  )" + std::string(kExit42))},
                  &serial);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->Run().kind, StopKind::kGuestExit);
  EXPECT_EQ(serial, "Hi\n");
}

TEST(MachineTest, MultibootRegistersAtEntry) {
  // Exits with EAX == magic && EBX == 0x9500 ? 1 : 2.
  std::string serial;
  auto m = Create({.kernel = WriteKernel("regs.elf", R"(
    mov ecx, 2
    cmp eax, 0x2badb002
    jne 1f
    cmp ebx, 0x9500
    jne 1f
    mov ecx, 1
  1:
    mov eax, ecx
    mov dx, 0xf4
    out dx, eax
  )")},
                  &serial);
  ASSERT_NE(m, nullptr);
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kGuestExit) << r.message;
  EXPECT_EQ(r.exit_status >> 1, 1u);
}

TEST(MachineTest, BudgetStopsAndRunContinues) {
  std::string serial;
  auto m = Create({.kernel = WriteKernel("loop.elf", "1: jmp 1b"), .budget = 1000}, &serial);
  ASSERT_NE(m, nullptr);
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kBudget);
  EXPECT_EQ(r.instructions, 1000u);
  EXPECT_THAT(r.message, HasSubstr("budget of 1000 exhausted at RIP=0x100000"));
  EXPECT_EQ(m->Run().kind, StopKind::kBudget);
  EXPECT_EQ(m->cpu().retired(), 2000u);
}

TEST(MachineTest, HaltWithInterruptsDisabledIsForever) {
  std::string serial;
  auto m = Create({.kernel = WriteKernel("halt.elf", "cli\nhlt")}, &serial);
  ASSERT_NE(m, nullptr);
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kHalted) << r.message;
  EXPECT_THAT(r.message, HasSubstr("HLT"));
}

TEST(MachineTest, TripleFaultIsShutdownWithRegisters) {
  // An empty IDT: #UD cannot be delivered (#GP), nor can #GP (#DF), nor #DF.
  std::string serial;
  auto m = Create({.kernel = WriteKernel("triple.elf", R"(
    lidt [idtr]
    ud2
  idtr:
    .word 0
    .long 0
  )")},
                  &serial);
  ASSERT_NE(m, nullptr);
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kShutdown) << r.message;
  EXPECT_THAT(r.message, HasSubstr("triple fault"));
  EXPECT_THAT(r.message, HasSubstr("RIP="));
}

TEST(MachineTest, EmulatorLimitIsAnError) {
  // Executing from the local APIC's MMIO window is not something vmxemu does.
  std::string serial;
  auto m = Create({.kernel = WriteKernel("mmio_fetch.elf", R"(
    mov eax, 0xfee00000
    jmp eax
  )")},
                  &serial);
  ASSERT_NE(m, nullptr);
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kError);
  EXPECT_THAT(r.message, HasSubstr("0xfee00000"));
}

// An IDT at 0x108000 with one 32-bit interrupt gate for `vector` to `handler`, then
// `setup`, STI, and HLT in a loop; `handler` is the given code, followed by an exit with
// the value in EAX.
std::string InterruptKernel(int vector, const std::string& setup, const std::string& handler) {
  const std::string gate = std::to_string(0x108000 + 8 * vector);
  return R"(
    mov esp, 0x10f000
    mov eax, offset handler
    mov word ptr [)" + gate + R"(], ax
    mov word ptr [)" + gate + R"( + 2], 0x08
    mov word ptr [)" + gate + R"( + 4], 0x8e00
    shr eax, 16
    mov word ptr [)" + gate + R"( + 6], ax
    lidt [idtr]
  )" + setup + R"(
    sti
  1:
    hlt
    jmp 1b
  handler:
  )" + handler + R"(
    mov dx, 0xf4
    out dx, eax
  idtr:
    .word 0x7ff
    .long 0x108000
  )";
}

TEST(MachineTest, PicInterruptReachesTheCpuThroughLint0) {
  // IRQ0 at vector 8 (the master PIC as SeaBIOS programs it). The PIT's first edge is
  // latched in IRR at power-up (QEMU too has IRR bit 0 set at kernel entry), so it is
  // taken as soon as it is unmasked.
  std::string serial;
  auto m = Create({.kernel = WriteKernel("pic.elf", InterruptKernel(8, R"(
    mov al, 0xfe
    out 0x21, al
  )", "mov eax, 0x55"))},
                  &serial);
  ASSERT_NE(m, nullptr);
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kGuestExit) << r.message;
  EXPECT_EQ(r.exit_status >> 1, 0x55u);
}

TEST(MachineTest, PitTicksAt18Hz) {
  // Counts IRQ0s (EOI after each); exits with the count at the third.
  std::string serial;
  auto m = Create({.kernel = WriteKernel("pit.elf", InterruptKernel(8, R"(
    mov dword ptr [0x10e000], 0
    mov al, 0xfe
    out 0x21, al
  )", R"(
    mov al, 0x20
    out 0x20, al
    inc dword ptr [0x10e000]
    cmp dword ptr [0x10e000], 3
    je 2f
    iretd
  2:
    mov eax, [0x10e000]
  )"))},
                  &serial);
  ASSERT_NE(m, nullptr);
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kGuestExit) << r.message;
  EXPECT_EQ(r.exit_status >> 1, 3u);
  // The first IRQ0 was pending at entry; two more take two 65536-clock periods.
  EXPECT_GE(m->cpu().vtime_ns(), 2 * 54'925'000u);
  EXPECT_LT(m->cpu().vtime_ns(), 3 * 54'925'000u);
}

TEST(MachineTest, LapicTimerInterrupt) {
  std::string serial;
  auto m = Create({.kernel = WriteKernel("lapic.elf", InterruptKernel(0x40, R"(
    mov dword ptr [0xfee003e0], 0xb
    mov dword ptr [0xfee00320], 0x40
    mov dword ptr [0xfee00380], 1000
  )", "mov eax, 0x55"))},
                  &serial);
  ASSERT_NE(m, nullptr);
  RunResult r = m->Run();
  EXPECT_EQ(r.kind, StopKind::kGuestExit) << r.message;
  EXPECT_EQ(r.exit_status >> 1, 0x55u);
  EXPECT_GE(m->cpu().vtime_ns(), 1000u);
  EXPECT_LT(m->cpu().vtime_ns(), 2000u);
}

TEST(MachineTest, ConfigurationErrorsNameTheProblem) {
  const std::string kernel = WriteKernel("ok.elf", kExit42);
  const struct {
    MachineConfig config;
    std::string error;
  } cases[] = {
      {{.kernel = kernel, .ram_mb = 1}, "RAM size 1 MiB is not supported"},
      {{.kernel = kernel, .ram_mb = 4096}, "RAM size 4096 MiB is not supported"},
      {{.kernel = kernel, .icount_shift = 11}, "icount shift 11 is out of range"},
      {{.kernel = ""}, "no kernel given"},
      {{.kernel = TempPath("missing.elf")}, "missing.elf': cannot open"},
      {{.kernel = kernel, .modules = {"/no/such/module arg"}}, "module '/no/such/module'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error);
    absl::StatusOr<std::unique_ptr<Machine>> m = Machine::Create(c.config);
    ASSERT_FALSE(m.ok());
    EXPECT_THAT(std::string(m.status().message()), HasSubstr(c.error));
  }
}

TEST(MachineTest, LoaderWarningsGoToTheWarningSink) {
  const std::string path = TempPath("video.elf");
  std::ofstream(path, std::ios::binary) << testing::BuildElf(
      {.entry = 0x100000,
       .segments = {{.paddr = 0x100000, .data = "\xF4"}},
       .multiboot_flags = 7});
  std::string warnings;
  absl::StatusOr<std::unique_ptr<Machine>> m = Machine::Create(
      {.kernel = path, .warn = [&warnings](std::string w) { warnings += w; }});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(warnings, HasSubstr("video mode"));
}

}  // namespace
}  // namespace vmxemu::machine
