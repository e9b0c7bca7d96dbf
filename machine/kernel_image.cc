#include "machine/kernel_image.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"

namespace vmxemu::machine {
namespace {

constexpr uint64_t k4GiB = uint64_t{1} << 32;

absl::Status Error(std::string_view name, const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s", std::string(name), problem));
}

uint32_t Le32(std::string_view bytes, uint64_t offset) {
  uint32_t v;
  memcpy(&v, bytes.data() + offset, sizeof(v));
  return v;
}

// Finds the first 32-bit aligned magic with a valid checksum in the first 8 KiB (3.1.1).
absl::StatusOr<MultibootHeader> FindHeader(std::string_view name, std::string_view bytes) {
  const uint64_t limit = std::min<uint64_t>(bytes.size(), kMultibootSearchBytes);
  int64_t bad_checksum_at = -1;
  for (uint64_t off = 0; off + 12 <= limit; off += 4) {
    if (Le32(bytes, off) != kMultibootHeaderMagic) continue;
    const uint32_t flags = Le32(bytes, off + 4);
    if (kMultibootHeaderMagic + flags + Le32(bytes, off + 8) != 0) {
      if (bad_checksum_at < 0) bad_checksum_at = static_cast<int64_t>(off);
      continue;
    }
    MultibootHeader h{.file_offset = static_cast<uint32_t>(off), .flags = flags};
    if (flags & header_flags::kAoutKludge) {
      if (off + 32 > bytes.size()) {
        return Error(name, absl::StrFormat(
                               "truncated: the multiboot header at offset 0x%x has the "
                               "a.out address fields (flag 16) but the file ends at 0x%x",
                               off, bytes.size()));
      }
      h.header_addr = Le32(bytes, off + 12);
      h.load_addr = Le32(bytes, off + 16);
      h.load_end_addr = Le32(bytes, off + 20);
      h.bss_end_addr = Le32(bytes, off + 24);
      h.entry_addr = Le32(bytes, off + 28);
    }
    return h;
  }
  if (bad_checksum_at >= 0) {
    return Error(name, absl::StrFormat("the multiboot header magic 0x1BADB002 at offset 0x%x "
                                       "has a bad checksum (magic + flags + checksum != 0)",
                                       bad_checksum_at));
  }
  return Error(name, "not a multiboot kernel: no multiboot header (magic 0x1BADB002, "
                     "32-bit aligned) in the first 8192 bytes");
}

absl::Status CheckFlags(std::string_view name, KernelImage* image) {
  const uint32_t unsupported = image->header.flags & 0xFFFF &
                               ~(header_flags::kPageAlignModules | header_flags::kMemoryInfo |
                                 header_flags::kVideoMode);
  if (unsupported != 0) {
    return Error(name, absl::StrFormat("the multiboot header requires features this loader "
                                       "does not provide (flags 0x%x, unsupported bits 0x%x)",
                                       image->header.flags, unsupported));
  }
  if (image->header.flags & header_flags::kVideoMode) {
    image->warnings.push_back(absl::StrFormat(
        "%s: the multiboot header asks for a video mode (flag 2); there is no display, so "
        "it is ignored and the kernel starts in text mode (as QEMU does)",
        std::string(name)));
  }
  return absl::OkStatus();
}

// Multiboot 3.1.3, with QEMU's checks (hw/i386/multiboot.c).
absl::Status ParseAoutKludge(std::string_view name, std::string_view bytes, KernelImage* image) {
  const MultibootHeader& h = image->header;
  image->format = "a.out kludge";
  if (h.header_addr < h.load_addr) {
    return Error(name, absl::StrFormat("invalid a.out address fields: header_addr 0x%x is "
                                       "below load_addr 0x%x",
                                       h.header_addr, h.load_addr));
  }
  if (h.header_addr - h.load_addr > h.file_offset) {
    return Error(name, absl::StrFormat("invalid a.out address fields: load_addr 0x%x would "
                                       "start 0x%x bytes before the header at file offset "
                                       "0x%x, i.e. before the file",
                                       h.load_addr, h.header_addr - h.load_addr, h.file_offset));
  }
  const uint64_t text_offset = h.file_offset - (h.header_addr - h.load_addr);
  uint64_t load_size;
  if (h.load_end_addr != 0) {
    if (h.load_end_addr < h.load_addr) {
      return Error(name, absl::StrFormat("invalid a.out address fields: load_end_addr 0x%x "
                                         "is below load_addr 0x%x",
                                         h.load_end_addr, h.load_addr));
    }
    load_size = h.load_end_addr - h.load_addr;
  } else {
    load_size = bytes.size() - text_offset;
  }
  if (text_offset + load_size > bytes.size()) {
    return Error(name, absl::StrFormat("truncated: the a.out fields load 0x%x bytes from "
                                       "file offset 0x%x but the file has 0x%x bytes",
                                       load_size, text_offset, bytes.size()));
  }
  uint64_t mem_size = load_size;
  if (h.bss_end_addr != 0) {
    if (h.bss_end_addr < h.load_addr + load_size) {
      return Error(name, absl::StrFormat("invalid a.out address fields: bss_end_addr 0x%x is "
                                         "below the end of the loaded text/data 0x%x",
                                         h.bss_end_addr, h.load_addr + load_size));
    }
    mem_size = h.bss_end_addr - h.load_addr;
  }
  if (h.load_addr + mem_size > k4GiB) {
    return Error(name, "the a.out fields place the kernel past 4 GiB");
  }
  image->segments.push_back({.paddr = h.load_addr, .file_offset = text_offset,
                             .file_size = load_size, .mem_size = mem_size});
  image->entry = h.entry_addr;
  return absl::OkStatus();
}

// The fields both ELF classes share, widened.
struct ElfHeader {
  uint64_t entry, phoff;
  uint32_t phentsize, phnum;
};
struct ElfSegment {
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz;
};

template <class Ehdr, class Phdr>
absl::Status ReadElf(std::string_view name, std::string_view bytes, ElfHeader* header,
                     std::vector<ElfSegment>* phdrs) {
  if (bytes.size() < sizeof(Ehdr)) {
    return Error(name, absl::StrFormat("truncated: the file has 0x%x bytes, fewer than an "
                                       "ELF header",
                                       bytes.size()));
  }
  Ehdr e;
  memcpy(&e, bytes.data(), sizeof(e));
  if (e.e_type != ET_EXEC) {
    return Error(name, absl::StrFormat("ELF type %u is not an executable (ET_EXEC)", e.e_type));
  }
  if (e.e_phnum == 0) return Error(name, "the ELF file has no program headers");
  if (e.e_phentsize < sizeof(Phdr)) {
    return Error(name, absl::StrFormat("bad ELF program header size %u", e.e_phentsize));
  }
  const uint64_t table_end = uint64_t{e.e_phoff} + uint64_t{e.e_phentsize} * e.e_phnum;
  if (e.e_phoff > bytes.size() || table_end > bytes.size()) {
    return Error(name, absl::StrFormat("truncated: the ELF program headers [0x%x, 0x%x) run "
                                       "past the end of the file (0x%x bytes)",
                                       e.e_phoff, table_end, bytes.size()));
  }
  *header = {e.e_entry, e.e_phoff, e.e_phentsize, e.e_phnum};
  for (uint32_t i = 0; i < e.e_phnum; ++i) {
    Phdr p;
    memcpy(&p, bytes.data() + e.e_phoff + uint64_t{i} * e.e_phentsize, sizeof(p));
    phdrs->push_back({p.p_type, p.p_flags, p.p_offset, p.p_vaddr, p.p_paddr, p.p_filesz,
                      p.p_memsz});
  }
  return absl::OkStatus();
}

absl::Status ParseElf(std::string_view name, std::string_view bytes, KernelImage* image) {
  const auto ident = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < EI_NIDENT || memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return Error(name, "not an ELF file, and the multiboot header has no a.out address "
                       "fields (flag 16) to load it with");
  }
  if (ident[EI_DATA] != ELFDATA2LSB) return Error(name, "the ELF file is not little-endian");
  ElfHeader header;
  std::vector<ElfSegment> phdrs;
  uint16_t machine;
  if (bytes.size() < 20) return Error(name, "truncated ELF header");
  memcpy(&machine, bytes.data() + 18, sizeof(machine));  // e_machine, same in both classes
  if (ident[EI_CLASS] == ELFCLASS32 && machine == EM_386) {
    image->format = "ELF32";
    if (absl::Status s = ReadElf<Elf32_Ehdr, Elf32_Phdr>(name, bytes, &header, &phdrs);
        !s.ok()) {
      return s;
    }
  } else if (ident[EI_CLASS] == ELFCLASS64 && machine == EM_X86_64) {
    image->format = "ELF64";
    if (absl::Status s = ReadElf<Elf64_Ehdr, Elf64_Phdr>(name, bytes, &header, &phdrs);
        !s.ok()) {
      return s;
    }
  } else {
    return Error(name, absl::StrFormat("unsupported ELF class %u / machine %u: an x86 kernel "
                                       "is ELFCLASS32 with EM_386 or ELFCLASS64 with EM_X86_64",
                                       ident[EI_CLASS], machine));
  }

