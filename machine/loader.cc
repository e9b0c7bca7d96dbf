#include "machine/loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_format.h"
#include "machine/kernel_image.h"
#include "machine/memory_map.h"

namespace vmxemu::machine {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint32_t kModuleEntrySize = 16;
constexpr uint32_t kMmapEntrySize = 24;  // the 4-byte size field + 20 bytes
constexpr uint32_t kBootDevice = 0x8000FFFF;

uint64_t PageAlign(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

// The file of an -initrd entry: what precedes the first space.
std::string ModuleFile(const std::string& entry) { return entry.substr(0, entry.find(' ')); }

absl::StatusOr<std::string> ReadFile(const std::string& what, const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrFormat("%s '%s': cannot open: %s", what, path, strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s '%s': not a regular file", what, path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(
        absl::StrFormat("%s '%s': cannot open: %s", what, path, strerror(errno)));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrFormat("%s '%s': read error", what, path));
  }
  return out.str();
}

// Guest-memory writes, with the placement rule of loader.h checked first.
class Placer {
 public:
  explicit Placer(cpu::PhysicalMemory& memory)
      : memory_(memory), map_(PcMemoryMap(memory.ram_size())) {}

  absl::Status Check(const std::string& what, uint64_t start, uint64_t end) const {
    if (!IsUsable(map_, start, end)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: [0x%x, 0x%x) is outside usable RAM (with %u MiB of RAM, usable RAM is %s)",
          what, start, end, memory_.ram_size() >> 20, DescribeUsable(map_)));
    }
    if (start < kLoaderAreaEnd && end > kLoaderAreaStart) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: [0x%x, 0x%x) overlaps the loader's boot information at [0x%x, 0x%x)", what,
          start, end, kLoaderAreaStart, kLoaderAreaEnd));
    }
    return absl::OkStatus();
  }
  void Write(uint64_t addr, const void* data, uint64_t len) { memory_.Write(addr, data, len); }
  void Zero(uint64_t addr, uint64_t len) {
    static const char kZeros[kPage] = {};
    for (uint64_t done = 0; done < len; done += kPage) {
      Write(addr + done, kZeros, std::min(kPage, len - done));
    }
  }
  void Write32(uint64_t addr, uint32_t v) { Write(addr, &v, 4); }
  void Write64(uint64_t addr, uint64_t v) { Write(addr, &v, 8); }
  void WriteString(uint64_t addr, const std::string& s) { Write(addr, s.c_str(), s.size() + 1); }
  const std::vector<MemoryRegion>& map() const { return map_; }

 private:
  cpu::PhysicalMemory& memory_;
  std::vector<MemoryRegion> map_;
};

absl::Status LoadKernelImage(const std::string& path, const std::string& bytes,
                             const KernelImage& image, Placer& placer) {
  for (const LoadSegment& seg : image.segments) {
    if (absl::Status s = placer.Check(absl::StrFormat("%s: %s segment at 0x%x", path,
                                                      image.format, seg.paddr),
                                      seg.paddr, seg.paddr + seg.mem_size);
        !s.ok()) {
      return s;
    }
    placer.Write(seg.paddr, bytes.data() + seg.file_offset, seg.file_size);
    placer.Zero(seg.paddr + seg.file_size, seg.mem_size - seg.file_size);
  }
  return absl::OkStatus();
}

// The length QEMU reserves for strings: the kernel path, the -append text and the raw
// -initrd option (entries joined by commas, a comma inside an entry doubled), each with
// its NUL. The boot loader name goes right after this reservation.
uint64_t ReservedStringBytes(const MultibootRequest& request) {
  uint64_t len = request.kernel_path.size() + 1 + request.cmdline.size() + 1;
  if (!request.modules.empty()) {
    uint64_t raw = request.modules.size() - 1;  // separating commas
    for (const std::string& m : request.modules) {
      raw += m.size() + std::count(m.begin(), m.end(), ',');
    }
    len += raw + 1;
  }
  return len;
}

void WriteMemoryMap(Placer& placer) {
  uint64_t addr = kMemoryMapAddr;
  for (const MemoryRegion& r : placer.map()) {
    placer.Write32(addr, kMmapEntrySize - 4);
    placer.Write64(addr + 4, r.base);
    placer.Write64(addr + 12, r.length);
    placer.Write32(addr + 20, static_cast<uint32_t>(r.type));
    addr += kMmapEntrySize;
  }
}

// QEMU's mb_buf tail after the kernel (hw/i386/multiboot.c): the module list, the
// module strings and the command line, the boot loader name after QEMU's string
// reservation, then the modules page by page. Addresses are aligned absolutely; QEMU
// aligns offsets from the image start, which is the same for page-aligned kernels.
absl::Status PlaceTail(const MultibootRequest& request, const MultibootFiles& files,
                       uint64_t image_end, Placer& placer, LoadedKernel* out) {
  out->mods_addr = static_cast<uint32_t>(PageAlign(image_end));
  uint64_t next_string = out->mods_addr + kModuleEntrySize * request.modules.size();
  out->bootloader_name_addr = static_cast<uint32_t>(next_string + ReservedStringBytes(request));
  const uint64_t tail_end = PageAlign(out->bootloader_name_addr + sizeof(kBootloaderName));
  if (absl::Status s = placer.Check(request.kernel_path + ": multiboot module list and strings",
                                    out->mods_addr, tail_end);
      !s.ok()) {
    return s;
  }
  uint64_t next_module = tail_end;
  for (size_t i = 0; i < request.modules.size(); ++i) {
    const std::string& entry = request.modules[i];
    const std::string& data = files.modules[i];
    const uint64_t start = next_module, end = start + data.size();
    if (absl::Status s = placer.Check("module '" + ModuleFile(entry) + "'", start, end);
        !s.ok()) {
      return s;
    }
    placer.Write(start, data.data(), data.size());
    placer.WriteString(next_string, entry);
    const uint64_t slot = out->mods_addr + kModuleEntrySize * i;
    placer.Write32(slot, static_cast<uint32_t>(start));
    placer.Write32(slot + 4, static_cast<uint32_t>(end));
    placer.Write32(slot + 8, static_cast<uint32_t>(next_string));
    placer.Write32(slot + 12, 0);
    out->modules.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(end), entry});
    next_string += entry.size() + 1;
    next_module = PageAlign(end);
  }
  out->cmdline_addr = static_cast<uint32_t>(next_string);
  placer.WriteString(next_string, request.kernel_path + " " + request.cmdline);
  placer.WriteString(out->bootloader_name_addr, kBootloaderName);
  return absl::OkStatus();
}

