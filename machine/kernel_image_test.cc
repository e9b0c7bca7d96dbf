#include "machine/kernel_image.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "machine/test_elf.h"

namespace vmxemu::machine {
namespace {

using ::testing::HasSubstr;
using testing::BuildElf;
using testing::MultibootHeaderBytes;
using testing::TestElf;

TestElf TwoSegmentKernel(bool elf64) {
  return {.elf64 = elf64,
          .entry = 0x100010,
          .segments = {{.paddr = 0x100000, .data = std::string(0x20, 'T'), .flags = 5},
                       {.paddr = 0x102000, .data = "data", .memsz = 0x1800, .flags = 6}}};
}

TEST(KernelImageTest, Elf32AndElf64GiveTheSameLayout) {
  for (bool elf64 : {false, true}) {
    SCOPED_TRACE(elf64 ? "ELF64" : "ELF32");
    absl::StatusOr<KernelImage> image =
        ParseKernelImage("k.elf", BuildElf(TwoSegmentKernel(elf64)));
    ASSERT_TRUE(image.ok()) << image.status();
    EXPECT_EQ(image->format, elf64 ? "ELF64" : "ELF32");
    EXPECT_EQ(image->entry, 0x100010u);
    EXPECT_EQ(image->header.file_offset, 0x200u);
    EXPECT_EQ(image->header.flags, 3u);
    ASSERT_EQ(image->segments.size(), 2u);
    EXPECT_EQ(image->segments[0].paddr, 0x100000u);
    EXPECT_EQ(image->segments[0].file_size, 0x20u);
    EXPECT_EQ(image->segments[1].paddr, 0x102000u);
    EXPECT_EQ(image->segments[1].file_size, 4u);
    EXPECT_EQ(image->segments[1].mem_size, 0x1800u);
    EXPECT_EQ(image->start, 0x100000u);
    EXPECT_EQ(image->end, 0x103800u);
    EXPECT_TRUE(image->warnings.empty());
  }
}

TEST(KernelImageTest, EntryIsTranslatedThroughItsExecutableSegment) {
  // A higher-half kernel: linked at 0xC0100000, loaded at 1 MiB (QEMU's load_elf rule).
  TestElf spec{.entry = 0xC0100004,
               .segments = {{.paddr = 0x100000, .vaddr = 0xC0100000, .data = "codecode",
                             .flags = 5}}};
  absl::StatusOr<KernelImage> image = ParseKernelImage("k", BuildElf(spec));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->entry, 0x100004u);
}

TEST(KernelImageTest, SegmentsWithoutMemoryAreSkipped) {
  TestElf spec = TwoSegmentKernel(false);
  spec.segments.push_back({.paddr = 0x500000, .data = ""});
  absl::StatusOr<KernelImage> image = ParseKernelImage("k", BuildElf(spec));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->segments.size(), 2u);
  EXPECT_EQ(image->end, 0x103800u);
}

struct BadKernelCase {
  std::string name;
  std::string file;
  std::string error;  // a substring of the message (which starts with the path)
};

void PrintTo(const BadKernelCase& c, std::ostream* os) { *os << c.name; }

class BadKernelTest : public ::testing::TestWithParam<BadKernelCase> {};

TEST_P(BadKernelTest, IsRefusedNamingFileAndProblem) {
  absl::StatusOr<KernelImage> image = ParseKernelImage("dir/kernel.elf", GetParam().file);
  ASSERT_FALSE(image.ok());
  const std::string message(image.status().message());
  EXPECT_THAT(message, ::testing::StartsWith("dir/kernel.elf: "));
  EXPECT_THAT(message, HasSubstr(GetParam().error));
}

std::string Truncate(std::string s, size_t n) { return s.substr(0, n); }

std::string WithMachine(std::string file, uint16_t machine) {
  memcpy(file.data() + 18, &machine, 2);
  return file;
}

std::vector<BadKernelCase> BadKernels() {
  const std::string good = BuildElf(TwoSegmentKernel(false));
  TestElf no_header = TwoSegmentKernel(false);
  no_header.multiboot_header = false;
  TestElf bad_checksum = TwoSegmentKernel(false);
  bad_checksum.bad_checksum = true;
  TestElf unsupported = TwoSegmentKernel(false);
  unsupported.multiboot_flags = 3 | (1u << 5);
  TestElf overlap = TwoSegmentKernel(false);
  overlap.segments[1].paddr = 0x100010;
  TestElf bss_smaller = TwoSegmentKernel(false);
  bss_smaller.segments[1].memsz = 2;
  TestElf high = TwoSegmentKernel(true);
  high.segments[1].paddr = 0xFFFFF000;
  TestElf high_entry = TwoSegmentKernel(true);
  high_entry.entry = 0x100000000;
  std::string not_elf(0x100, '\0');
  not_elf += MultibootHeaderBytes(3);
  return {
      {"no header", BuildElf(no_header), "no multiboot header"},
      {"bad checksum", BuildElf(bad_checksum), "bad checksum"},
      {"empty file", "", "no multiboot header"},
      {"unsupported flag", BuildElf(unsupported), "unsupported bits 0x20"},
      {"not ELF", not_elf, "not an ELF file"},
      {"truncated segment", Truncate(good, 0x1010), "truncated: ELF segment 0"},
      {"wrong machine", WithMachine(good, 62), "unsupported ELF class 1 / machine 62"},
      {"overlapping segments", BuildElf(overlap), "segments overlap"},
      {"filesz above memsz", BuildElf(bss_smaller), "larger than p_memsz"},
      {"segment past 4 GiB", BuildElf(high), "ends past 4 GiB"},
      {"entry past 4 GiB", BuildElf(high_entry), "entry point 0x100000000 is above 4 GiB"},
  };
}

