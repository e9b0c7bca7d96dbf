// The software TLB: linear page -> host address, one direct-mapped array per access kind.
// A hit is a tag compare and an add. Entries exist only for RAM pages whose translation
// allowed that access (and, for writes, whose page holds no decoded code), so a miss
// covers every slow case: MMIO, faults, A/D updates, self-modifying code, non-canonical
// addresses. Architecturally a TLB may drop entries at any time (SDM Vol. 3A 4.10.4), so
// flushing more than asked is always correct.
#ifndef VMXEMU_CPU_TLB_H_
#define VMXEMU_CPU_TLB_H_

#include <cstdint>

namespace vmxemu::cpu {

struct TlbEntry {
  uint64_t tag = ~0ull;  // page-aligned linear address | context bits; ~0 never matches
  uintptr_t addend = 0;  // host address = linear + addend
  uint64_t paddr = 0;    // physical page, for write entries' flush on code pages
};

struct Tlb {
  static constexpr int kBits = 10;
  static constexpr uint64_t kSize = 1u << kBits;

  TlbEntry read[kSize];
  TlbEntry write[kSize];
  TlbEntry exec[kSize];
  uint64_t context = 0;     // 1 when CPL = 3 (user accesses)
  bool has_large_pages = false;

  static uint64_t Index(uint64_t lin) { return (lin >> 12) & (kSize - 1); }
  uint64_t Tag(uint64_t lin) const { return (lin & ~0xFFFull) | context; }

  void FlushAll() {
    for (uint64_t i = 0; i < kSize; ++i) {
      read[i].tag = write[i].tag = exec[i].tag = ~0ull;
    }
    has_large_pages = false;
  }
  void FlushPage(uint64_t lin) {
    const uint64_t i = Index(lin), page = lin & ~0xFFFull;
    for (TlbEntry* e : {&read[i], &write[i], &exec[i]}) {
      if ((e->tag & ~0xFFFull) == page) e->tag = ~0ull;
    }
  }
  // Drops write entries that map physical page `paddr` (it now holds code).
  void FlushWritesTo(uint64_t paddr) {
    for (uint64_t i = 0; i < kSize; ++i) {
      if (write[i].paddr == paddr) write[i].tag = ~0ull;
    }
  }
};

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_TLB_H_
