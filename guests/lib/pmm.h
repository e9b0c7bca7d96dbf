// Physical page-frame allocator: 4 KiB frames between the end of the kernel
// image and the end of upper memory, never those holding boot modules.
// Memory is identity mapped, so a frame's physical address is also a usable
// pointer.
#ifndef GUESTS_LIB_PMM_H_
#define GUESTS_LIB_PMM_H_

#include <stddef.h>

namespace guest {

inline constexpr size_t kPageSize = 4096;

// Returns a zeroed, page-aligned frame. Panics when memory is exhausted, so
// callers need no error path.
void* alloc_page();
// Returns a frame from alloc_page(); panics on a pointer that cannot be one.
void free_page(void* page);
size_t pages_free();

}  // namespace guest

#endif  // GUESTS_LIB_PMM_H_
