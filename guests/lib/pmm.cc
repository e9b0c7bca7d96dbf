// Frames come first from a free list (LIFO, threaded through the free pages
// themselves), then from a bump pointer that walks up memory skipping module
// ranges. No bitmap: the only state is a few words.
#include "guests/lib/pmm.h"

#include <stdint.h>

#include "guests/lib/exit.h"
#include "guests/lib/libc.h"
#include "guests/lib/runtime_internal.h"

extern "C" char _end[];  // kernel.ld: end of the image, page aligned.

namespace guest {
namespace {

constexpr uint64_t kUpperMemoryStart = 0x100000;
// boot.S maps the first 4 GiB; one frame less keeps "one past the last
// frame" representable in a 32-bit uintptr_t.
constexpr uint64_t kMappedLimit = 0x100000000 - kPageSize;

struct FreePage {
  FreePage* next;
};

const BootInfo* boot;
uintptr_t first_frame;  // Lowest frame the allocator may hand out.
uintptr_t bump_frame;   // Next never-used frame.
uintptr_t frame_limit;  // One past the last usable frame.
FreePage* free_list;
size_t free_count;

uint64_t AlignDown(uint64_t value) { return value & ~uint64_t{kPageSize - 1}; }
uint64_t AlignUp(uint64_t value) { return AlignDown(value + kPageSize - 1); }

// The module holding any byte of frame [frame, frame + 4 KiB), or nullptr.
const Module* ModuleAt(uintptr_t frame) {
  for (int i = 0; i < boot->module_count; ++i) {
    const Module& module = boot->modules[i];
    if (frame < module.end && frame + kPageSize > module.start) return &module;
  }
  return nullptr;
}

}  // namespace

void init_pmm(const BootInfo& boot_info) {
  boot = &boot_info;
  uint64_t limit = kUpperMemoryStart + uint64_t{boot_info.mem_upper_kib} * 1024;
  if (limit > kMappedLimit) limit = kMappedLimit;
  first_frame =
      static_cast<uintptr_t>(AlignUp(reinterpret_cast<uintptr_t>(_end)));
  frame_limit = static_cast<uintptr_t>(AlignDown(limit));
  if (frame_limit < first_frame) frame_limit = first_frame;
  bump_frame = first_frame;

  free_count = (frame_limit - first_frame) / kPageSize;
  for (int i = 0; i < boot_info.module_count; ++i) {
    const Module& module = boot_info.modules[i];
    uint64_t start = AlignDown(module.start);
    uint64_t end = AlignUp(module.end);
    if (start < first_frame) start = first_frame;
    if (end > frame_limit) end = frame_limit;
    if (start < end) free_count -= (end - start) / kPageSize;
  }
}

void* alloc_page() {
  void* page;
  if (free_list != nullptr) {
    page = free_list;
    free_list = free_list->next;
  } else {
    while (const Module* module = ModuleAt(bump_frame)) {
      bump_frame = static_cast<uintptr_t>(AlignUp(module->end));
    }
    if (bump_frame >= frame_limit) {
      panic("alloc_page: out of memory (%lu KiB managed)",
            static_cast<unsigned long>((frame_limit - first_frame) / 1024));
    }
    page = reinterpret_cast<void*>(bump_frame);
    bump_frame += kPageSize;
  }
  --free_count;
  memset(page, 0, kPageSize);
  return page;
}

void free_page(void* page) {
  uintptr_t frame = reinterpret_cast<uintptr_t>(page);
  if (frame % kPageSize != 0 || frame < first_frame || frame >= bump_frame ||
      ModuleAt(frame) != nullptr) {
    panic("free_page: %p was not returned by alloc_page", page);
  }
  auto* free_page = static_cast<FreePage*>(page);
  free_page->next = free_list;
  free_list = free_page;
  ++free_count;
}

size_t pages_free() { return free_count; }

}  // namespace guest
