// A multiboot v1 kernel file taken apart (Multiboot Specification 0.6.96, 3.1): its
// header, and the pieces of the file to copy into physical memory with their addresses.
// Pure parsing, no guest memory: loader.h places the result.
//
// Formats, in the order a loader must try them (as GRUB legacy and QEMU do):
//  - header flag 16 ("a.out kludge") set: the header's address fields say what to load,
//    whatever the file format (3.1.3);
//  - otherwise ELF32 (EM_386) or ELF64 (EM_X86_64): every PT_LOAD program header with a
//    non-zero p_memsz is loaded at its physical address p_paddr, zero-filled from p_filesz
//    to p_memsz (BSS). The entry point e_entry is translated from virtual to physical
//    when it lies in an executable segment whose p_vaddr differs from p_paddr, as QEMU's
//    ELF loader does. QEMU refuses ELF64 ("give a 32bit one"); vmxemu loads it, with the
//    same rules, as long as every address fits in 32 bits.
//
// Header flags 0-15 are requirements: bit 0 (page-align modules) and bit 1 (memory
// information) are always met; bit 2 (a video mode) is not supported and, as in QEMU,
// only produces a warning; any other bit in 0-15 is refused (3.1.2: the loader "must
// notify the user and fail to load the OS image"; GRUB refuses them too, QEMU ignores them).
#ifndef VMXEMU_MACHINE_KERNEL_IMAGE_H_
#define VMXEMU_MACHINE_KERNEL_IMAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace vmxemu::machine {

inline constexpr uint32_t kMultibootHeaderMagic = 0x1BADB002;
// The header must lie, 32-bit aligned, in the first 8192 bytes of the file (3.1.1).
inline constexpr uint32_t kMultibootSearchBytes = 8192;

// Header flag bits (3.1.2).
namespace header_flags {
inline constexpr uint32_t kPageAlignModules = 1u << 0;
inline constexpr uint32_t kMemoryInfo = 1u << 1;
inline constexpr uint32_t kVideoMode = 1u << 2;
inline constexpr uint32_t kAoutKludge = 1u << 16;
}  // namespace header_flags

struct MultibootHeader {
  uint32_t file_offset = 0;  // of the magic
  uint32_t flags = 0;
  // The address fields, valid when flags has kAoutKludge (3.1.3).
  uint32_t header_addr = 0;
  uint32_t load_addr = 0;
  uint32_t load_end_addr = 0;
  uint32_t bss_end_addr = 0;
  uint32_t entry_addr = 0;
};

// Copy file bytes [file_offset, file_offset + file_size) to physical `paddr`, then zero
// up to paddr + mem_size.
struct LoadSegment {
  uint64_t paddr = 0;
  uint64_t file_offset = 0;
  uint64_t file_size = 0;
  uint64_t mem_size = 0;
};

struct KernelImage {
  MultibootHeader header;
  std::string format;  // "ELF32", "ELF64" or "a.out kludge", for messages
  std::vector<LoadSegment> segments;  // sorted by address, non-overlapping, non-empty
  uint32_t entry = 0;                 // physical address of the first instruction
  // The physical range the segments span: QEMU's elf_low/elf_high (or load_addr to
  // bss_end_addr); the multiboot structures and modules go after `end`.
  uint64_t start = 0;
  uint64_t end = 0;
  std::vector<std::string> warnings;  // requests that were ignored (video mode)
};

// Finds and checks the multiboot header and the load layout of the kernel file `bytes`.
// `name` (the path) starts every error message: "<name>: <what is wrong>".
absl::StatusOr<KernelImage> ParseKernelImage(std::string_view name, std::string_view bytes);

}  // namespace vmxemu::machine

#endif  // VMXEMU_MACHINE_KERNEL_IMAGE_H_
