// Decoded blocks: straight-line runs of instructions keyed by (physical address of the
// first byte, decode mode), valid while the write stamps of the pages they were decoded
// from are unchanged. A block ends at a control transfer, at an instruction that changes
// how later ones decode or are interrupted (mode switches, STI, MOV SS, I/O), at a page
// end, or after kMaxInsns.
#ifndef VMXEMU_CPU_BLOCK_CACHE_H_
#define VMXEMU_CPU_BLOCK_CACHE_H_

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cpu/insn.h"

namespace vmxemu::cpu {

struct Block {
  static constexpr int kMaxInsns = 32;

  uint64_t paddr = 0;
  uint64_t rip = 0;  // the RIP it was decoded at: Insn::next_rip values assume it
  uint32_t mode = 0;
  // Validity: the stamps of the (one or two) pages the bytes came from.
  const uint32_t* stamp_ptr[2] = {nullptr, nullptr};
  uint32_t stamp[2] = {0, 0};
  uint32_t count = 0;
  bool chains = true;  // see Insn::kChains
  // Chaining: the blocks that followed this one (two exits: taken / fall-through), each
  // valid while the CPU's chain epoch is the one recorded.
  Block* succ[2] = {nullptr, nullptr};
  uint64_t succ_rip[2] = {0, 0};
  uint64_t succ_epoch[2] = {0, 0};
  uint8_t succ_next = 0;  // which slot to replace next
  Insn insns[kMaxInsns + 1];  // + the sentinel (fn == nullptr) after the last

  bool Valid() const {
    return *stamp_ptr[0] == stamp[0] && (stamp_ptr[1] == nullptr || *stamp_ptr[1] == stamp[1]);
  }
};

class BlockCache {
 public:
  static constexpr int kFastBits = 12;
  // At most this many blocks (~1.6 KiB each) are kept; then the whole cache is flushed
  // (like QEMU's TB flush) — simple, and correct because blocks are only a cache.
  static constexpr size_t kMaxBlocks = 16384;

  bool full() const { return map_.size() >= kMaxBlocks; }

  // The valid block for (paddr, mode), or nullptr.
  Block* Find(uint64_t paddr, uint32_t mode) {
    Block*& slot = fast_[FastIndex(paddr, mode)];
    if (slot && slot->paddr == paddr && slot->mode == mode && slot->Valid()) return slot;
    auto it = map_.find(Key(paddr, mode));
    if (it == map_.end() || !it->second->Valid()) return nullptr;
    slot = it->second.get();
    return slot;
  }
  // A fresh block to fill for (paddr, mode), replacing any stale one (then *replaced is
  // set: links to the old one must be invalidated).
  Block* Create(uint64_t paddr, uint32_t mode, bool* replaced) {
    std::unique_ptr<Block>& b = map_[Key(paddr, mode)];
    *replaced = b != nullptr;
    if (!b) b = std::make_unique<Block>();
    *b = Block{};
    b->paddr = paddr;
    b->mode = mode;
    fast_[FastIndex(paddr, mode)] = b.get();
    return b.get();
  }
  void Clear() {
    map_.clear();
    for (Block*& b : fast_) b = nullptr;
  }
  size_t size() const { return map_.size(); }

 private:
  static uint64_t Key(uint64_t paddr, uint32_t mode) { return paddr << 4 | mode; }
  static uint64_t FastIndex(uint64_t paddr, uint32_t mode) {
    return ((paddr ^ (paddr >> kFastBits)) + mode) & ((1u << kFastBits) - 1);
  }
  std::unordered_map<uint64_t, std::unique_ptr<Block>> map_;
  Block* fast_[1u << kFastBits] = {};
};

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_BLOCK_CACHE_H_
