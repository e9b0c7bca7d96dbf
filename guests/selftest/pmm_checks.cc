// The page allocator: distinct, aligned, zeroed frames that never overlap the
// kernel image or a boot module, and reuse after free_page().
#include <stdint.h>

#include "guests/lib/boot_info.h"
#include "guests/lib/pmm.h"
#include "guests/selftest/checks.h"

extern "C" char _end[];

namespace selftest {
namespace {

constexpr int kPages = 16;
constexpr uintptr_t kImageStart = 0x100000;  // kernel.ld

bool IsZeroed(const void* page) {
  const auto* words = static_cast<const uint32_t*>(page);
  for (size_t i = 0; i < guest::kPageSize / sizeof(uint32_t); ++i) {
    if (words[i] != 0) return false;
  }
  return true;
}

bool OverlapsReserved(uintptr_t frame) {
  uintptr_t end = frame + guest::kPageSize;
  if (frame < reinterpret_cast<uintptr_t>(_end) && end > kImageStart) {
    return true;
  }
  const guest::BootInfo& boot_info = guest::boot_info();
  for (int i = 0; i < boot_info.module_count; ++i) {
    const guest::Module& module = boot_info.modules[i];
    if (frame < module.end && end > module.start) return true;
  }
  return false;
}

}  // namespace

void run_pmm_checks() {
  const size_t free_at_start = guest::pages_free();
  check(free_at_start > 0, "pmm has free pages");

  void* pages[kPages];
  bool aligned_and_zeroed = true;
  bool outside_reserved = true;
  bool distinct = true;
  for (int i = 0; i < kPages; ++i) {
    pages[i] = guest::alloc_page();
    uintptr_t frame = reinterpret_cast<uintptr_t>(pages[i]);
    aligned_and_zeroed = aligned_and_zeroed && frame % guest::kPageSize == 0 &&
                         IsZeroed(pages[i]);
    outside_reserved = outside_reserved && !OverlapsReserved(frame);
    for (int j = 0; j < i; ++j) distinct = distinct && pages[j] != pages[i];
    // Dirty it, so that reuse must zero it again.
    static_cast<uint32_t*>(pages[i])[i] = 0xA5A5A5A5;
  }
  check(aligned_and_zeroed, "pmm pages aligned and zeroed");
  check(distinct, "pmm pages distinct");
  check(outside_reserved, "pmm pages outside kernel image and modules");
  check(guest::pages_free() == free_at_start - kPages,
        "pmm pages_free after alloc");

  void* dirty = pages[kPages - 1];
  guest::free_page(dirty);
  check(guest::pages_free() == free_at_start - kPages + 1,
        "pmm pages_free after free");
  pages[kPages - 1] = guest::alloc_page();
  check(pages[kPages - 1] == dirty && IsZeroed(dirty),
        "pmm reuses a freed page, zeroed");

  for (void* page : pages) guest::free_page(page);
  check(guest::pages_free() == free_at_start, "pmm all pages returned");
}

}  // namespace selftest
