#include "cpu/memory.h"

namespace vmxemu::cpu {

PhysicalMemory::PhysicalMemory(uint64_t ram_bytes)
    : ram_size_((ram_bytes + kPageMask) & ~kPageMask),
      ram_(new uint8_t[ram_size_]()),
      stamps_(ram_size_ >> 12),
      code_(ram_size_ >> 12) {}

bool PhysicalMemory::Read(uint64_t paddr, void* out, uint64_t len) const {
  if (!IsRam(paddr, len)) return false;
  memcpy(out, ram_.get() + paddr, len);
  return true;
}

bool PhysicalMemory::Write(uint64_t paddr, const void* data, uint64_t len) {
  if (!IsRam(paddr, len)) return false;
  if (len == 0) return true;
  memcpy(ram_.get() + paddr, data, len);
  NoteWrite(paddr, len);
  if (tracking_) {
    for (uint64_t p = paddr & ~kPageMask; p < paddr + len; p += kPageSize) MarkDirty(p);
  }
  return true;
}

void PhysicalMemory::MarkCode(uint64_t paddr) {
  uint8_t& mark = code_[paddr >> 12];
  if (mark) return;
  mark = 1;
  if (code_listener_) code_listener_(paddr & ~kPageMask);
}

}  // namespace vmxemu::cpu