  uint64_t entry = header.entry;
  for (size_t i = 0; i < phdrs.size(); ++i) {
    const ElfSegment& p = phdrs[i];
    if (p.type != PT_LOAD || p.memsz == 0) continue;
    if (p.filesz > p.memsz) {
      return Error(name, absl::StrFormat("ELF program header %u has p_filesz 0x%x larger than "
                                         "p_memsz 0x%x",
                                         i, p.filesz, p.memsz));
    }
    if (p.offset > bytes.size() || p.filesz > bytes.size() - p.offset) {
      return Error(name, absl::StrFormat("truncated: ELF segment %u's file bytes [0x%x, 0x%x) "
                                         "run past the end of the file (0x%x bytes)",
                                         i, p.offset, p.offset + p.filesz, bytes.size()));
    }
    if (p.paddr >= k4GiB || p.memsz > k4GiB - p.paddr) {
      return Error(name, absl::StrFormat("ELF segment %u at physical 0x%x size 0x%x ends past "
                                         "4 GiB, which a multiboot loader cannot reach",
                                         i, p.paddr, p.memsz));
    }
    image->segments.push_back(
        {.paddr = p.paddr, .file_offset = p.offset, .file_size = p.filesz, .mem_size = p.memsz});
    // QEMU's load_elf: e_entry is virtual; translate it through its executable segment.
    if ((p.flags & PF_X) && p.vaddr != p.paddr && header.entry >= p.vaddr &&
        header.entry - p.vaddr < p.filesz) {
      entry = header.entry - p.vaddr + p.paddr;
    }
  }
  if (image->segments.empty()) return Error(name, "the ELF file has no loadable segment");
  if (entry >= k4GiB) {
    return Error(name, absl::StrFormat("the entry point 0x%x is above 4 GiB; a multiboot "
                                       "kernel starts in 32-bit protected mode",
                                       entry));
  }
  image->entry = static_cast<uint32_t>(entry);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KernelImage> ParseKernelImage(std::string_view name, std::string_view bytes) {
  KernelImage image;
  absl::StatusOr<MultibootHeader> header = FindHeader(name, bytes);
  if (!header.ok()) return header.status();
  image.header = *header;
  if (absl::Status s = CheckFlags(name, &image); !s.ok()) return s;
  absl::Status parsed = (image.header.flags & header_flags::kAoutKludge)
                            ? ParseAoutKludge(name, bytes, &image)
                            : ParseElf(name, bytes, &image);
  if (!parsed.ok()) return parsed;

  std::sort(image.segments.begin(), image.segments.end(),
            [](const LoadSegment& a, const LoadSegment& b) { return a.paddr < b.paddr; });
  for (size_t i = 1; i < image.segments.size(); ++i) {
    const LoadSegment& prev = image.segments[i - 1];
    const LoadSegment& cur = image.segments[i];
    if (prev.paddr + prev.mem_size > cur.paddr) {
      return Error(name, absl::StrFormat("%s segments overlap: [0x%x, 0x%x) and [0x%x, 0x%x)",
                                         image.format, prev.paddr, prev.paddr + prev.mem_size,
                                         cur.paddr, cur.paddr + cur.mem_size));
    }
  }
  image.start = image.segments.front().paddr;
  image.end = image.segments.back().paddr + image.segments.back().mem_size;
  return image;
}

}  // namespace vmxemu::machine
