#include "machine/loader.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "cpu/cpu.h"
#include "cpu/memory.h"
#include "cpu/platform.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "machine/test_elf.h"

namespace vmxemu::machine {
namespace {

using ::testing::HasSubstr;
using testing::BuildElf;
using testing::TestElf;

constexpr uint64_t kMiB = 1 << 20;

// The loader never runs the CPU: a board with nothing on it.
class NoDevices final : public cpu::Platform {
 public:
  uint32_t PortIn(uint16_t, int) override { return ~0u; }
  void PortOut(uint16_t, int, uint32_t) override {}
  uint64_t MmioRead(uint64_t, int) override { return ~0ull; }
  void MmioWrite(uint64_t, int, uint64_t) override {}
  bool InterruptPending() override { return false; }
  uint8_t AcknowledgeInterrupt() override { return 0xFF; }
  bool TakeNmi() override { return false; }
  uint64_t RunTimers(uint64_t) override { return UINT64_MAX; }
};

uint32_t Read32(const cpu::PhysicalMemory& m, uint64_t addr) {
  uint32_t v = 0;
  EXPECT_TRUE(m.Read(addr, &v, 4));
  return v;
}
uint64_t Read64(const cpu::PhysicalMemory& m, uint64_t addr) {
  uint64_t v = 0;
  EXPECT_TRUE(m.Read(addr, &v, 8));
  return v;
}
std::string ReadString(const cpu::PhysicalMemory& m, uint64_t addr) {
  std::string s;
  for (char c; m.Read(addr, &c, 1) && c != '\0'; ++addr) s += c;
  return s;
}

// A kernel like the QEMU probe this file's expectations come from: code at 1 MiB and a
// BSS so the image ends at 0x10300C, i.e. the tail starts at 0x104000.
std::string ProbeKernel() {
  return BuildElf({.entry = 0x10000C,
                   .segments = {{.paddr = 0x100000, .data = std::string(0x10, '\x90'),
                                 .memsz = 0x300C}}});
}

// The values QEMU 7.2 (-m 128, -kernel k.elf -append "foo bar"
// -initrd "mod1 arg1 arg2,mod2") put in memory, read back with its monitor's xp.
TEST(LoaderTest, InformationMatchesQemu) {
  cpu::PhysicalMemory memory(128 * kMiB);
  const MultibootRequest request{.kernel_path = "k.elf",
                                 .cmdline = "foo bar",
                                 .modules = {"mod1 arg1 arg2", "mod2"}};
  const MultibootFiles files{.kernel = ProbeKernel(),
                             .modules = {"abc\n", std::string(5000, 'x')}};
  absl::StatusOr<LoadedKernel> k = LoadMultiboot(request, files, memory);
  ASSERT_TRUE(k.ok()) << k.status();

  const uint64_t mbi = 0x9500;
  EXPECT_EQ(Read32(memory, mbi + 0), 0x24Fu);       // flags
  EXPECT_EQ(Read32(memory, mbi + 4), 639u);         // mem_lower
  EXPECT_EQ(Read32(memory, mbi + 8), 129920u);      // mem_upper
  EXPECT_EQ(Read32(memory, mbi + 12), 0x8000FFFFu); // boot_device
  EXPECT_EQ(Read32(memory, mbi + 16), 0x104034u);   // cmdline
  EXPECT_EQ(Read32(memory, mbi + 20), 2u);          // mods_count
  EXPECT_EQ(Read32(memory, mbi + 24), 0x104000u);   // mods_addr
  EXPECT_EQ(Read32(memory, mbi + 44), 6u * 24);     // mmap_length (QEMU: 7, see memory_map.h)
  EXPECT_EQ(Read32(memory, mbi + 48), 0x9000u);     // mmap_addr
  EXPECT_EQ(Read32(memory, mbi + 64), 0x104042u);   // boot_loader_name
  for (int off : {28, 32, 36, 40, 52, 56, 60, 68, 72, 76, 80, 84}) {
    EXPECT_EQ(Read32(memory, mbi + off), 0u) << "offset " << off;
  }
  EXPECT_EQ(ReadString(memory, 0x104034), "k.elf foo bar");
  EXPECT_EQ(ReadString(memory, 0x104042), "vmxemu");

  // Modules: the whole -initrd entry is the string; data page-aligned after the tail.
  EXPECT_EQ(Read32(memory, 0x104000), 0x105000u);
  EXPECT_EQ(Read32(memory, 0x104004), 0x105004u);
  EXPECT_EQ(Read32(memory, 0x104008), 0x104020u);
  EXPECT_EQ(Read32(memory, 0x10400C), 0u);
  EXPECT_EQ(Read32(memory, 0x104010), 0x106000u);
  EXPECT_EQ(Read32(memory, 0x104014), 0x106000u + 5000);
  EXPECT_EQ(Read32(memory, 0x104018), 0x10402Fu);
  EXPECT_EQ(ReadString(memory, 0x104020), "mod1 arg1 arg2");
  EXPECT_EQ(ReadString(memory, 0x10402F), "mod2");
  EXPECT_EQ(ReadString(memory, 0x105000), "abc\n");
  ASSERT_EQ(k->modules.size(), 2u);
  EXPECT_EQ(k->modules[1].start, 0x106000u);
  EXPECT_EQ(k->modules[1].string, "mod2");

  // The E820 map as QEMU/SeaBIOS give it, each entry {size 20, base, length, type}.
  const struct { uint64_t base, length; uint32_t type; } map[] = {
      {0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xF0000, 0x10000, 2},
      {0x100000, 0x7EE0000, 1}, {0x7FE0000, 0x20000, 2}, {0xFFFC0000, 0x40000, 2}};
  for (int i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    const uint64_t e = 0x9000 + 24 * i;
    EXPECT_EQ(Read32(memory, e), 20u);
    EXPECT_EQ(Read64(memory, e + 4), map[i].base);
    EXPECT_EQ(Read64(memory, e + 12), map[i].length);
    EXPECT_EQ(Read32(memory, e + 20), map[i].type);
  }
}

TEST(LoaderTest, NoModulesStillSetsTheModuleFlag) {
  // QEMU: flags 0x24F, mods_count 0, mods_addr = the tail, cmdline "k.elf " right there.
  cpu::PhysicalMemory memory(4 * kMiB);
  absl::StatusOr<LoadedKernel> k =
      LoadMultiboot({.kernel_path = "k.elf"}, {.kernel = ProbeKernel()}, memory);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(Read32(memory, 0x9500), 0x24Fu);
  EXPECT_EQ(Read32(memory, 0x9508), 0xB80u);  // QEMU -m 4: 2944 KiB
  EXPECT_EQ(Read32(memory, 0x9510), 0x104000u);
  EXPECT_EQ(Read32(memory, 0x9514), 0u);
  EXPECT_EQ(Read32(memory, 0x9518), 0x104000u);
  EXPECT_EQ(ReadString(memory, 0x104000), "k.elf ");
  EXPECT_EQ(ReadString(memory, 0x104007), "vmxemu");
}

TEST(LoaderTest, SegmentsAreCopiedAndBssZeroed) {
  for (bool elf64 : {false, true}) {
    SCOPED_TRACE(elf64 ? "ELF64" : "ELF32");
    cpu::PhysicalMemory memory(8 * kMiB);
    const std::string junk(0x4000, '\xAA');
    ASSERT_TRUE(memory.Write(0x200000, junk.data(), junk.size()));
    const std::string kernel = BuildElf(
        {.elf64 = elf64,
         .entry = 0x200000,
         .segments = {{.paddr = 0x200000, .data = "CODE"},
                      {.paddr = 0x201000, .data = "DATA", .memsz = 0x2000}}});
    absl::StatusOr<LoadedKernel> k =
        LoadMultiboot({.kernel_path = "k"}, {.kernel = kernel}, memory);
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_EQ(k->format, elf64 ? "ELF64" : "ELF32");
    EXPECT_EQ(k->entry, 0x200000u);
    EXPECT_EQ(Read32(memory, 0x200000), 0x45444F43u);  // "CODE"
    EXPECT_EQ(Read32(memory, 0x201000), 0x41544144u);  // "DATA"
    for (uint64_t a = 0x201004; a < 0x203000; a += 4) {
      ASSERT_EQ(Read32(memory, a), 0u) << std::hex << a;
    }
    EXPECT_EQ(Read32(memory, 0x200004), 0xAAAAAAAAu);  // gaps between segments untouched
  }
}

TEST(LoaderTest, PiecesOutsideUsableRamAreRefused) {
  const struct {
    std::string name;
    uint64_t paddr;
    uint64_t ram_mb;
    std::string error;
  } cases[] = {
      {"past RAM", 200 * kMiB, 128, "k: ELF32 segment at 0xc800000: [0xc800000, 0xc800004) "
                                    "is outside usable RAM (with 128 MiB of RAM, usable RAM is "
                                    "[0x0, 0x9fc00) and [0x100000, 0x7fe0000))"},
      {"in the BIOS area", 0xF0000, 128, "outside usable RAM"},
      {"in SeaBIOS's high tables", 0x7FF0000, 128, "outside usable RAM"},
      {"over the boot information", 0x9400, 128, "overlaps the loader's boot information"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    cpu::PhysicalMemory memory(c.ram_mb * kMiB);
    const std::string kernel =
        BuildElf({.entry = c.paddr, .segments = {{.paddr = c.paddr, .data = "CODE"}}});
    absl::StatusOr<LoadedKernel> k =
        LoadMultiboot({.kernel_path = "k"}, {.kernel = kernel}, memory);
    ASSERT_FALSE(k.ok());
    EXPECT_THAT(std::string(k.status().message()), HasSubstr(c.error));
  }
}

TEST(LoaderTest, ModulesThatDoNotFitAreRefused) {
  cpu::PhysicalMemory memory(2 * kMiB);
  absl::StatusOr<LoadedKernel> k = LoadMultiboot(
      {.kernel_path = "k", .modules = {"big.bin x"}},
      {.kernel = ProbeKernel(), .modules = {std::string(kMiB, 'm')}}, memory);
  ASSERT_FALSE(k.ok());
  EXPECT_THAT(std::string(k.status().message()),
              HasSubstr("module 'big.bin': [0x105000, 0x205000) is outside usable RAM"));
}

TEST(LoaderTest, ReadingFilesNamesTheMissingOne) {
  absl::StatusOr<MultibootFiles> files = ReadMultibootFiles({.kernel_path = "/no/such/k"});
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(std::string(files.status().message()),
              HasSubstr("kernel '/no/such/k': cannot open: No such file or directory"));

  const std::string dir = getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp";
  const std::string kernel = dir + "/loader_test_kernel.elf";
  std::ofstream(kernel, std::ios::binary) << ProbeKernel();
  files = ReadMultibootFiles({.kernel_path = kernel, .modules = {"/no/mod args, more"}});
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(std::string(files.status().message()), HasSubstr("module '/no/mod': cannot open"));

  files = ReadMultibootFiles({.kernel_path = dir});
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(std::string(files.status().message()), HasSubstr("not a regular file"));

  files = ReadMultibootFiles({.kernel_path = kernel, .modules = {kernel + " arg"}});
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->kernel, ProbeKernel());
  ASSERT_EQ(files->modules.size(), 1u);
  EXPECT_EQ(files->modules[0], ProbeKernel());
}

TEST(LoaderTest, StringReservationCountsTheRawInitrdOption) {
  // A comma inside an entry is written ",," in QEMU's -initrd, so the boot loader name
  // moves one byte further for each.
  cpu::PhysicalMemory memory(4 * kMiB);
  absl::StatusOr<LoadedKernel> k = LoadMultiboot(
      {.kernel_path = "k", .modules = {"a x,y"}}, {.kernel = ProbeKernel(), .modules = {"A"}},
      memory);
  ASSERT_TRUE(k.ok()) << k.status();
  // strings at 0x104010: "a x,y\0" then "k \0"; reserved 2 + 1 + 7 = 10 bytes.
  EXPECT_EQ(ReadString(memory, 0x104010), "a x,y");
  EXPECT_EQ(ReadString(memory, 0x104016), "k ");
  EXPECT_EQ(Read32(memory, 0x9540), 0x10401Au);
}

TEST(LoaderTest, EntryStateIsQemus) {
  cpu::PhysicalMemory memory(4 * kMiB);
  NoDevices platform;
  cpu::Cpu cpu(memory, platform);
  absl::StatusOr<LoadedKernel> k =
      LoadMultiboot({.kernel_path = "k"}, {.kernel = ProbeKernel()}, memory);
  ASSERT_TRUE(k.ok()) << k.status();
  EnterMultibootKernel(*k, cpu);
  const cpu::CpuState& s = cpu.s;
  EXPECT_EQ(s.rip, 0x10000Cu);
  EXPECT_EQ(s.gpr[cpu::kRax], 0x2BADB002u);
  EXPECT_EQ(s.gpr[cpu::kRbx], 0x9500u);
  EXPECT_EQ(s.gpr[cpu::kRcx], 0x10000Cu);
  EXPECT_EQ(s.gpr[cpu::kRsp], 0x6F08u);
  EXPECT_EQ(s.Rflags(), 0x6u);
  EXPECT_EQ(s.cr0, 0x11u);
  EXPECT_EQ(s.cr4, 0u);
  EXPECT_EQ(s.msr.efer, 0u);
  EXPECT_EQ(s.gdtr.base, 0xC02B8u);
  EXPECT_EQ(s.gdtr.limit, 0x27u);
  EXPECT_EQ(s.idtr.base, 0u);
  EXPECT_EQ(s.idtr.limit, 0x3FFu);
  EXPECT_EQ(s.seg[cpu::kCs].selector, 0x08);
  EXPECT_EQ(s.seg[cpu::kCs].ar.raw, 0xC09Bu);
  EXPECT_EQ(s.seg[cpu::kCs].limit, 0xFFFFFFFFu);
  for (int seg : {cpu::kDs, cpu::kEs, cpu::kFs, cpu::kGs, cpu::kSs}) {
    SCOPED_TRACE(seg);
    EXPECT_EQ(s.seg[seg].selector, 0x10);
    EXPECT_EQ(s.seg[seg].base, 0u);
    EXPECT_EQ(s.seg[seg].limit, 0xFFFFFFFFu);
    EXPECT_EQ(s.seg[seg].ar.raw, 0xC093u);
  }
  EXPECT_EQ(s.cpl(), 0);
  EXPECT_EQ(cpu.code_size(), 4);
  EXPECT_EQ(Read64(memory, 0xC02B8 + 8), 0x00CF9B000000FFFFu);
  EXPECT_EQ(Read64(memory, 0xC02B8 + 16), 0x00CF93000000FFFFu);
}

}  // namespace
}  // namespace vmxemu::machine
