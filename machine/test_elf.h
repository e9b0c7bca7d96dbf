// Builds small multiboot kernel files in memory for the machine package's tests: ELF32
// or ELF64 executables with chosen program headers, and a.out-kludge images.
#ifndef VMXEMU_MACHINE_TEST_ELF_H_
#define VMXEMU_MACHINE_TEST_ELF_H_

#include <cstdint>
#include <string>
#include <vector>

namespace vmxemu::machine::testing {

struct TestSegment {
  uint64_t paddr = 0;
  uint64_t vaddr = 0;   // 0: same as paddr
  std::string data;     // the file bytes (p_filesz = data.size())
  uint64_t memsz = 0;   // 0: data.size()
  uint32_t flags = 7;   // PF_R | PF_W | PF_X
};

struct TestElf {
  bool elf64 = false;
  uint64_t entry = 0;
  std::vector<TestSegment> segments;
  uint32_t multiboot_flags = 3;  // page-align modules, memory info
  bool multiboot_header = true;  // placed at file offset 0x200, outside every segment
  bool bad_checksum = false;
};

// The file: ELF header, program headers at 0x40, the multiboot header at 0x200, segment
// data from 0x1000 on (each at the next 16-byte boundary).
std::string BuildElf(const TestElf& spec);

// The 12-byte multiboot header (magic, flags, checksum), optionally followed by the
// a.out address fields when flags has bit 16.
std::string MultibootHeaderBytes(uint32_t flags, uint32_t header_addr = 0,
                                 uint32_t load_addr = 0, uint32_t load_end_addr = 0,
                                 uint32_t bss_end_addr = 0, uint32_t entry_addr = 0);

}  // namespace vmxemu::machine::testing

#endif  // VMXEMU_MACHINE_TEST_ELF_H_
