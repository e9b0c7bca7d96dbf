#include "machine/test_elf.h"

#include <elf.h>

#include <cstring>

namespace vmxemu::machine::testing {
namespace {

constexpr uint64_t kPhdrOffset = 0x40;
constexpr uint64_t kHeaderOffset = 0x200;
constexpr uint64_t kDataOffset = 0x1000;

void Put(std::string& file, uint64_t offset, const void* data, size_t len) {
  if (file.size() < offset + len) file.resize(offset + len, '\0');
  memcpy(file.data() + offset, data, len);
}

template <class Ehdr, class Phdr>
std::string Build(const TestElf& spec, unsigned char elf_class, uint16_t machine) {
  std::string file;
  Ehdr e{};
  memcpy(e.e_ident, ELFMAG, SELFMAG);
  e.e_ident[EI_CLASS] = elf_class;
  e.e_ident[EI_DATA] = ELFDATA2LSB;
  e.e_ident[EI_VERSION] = EV_CURRENT;
  e.e_type = ET_EXEC;
  e.e_machine = machine;
  e.e_version = EV_CURRENT;
  e.e_entry = spec.entry;
  e.e_phoff = kPhdrOffset;
  e.e_ehsize = sizeof(Ehdr);
  e.e_phentsize = sizeof(Phdr);
  e.e_phnum = static_cast<uint16_t>(spec.segments.size());
  Put(file, 0, &e, sizeof(e));
  uint64_t data_offset = kDataOffset;
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    const TestSegment& s = spec.segments[i];
    Phdr p{};
    p.p_type = PT_LOAD;
    p.p_flags = s.flags;
    p.p_offset = data_offset;
    p.p_paddr = s.paddr;
    p.p_vaddr = s.vaddr != 0 ? s.vaddr : s.paddr;
    p.p_filesz = s.data.size();
    p.p_memsz = s.memsz != 0 ? s.memsz : s.data.size();
    p.p_align = 16;
    Put(file, kPhdrOffset + i * sizeof(Phdr), &p, sizeof(p));
    Put(file, data_offset, s.data.data(), s.data.size());
    data_offset = (data_offset + s.data.size() + 15) & ~uint64_t{15};
  }
  if (spec.multiboot_header) {
    std::string header = MultibootHeaderBytes(spec.multiboot_flags);
    if (spec.bad_checksum) header[8] ^= 1;
    Put(file, kHeaderOffset, header.data(), header.size());
  }
  if (file.size() < kDataOffset) file.resize(kDataOffset, '\0');
  return file;
}

}  // namespace

std::string MultibootHeaderBytes(uint32_t flags, uint32_t header_addr, uint32_t load_addr,
                                 uint32_t load_end_addr, uint32_t bss_end_addr,
                                 uint32_t entry_addr) {
  const uint32_t magic = 0x1BADB002;
  const uint32_t checksum = 0u - (magic + flags);
  std::vector<uint32_t> words = {magic, flags, checksum};
  if (flags & (1u << 16)) {
    words.insert(words.end(), {header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr});
  }
  return std::string(reinterpret_cast<const char*>(words.data()), words.size() * 4);
}

std::string BuildElf(const TestElf& spec) {
  return spec.elf64 ? Build<Elf64_Ehdr, Elf64_Phdr>(spec, ELFCLASS64, EM_X86_64)
                    : Build<Elf32_Ehdr, Elf32_Phdr>(spec, ELFCLASS32, EM_386);
}

}  // namespace vmxemu::machine::testing
