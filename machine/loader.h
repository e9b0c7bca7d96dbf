// The multiboot v1 boot loader (Multiboot Specification 0.6.96) that QEMU's `-kernel`
// implements (hw/i386/multiboot.c plus its option ROM pc-bios/optionrom/multiboot.S),
// reproduced so that a kernel finds the same information at the same addresses on both:
//
//  - The kernel is parsed by kernel_image.h and its segments copied to their physical
//    addresses, BSS zeroed.
//  - Right after the kernel image (its size rounded up to a page, counted from its lowest
//    address) comes QEMU's "mb_buf" tail: the module list (16 bytes a module), the module
//    strings, the kernel command line, the boot loader name "vmxemu"; then, each at the
//    next page boundary, the modules.
//  - The command line is "<kernel path> <append text>": QEMU always inserts the space.
//  - A module is an `-initrd` entry "file[ args]": the file is what precedes the first
//    space, and the module's string is the whole entry (QEMU's behaviour).
//  - The E820 memory map (memory_map.h) is at 0x9000 and the multiboot information
//    structure at 0x9500, with flags 0x24F: memory, boot device (0x8000FFFF), command
//    line, modules (also when there are none), memory map, boot loader name.
//
// Every byte loaded must lie in usable RAM and outside the page at 0x9000 the loader's
// structures occupy; otherwise loading fails with a message naming the file and range.
#ifndef VMXEMU_MACHINE_LOADER_H_
#define VMXEMU_MACHINE_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cpu/cpu.h"
#include "cpu/memory.h"

namespace vmxemu::machine {

inline constexpr uint32_t kMultibootBootloaderMagic = 0x2BADB002;
inline constexpr uint32_t kMemoryMapAddr = 0x9000;
inline constexpr uint32_t kMultibootInfoAddr = 0x9500;
inline constexpr uint32_t kMultibootInfoSize = 88;
inline constexpr uint32_t kLoaderAreaStart = 0x9000;  // no kernel or module byte here
inline constexpr uint32_t kLoaderAreaEnd = 0xA000;
// QEMU's option ROM (first ROM at 0xC0000 with -nodefaults) keeps its GDT here; vmxemu
// writes the same five descriptors at the same address, so GDTR reads the same.
inline constexpr uint32_t kGdtAddr = 0xC02B8;
inline constexpr char kBootloaderName[] = "vmxemu";

// Multiboot information flags (3.3).
namespace info_flags {
inline constexpr uint32_t kMemory = 1u << 0;
inline constexpr uint32_t kBootDevice = 1u << 1;
inline constexpr uint32_t kCmdline = 1u << 2;
inline constexpr uint32_t kModules = 1u << 3;
inline constexpr uint32_t kMmap = 1u << 6;
inline constexpr uint32_t kBootloaderName = 1u << 9;
}  // namespace info_flags

struct MultibootRequest {
  std::string kernel_path;
  std::string cmdline;               // -append
  std::vector<std::string> modules;  // -initrd entries, "file[ args]"
};

// The contents of the files a request names, already read.
struct MultibootFiles {
  std::string kernel;
  std::vector<std::string> modules;
};

struct LoadedModule {
  uint32_t start = 0;
  uint32_t end = 0;  // exclusive, as QEMU and GRUB write mod_end
  std::string string;
};

// What the loader put where.
struct LoadedKernel {
  std::string format;  // "ELF32", "ELF64", "a.out kludge"
  uint32_t entry = 0;
  uint64_t image_start = 0;  // [start, end) the kernel's segments span
  uint64_t image_end = 0;
  uint32_t info_addr = kMultibootInfoAddr;
  uint32_t mods_addr = 0;  // the module list
  uint32_t cmdline_addr = 0;
  uint32_t bootloader_name_addr = 0;
  std::vector<LoadedModule> modules;
  std::vector<std::string> warnings;  // to show the user (e.g. an ignored video mode)
};

// Reads the kernel and module files.
absl::StatusOr<MultibootFiles> ReadMultibootFiles(const MultibootRequest& request);

// Loads kernel, modules and boot information into `memory` (its RAM size decides the
// memory map). Fails, naming the file, when a piece does not fit in usable RAM.
absl::StatusOr<LoadedKernel> LoadMultiboot(const MultibootRequest& request,
                                           const MultibootFiles& files,
                                           cpu::PhysicalMemory& memory);

// Puts `cpu` in the state multiboot 3.2 defines at the kernel's entry, as QEMU's option
// ROM leaves it: 32-bit protected mode, paging off, CS = 0x08 flat 32-bit code, the
// other segment registers 0x10 flat data (cached descriptors marked accessed, as loading
// them does), GDTR = the five-entry GDT at kGdtAddr (written to memory here), IDTR =
// the real-mode IVT (base 0, limit 0x3FF), EAX = 0x2BADB002, EBX = the information
// structure, ECX = the entry point, EDX = 0x00010511, ESP = 0x6F08, EFLAGS = 0x6 (IF=0),
// other GPRs 0. Beyond EAX/EBX the values are what QEMU's ROM happens to leave; the spec
// leaves them undefined. Calls cpu.StateChanged().
void EnterMultibootKernel(const LoadedKernel& kernel, cpu::Cpu& cpu);

}  // namespace vmxemu::machine

#endif  // VMXEMU_MACHINE_LOADER_H_