// The multiboot information structure (3.3) at kMultibootInfoAddr.
void WriteInfo(const LoadedKernel& k, size_t module_count, Placer& placer) {
  uint8_t info[kMultibootInfoSize] = {};
  auto put = [&info](int offset, uint32_t v) { memcpy(info + offset, &v, 4); };
  put(0, info_flags::kMemory | info_flags::kBootDevice | info_flags::kCmdline |
             info_flags::kModules | info_flags::kMmap | info_flags::kBootloaderName);
  put(4, MemLowerKib(placer.map()));
  put(8, MemUpperKib(placer.map()));
  put(12, kBootDevice);
  put(16, k.cmdline_addr);
  put(20, static_cast<uint32_t>(module_count));
  put(24, k.mods_addr);
  put(44, static_cast<uint32_t>(kMmapEntrySize * placer.map().size()));
  put(48, kMemoryMapAddr);
  put(64, k.bootloader_name_addr);
  placer.Write(kMultibootInfoAddr, info, sizeof(info));
}

}  // namespace

absl::StatusOr<MultibootFiles> ReadMultibootFiles(const MultibootRequest& request) {
  MultibootFiles files;
  absl::StatusOr<std::string> kernel = ReadFile("kernel", request.kernel_path);
  if (!kernel.ok()) return kernel.status();
  files.kernel = *std::move(kernel);
  for (const std::string& entry : request.modules) {
    absl::StatusOr<std::string> module = ReadFile("module", ModuleFile(entry));
    if (!module.ok()) return module.status();
    files.modules.push_back(*std::move(module));
  }
  return files;
}

absl::StatusOr<LoadedKernel> LoadMultiboot(const MultibootRequest& request,
                                           const MultibootFiles& files,
                                           cpu::PhysicalMemory& memory) {
  if (files.modules.size() != request.modules.size()) {
    return absl::InvalidArgumentError("LoadMultiboot: module contents do not match the request");
  }
  absl::StatusOr<KernelImage> image = ParseKernelImage(request.kernel_path, files.kernel);
  if (!image.ok()) return image.status();
  Placer placer(memory);
  if (absl::Status s = LoadKernelImage(request.kernel_path, files.kernel, *image, placer);
      !s.ok()) {
    return s;
  }
  LoadedKernel out{.format = image->format,
                   .entry = image->entry,
                   .image_start = image->start,
                   .image_end = image->end,
                   .warnings = image->warnings};

  if (absl::Status s = PlaceTail(request, files, image->end, placer, &out); !s.ok()) return s;
  WriteMemoryMap(placer);
  WriteInfo(out, request.modules.size(), placer);
  return out;
}

void EnterMultibootKernel(const LoadedKernel& kernel, cpu::Cpu& cpu) {
  using cpu::AccessRights;
  using cpu::Segment;
  // multiboot.S's GDT: null, 0x08 flat 32-bit code, 0x10 flat 32-bit data, 0x18 16-bit
  // code, 0x20 16-bit data. The two the CPU loads carry the accessed bit it sets.
  const uint64_t gdt[5] = {0, 0x00CF9B000000FFFF, 0x00CF93000000FFFF, 0x00009E000000FFFF,
                           0x000092000000FFFF};
  cpu.memory().Write(kGdtAddr, gdt, sizeof(gdt));

  cpu.Reset();
  cpu::CpuState& s = cpu.s;
  s.cr0 = cpu::cr0::kPE | cpu::cr0::kET;
  s.gdtr = {kGdtAddr, sizeof(gdt) - 1};
  s.idtr = {0, 0x3FF};
  const Segment code{.selector = 0x08, .base = 0, .limit = 0xFFFFFFFF,
                     .ar = AccessRights::FromDescriptor(gdt[1])};
  const Segment data{.selector = 0x10, .base = 0, .limit = 0xFFFFFFFF,
                     .ar = AccessRights::FromDescriptor(gdt[2])};
  for (Segment& seg : s.seg) seg = data;
  s.seg[cpu::kCs] = code;
  for (uint64_t& r : s.gpr) r = 0;
  s.gpr[cpu::kRax] = kMultibootBootloaderMagic;
  s.gpr[cpu::kRbx] = kernel.info_addr;
  s.gpr[cpu::kRcx] = kernel.entry;
  s.gpr[cpu::kRdx] = 0x00010511;
  s.gpr[cpu::kRsp] = 0x6F08;
  s.SetRflags(0x6);
  s.rip = kernel.entry;
  cpu.StateChanged();
}

}  // namespace vmxemu::machine
