// Guest-physical memory: RAM as one host buffer, everything else MMIO through the
// Platform. Each RAM page carries a write stamp and a "holds decoded code" mark: a write
// to a code page (from the CPU's slow path, a loader, a device or DMA) bumps the page's
// stamp, which invalidates every cached block decoded from it (self-modifying code).
#ifndef VMXEMU_CPU_MEMORY_H_
#define VMXEMU_CPU_MEMORY_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace vmxemu::cpu {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kPageMask = kPageSize - 1;

class PhysicalMemory {
 public:
  // RAM covers [0, ram_bytes); ram_bytes is rounded up to a page.
  explicit PhysicalMemory(uint64_t ram_bytes);

  uint64_t ram_size() const { return ram_size_; }
  bool IsRam(uint64_t paddr, uint64_t len = 1) const {
    return paddr < ram_size_ && len <= ram_size_ - paddr;
  }
  // Host address of a RAM byte; nullptr outside RAM. Writing through it bypasses
  // self-modifying-code tracking: use Write() unless the page is known not to be code.
  uint8_t* HostPtr(uint64_t paddr) { return IsRam(paddr) ? ram_.get() + paddr : nullptr; }

  // Bulk access for loaders, devices and DMA. Return false if any byte is outside RAM.
  bool Read(uint64_t paddr, void* out, uint64_t len) const;
  bool Write(uint64_t paddr, const void* data, uint64_t len);

  // --- decoded-code tracking (used by the CPU's block cache) ---
  uint32_t stamp(uint64_t paddr) const { return stamps_[paddr >> 12]; }
  const uint32_t* stamp_ptr(uint64_t paddr) const { return &stamps_[paddr >> 12]; }
  bool holds_code(uint64_t paddr) const { return code_[paddr >> 12]; }
  // Marks the page as holding decoded code; calls the listener so write fast paths that
  // map the page are dropped.
  void MarkCode(uint64_t paddr);
  // A write touched [paddr, paddr+len): bump the stamps of code pages in the range.
  void NoteWrite(uint64_t paddr, uint64_t len) {
    for (uint64_t p = paddr >> 12, e = (paddr + len - 1) >> 12; p <= e; ++p) {
      if (code_[p]) {
        ++stamps_[p];
        code_[p] = 0;
      }
    }
  }
  // Dirty-page tracking (off by default): pages written by Write() or made writable in
  // a CPU's TLB since the last TakeDirtyPages(). For snapshots and the fuzzers.
  void EnableDirtyTracking() { tracking_ = true; }
  void MarkDirty(uint64_t paddr) {
    if (tracking_ && !dirty_[paddr >> 12]) {
      dirty_[paddr >> 12] = 1;
      dirty_list_.push_back(paddr >> 12);
    }
  }
  // Page numbers marked dirty since the last call (and clears the marks).
  std::vector<uint64_t> TakeDirtyPages() {
    for (uint64_t p : dirty_list_) dirty_[p] = 0;
    return std::exchange(dirty_list_, {});
  }

  // Called with a page's physical address when it becomes a code page.
  void set_code_listener(std::function<void(uint64_t)> fn) { code_listener_ = std::move(fn); }

 private:
  uint64_t ram_size_;
  std::unique_ptr<uint8_t[]> ram_;
  std::vector<uint32_t> stamps_;
  std::vector<uint8_t> code_;
  std::function<void(uint64_t)> code_listener_;
  bool tracking_ = false;
  std::vector<uint8_t> dirty_ = std::vector<uint8_t>(ram_size_ >> 12);
  std::vector<uint64_t> dirty_list_;
};

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_MEMORY_H_