INSTANTIATE_TEST_SUITE_P(Cases, BadKernelTest, ::testing::ValuesIn(BadKernels()));

TEST(KernelImageTest, TruncatedProgramHeaderTable) {
  std::string file = BuildElf(TwoSegmentKernel(false));
  // Point e_phoff past the end of the file.
  const uint32_t phoff = 0x10000;
  memcpy(file.data() + 28, &phoff, 4);
  absl::StatusOr<KernelImage> image = ParseKernelImage("k", file);
  ASSERT_FALSE(image.ok());
  EXPECT_THAT(std::string(image.status().message()), HasSubstr("truncated: the ELF program"));
}

TEST(KernelImageTest, VideoModeRequestIsIgnoredWithAWarning) {
  TestElf spec = TwoSegmentKernel(false);
  spec.multiboot_flags = 3 | 4;
  absl::StatusOr<KernelImage> image = ParseKernelImage("k", BuildElf(spec));
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ(image->warnings.size(), 1u);
  EXPECT_THAT(image->warnings[0], HasSubstr("video mode"));
}

TEST(KernelImageTest, AoutKludgeLoadsByTheHeaderFields) {
  // The header sits at file offset 8 and says it is at 0x200008: the load starts at file
  // offset 0 = physical 0x200000, 0x40 bytes, BSS to 0x201000, entry 0x200020.
  std::string file = "\x90\x90\x90\x90\x90\x90\x90\x90";
  file += MultibootHeaderBytes(0x10003, 0x200008, 0x200000, 0x200040, 0x201000, 0x200020);
  file.resize(0x60, '\xCC');  // bytes past load_end_addr are not loaded
  absl::StatusOr<KernelImage> image = ParseKernelImage("k.bin", file);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->format, "a.out kludge");
  EXPECT_EQ(image->entry, 0x200020u);
  ASSERT_EQ(image->segments.size(), 1u);
  EXPECT_EQ(image->segments[0].paddr, 0x200000u);
  EXPECT_EQ(image->segments[0].file_offset, 0u);
  EXPECT_EQ(image->segments[0].file_size, 0x40u);
  EXPECT_EQ(image->segments[0].mem_size, 0x1000u);
}

TEST(KernelImageTest, AoutKludgeWithoutEndAddressesLoadsTheRestOfTheFile) {
  std::string file = MultibootHeaderBytes(0x10003, 0x300000, 0x300000, 0, 0, 0x300000);
  file.resize(0x123, '\x90');
  absl::StatusOr<KernelImage> image = ParseKernelImage("k.bin", file);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->segments[0].file_size, 0x123u);
  EXPECT_EQ(image->segments[0].mem_size, 0x123u);
}

TEST(KernelImageTest, AoutKludgeFieldsAreChecked) {
  const struct {
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
    std::string error;
  } cases[] = {
      {0x1000, 0x2000, 0, 0, "header_addr 0x1000 is below load_addr 0x2000"},
      {0x2010, 0x2000, 0, 0, "before the file"},
      {0x2000, 0x2000, 0x1000, 0, "load_end_addr 0x1000 is below load_addr"},
      {0x2000, 0x2000, 0x2010, 0x2008, "bss_end_addr 0x2008 is below"},
      {0x2000, 0x2000, 0x3000, 0, "truncated"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error);
    std::string file = MultibootHeaderBytes(0x10003, c.header_addr, c.load_addr,
                                            c.load_end_addr, c.bss_end_addr, c.load_addr);
    file.resize(0x100, '\0');
    absl::StatusOr<KernelImage> image = ParseKernelImage("k.bin", file);
    ASSERT_FALSE(image.ok());
    EXPECT_THAT(std::string(image.status().message()), HasSubstr(c.error));
  }
}

TEST(KernelImageTest, HeaderAfterTheFirst8KiBIsNotFound) {
  std::string file(8192, '\0');
  file += MultibootHeaderBytes(3);
  absl::StatusOr<KernelImage> image = ParseKernelImage("k", file);
  ASSERT_FALSE(image.ok());
  EXPECT_THAT(std::string(image.status().message()), HasSubstr("first 8192 bytes"));
}

}  // namespace
}  // namespace vmxemu::machine
