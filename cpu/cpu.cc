#include "cpu/cpu.h"

#include <Zydis/Zydis.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "cpu/cpuid.h"
#include "cpu/decoder.h"
#include "cpu/isa/fusion.h"

namespace vmxemu::cpu {

Cpu::Cpu(PhysicalMemory& memory, Platform& platform, CpuConfig config)
    : memory_(memory),
      platform_(platform),
      config_(config),
      blocks_(std::make_unique<BlockCache>()),
      decoder_(std::make_unique<Decoder>()) {
  memory_.set_code_listener([this](uint64_t paddr) { OnCodePage(paddr); });
  Reset();
}

Cpu::~Cpu() { memory_.set_code_listener(nullptr); }

void Cpu::Reset() {
  // SDM Vol. 3A 9.1.1, Table 9-1: state after power-up / RESET.
  s = CpuState{};
  s.rip = 0xFFF0;
  for (Segment& sg : s.seg) {
    sg = Segment{.selector = 0, .base = 0, .limit = 0xFFFF, .ar = {0x93}};
  }
  s.seg[kCs] = Segment{.selector = 0xF000, .base = 0xFFFF0000, .limit = 0xFFFF, .ar = {0x9B}};
  s.gdtr = s.idtr = DescriptorTable{0, 0xFFFF};
  s.ldtr = Segment{.selector = 0, .base = 0, .limit = 0xFFFF, .ar = {0x82}};
  s.tr = Segment{.selector = 0, .base = 0, .limit = 0xFFFF, .ar = {0x8B}};
  s.gpr[kRdx] = kCpuidSignature;  // the processor signature (SDM Vol. 3A 9.1.4)
  fault_pending_ = false;
  fault_depth_ = 0;
  StateChanged();
}

void Cpu::StateChanged() {
  SegmentsChanged();
  tlb_.context = s.cpl() == 3 ? 1 : 0;
  FlushTlb();
}

void Cpu::SegmentsChanged() {
  const bool long64 = s.in_64bit_mode();
  lin_mask_ = long64 ? ~0ull : 0xFFFFFFFFull;
  for (int i = 0; i < kNumSegRegs; ++i) {
    const Segment& sg = s.seg[i];
    if (long64) {
      // SDM Vol. 3A 3.4.4: in 64-bit mode only FS and GS have bases; no limit checks.
      seg_base_[i] = (i == kFs || i == kGs) ? sg.base : 0;
      seg_check_[i] = false;
    } else {
      seg_base_[i] = sg.base & 0xFFFFFFFFull;
      // Only a usable, writable, expand-up data segment spanning 4 GiB needs no checks.
      const bool flat = !sg.ar.unusable() && sg.ar.present() && sg.ar.writable() &&
                        !sg.ar.expand_down() && sg.limit == 0xFFFFFFFFu;
      seg_check_[i] = !flat;
    }
  }
  if (long64) {
    stack_mask_ = ~0ull;
    code_size_ = 8;
  } else {
    stack_mask_ = s.seg[kSs].ar.db() && s.protected_mode() ? 0xFFFFFFFFull : 0xFFFF;
    code_size_ = (s.protected_mode() && !s.virtual_8086() && s.seg[kCs].ar.db()) ? 4 : 2;
  }
  tlb_.context = s.cpl() == 3 ? 1 : 0;
  InvalidateChains();
}

uint32_t Cpu::DecodeMode() const {
  using namespace decode_mode;
  uint32_t m = code_size_ == 8 ? kCode64 : code_size_ == 4 ? kCode32 : kCode16;
  if (code_size_ != 8 && stack_mask_ == 0xFFFFFFFFull) m |= kStack32;
  if (!s.protected_mode() || s.virtual_8086()) m |= kReal;
  return m;
}

bool Cpu::Stop(std::string message) {
  if (!error_) {
    error_ = true;
    error_message_ = std::move(message);
  }
  return false;
}

void Cpu::OnCodePage(uint64_t paddr) { tlb_.FlushWritesTo(paddr); }

void Cpu::FlushTlb() {
  tlb_.FlushAll();
  InvalidateChains();
}

void Cpu::FlushTlbPage(uint64_t lin) {
  InvalidateChains();
  if (tlb_.has_large_pages) {
    tlb_.FlushAll();  // a large page is cached as many 4 KiB entries
  } else {
    tlb_.FlushPage(lin);
  }
}

bool Cpu::LoadPdptes(uint64_t cr3) {
  // The 32-byte table at CR3[31:5]; a present PDPTE must have bits 2:1, 8:5 and
  // 63:MAXPHYADDR clear (SDM Vol. 3A 4.4.1, Table 4-8).
  constexpr uint64_t kReserved = 0x1E6ull | ~kPhysAddrMask;
  uint64_t pdpte[4];
  for (int i = 0; i < 4; ++i) {
    pdpte[i] = PhysRead((cr3 & 0xFFFFFFE0ull) + 8 * i, 8);
    if ((pdpte[i] & 1) && (pdpte[i] & kReserved)) return false;
  }
  memcpy(s.pdpte, pdpte, sizeof(pdpte));
  return true;
}

bool Cpu::BuildBlock(uint64_t rip, uint64_t lin, uint64_t paddr, Block* b) {
  const uint32_t mode = DecodeMode();
  b->rip = rip;
  // Sequential RIP wraps at the code size (IP at 64 KiB, EIP at 4 GiB).
  const uint64_t rip_mask = code_size_ == 8 ? ~0ull : code_size_ == 4 ? 0xFFFFFFFFull : 0xFFFF;
  uint64_t cur_rip = rip, cur_lin = lin, cur_pa = paddr;
  b->stamp_ptr[0] = memory_.stamp_ptr(paddr);
  memory_.MarkCode(paddr);
  b->stamp[0] = *b->stamp_ptr[0];
  while (b->count < Block::kMaxInsns) {
    uint8_t bytes[16];
    const uint64_t in_page = kPageSize - (cur_pa & kPageMask);
    size_t avail = std::min<uint64_t>(in_page, 15);
    memcpy(bytes, memory_.HostPtr(cur_pa), avail);
    Insn& insn = b->insns[b->count];
    Decoder::Status st = decoder_->Decode(mode, bytes, avail, &insn);
    if (st == Decoder::Status::kNeedMoreBytes) {
      // The instruction crosses into the next page: fetch it too (SDM: fetch faults
      // are raised for the instruction that needs the bytes).
      uint64_t pa2;
      const uint64_t lin2 = (cur_lin + avail) & lin_mask_;
      if (b->count > 0) break;  // let it start a block of its own
      if (!Translate(lin2, {.exec = true, .user = s.cpl() == 3}, &pa2)) return false;
      if (!memory_.IsRam(pa2)) {
        return Stop(absl::StrFormat("instruction fetch from non-RAM address 0x%x", pa2));
      }
      memcpy(bytes + avail, memory_.HostPtr(pa2), 15 - avail);
      st = decoder_->Decode(mode, bytes, 15, &insn);
      insn.next_rip = (cur_rip + insn.len) & rip_mask;
      b->stamp_ptr[1] = memory_.stamp_ptr(pa2);
      memory_.MarkCode(pa2);
      b->stamp[1] = *b->stamp_ptr[1];
      ++b->count;
      break;
    }
    insn.next_rip = (cur_rip + insn.len) & rip_mask;
    // Macro-fusion: an ALU instruction followed by Jcc runs as one handler.
    if (b->count > 0) isa::TryFuse(b->insns[b->count - 1], insn);
    ++b->count;
    if (insn.flags & Insn::kEndsBlock) break;
    cur_rip += insn.len;
    cur_lin += insn.len;
    cur_pa += insn.len;
    if ((cur_pa & kPageMask) == 0 || (cur_pa & ~kPageMask) != (paddr & ~kPageMask)) break;
  }
  b->insns[b->count] = Insn{.fn = &Cpu::BlockEnd};  // the sentinel (len 0)
  const uint8_t last = b->insns[b->count - 1].flags;
  b->chains = !(last & Insn::kEndsBlock) || (last & Insn::kChains);
  return true;
}

Block* Cpu::FindOrBuildBlock() {
  const uint64_t lin = (s.rip + seg_base_[kCs]) & lin_mask_;
  uint64_t paddr;
  // CS limit check outside 64-bit mode (SDM Vol. 3A 5.3); a block does not re-check
  // the limit for its later instructions.
  if (VMX_UNLIKELY(code_size_ != 8 && s.rip > s.seg[kCs].limit)) {
    RaiseFault({kGP, true, 0});
    return nullptr;
  }
  const TlbEntry& e = tlb_.exec[Tlb::Index(lin)];
  if (VMX_LIKELY(e.tag == tlb_.Tag(lin))) {
    paddr = e.paddr | (lin & kPageMask);
  } else if (!Translate(lin, {.exec = true, .user = s.cpl() == 3}, &paddr)) {
    return nullptr;
  }
  if (!memory_.IsRam(paddr)) {
    Stop(absl::StrFormat("instruction fetch from non-RAM physical address 0x%x", paddr));
    return nullptr;
  }
  const uint32_t mode = DecodeMode();
  if (Block* b = blocks_->Find(paddr, mode); b != nullptr && b->rip == s.rip) return b;
  if (blocks_->full()) {
    // Only called between blocks, so no block is executing; the epoch bump makes every
    // link (and NextBlock's pending one) stale.
    blocks_->Clear();
    InvalidateChains();
  }
  bool replaced;
  Block* b = blocks_->Create(paddr, mode, &replaced);
  if (replaced) InvalidateChains();  // links may point at the old contents
  if (!BuildBlock(s.rip, lin, paddr, b)) {
    b->count = 0;
    b->stamp_ptr[0] = nullptr;
    blocks_->Clear();  // never leave a half-built block findable
    InvalidateChains();
    return nullptr;
  }
  return b;
}

uint64_t Cpu::StepBlock(Block* b, uint64_t n) {
  cur_block_ = b;
  end_block_ = false;
  stop_chain_ = true;
  uint64_t done = 0;
  for (const Insn* i = b->insns; done < n && i->len != 0; ++i) {
    pc_ = i;
    s.rip = i->next_rip;
    if (VMX_UNLIKELY(!i->fn(*this, *i))) {
      s.rip = pc_->next_rip - pc_->len;
      if (code_size_ != 8) s.rip &= code_size_ == 4 ? 0xFFFFFFFFull : 0xFFFF;
      return done;
    }
    ++done;
    Retire(1);
    if (end_block_) break;
  }
  return done;
}

bool Cpu::BlockEnd(Cpu& cpu, const Insn&) {
  Block* b = cpu.cur_block_;
  // Retire the block now, so time read inside the chain (RDTSC, device registers) lags
  // by at most the instructions of the current block.
  cpu.retired_ += b->count;
  cpu.vtime_ += b->count;
  // Anything the run loop must see ends the chain. Only blocks ending in a near branch
  // chain (Insn::kChains); inside them the only thing that can need the loop is a board
  // access (MMIO). Faults, stops and EndBlock() never reach here.
  if (!b->chains || cpu.check_events_ || ++cpu.chain_blocks_ > kMaxChainedBlocks) {
    cpu.chain_exit_ = true;
    return true;
  }
  Block* next = nullptr;
  for (int k = 0; k < 2; ++k) {
    Block* n = b->succ[k];
    // (A block replaced in place bumps the epoch, so n->rip == s.rip here.)
    if (b->succ_rip[k] == cpu.s.rip && b->succ_epoch[k] == cpu.chain_epoch_ && n->Valid()) {
      next = n;
      break;
    }
  }
  if (next == nullptr || next->count > cpu.chain_budget_) {
    cpu.chain_exit_ = true;  // the run loop looks the block up (and links it)
    return true;
  }
  cpu.chain_budget_ -= next->count;
  cpu.cur_block_ = next;
  const Insn& first = next->insns[0];
  cpu.pc_ = &first;
  cpu.s.rip = first.next_rip;
  return first.fn(cpu, first);
}

uint64_t Cpu::ExecuteChain(Block* b, uint64_t budget) {
  const uint64_t start = retired_;
  chain_blocks_ = 0;
  chain_exit_ = false;
  end_block_ = false;
  stop_chain_ = false;
  chain_budget_ = budget - b->count;
  cur_block_ = b;
  pc_ = b->insns;
  s.rip = pc_->next_rip;
  bool ok = pc_->fn(*this, *pc_);
  for (;;) {
    if (VMX_UNLIKELY(!ok)) {
      // pc_ (in cur_block_) faulted or stopped: it does not retire.
      Retire(static_cast<uint64_t>(pc_ - cur_block_->insns));
      s.rip = pc_->next_rip - pc_->len;
      if (code_size_ != 8) s.rip &= code_size_ == 4 ? 0xFFFFFFFFull : 0xFFFF;
      return retired_ - start;
    }
    if (chain_exit_) return retired_ - start;
    if (end_block_) {
      // EndBlock(): the block stops after pc_ (its page was written, ...).
      Retire(static_cast<uint64_t>(pc_ + 1 - cur_block_->insns));
      return retired_ - start;
    }
    // A handler that does not chain (not Threaded) returned: go on after it.
    const Insn* next = pc_ + 1;
    pc_ = next;
    if (next->len == 0) {
      ok = BlockEnd(*this, *next);
    } else {
      s.rip = next->next_rip;
      ok = next->fn(*this, *next);
    }
  }
}

Block* Cpu::NextBlock(Block* prev) {
  for (int k = 0; k < 2; ++k) {
    Block* next = prev->succ[k];
    if (prev->succ_rip[k] == s.rip && prev->succ_epoch[k] == chain_epoch_ &&
        next->rip == s.rip && next->Valid()) {
      return next;
    }
  }
  const uint64_t epoch = chain_epoch_;
  Block* next = FindOrBuildBlock();
  // A cache flush inside FindOrBuildBlock freed `prev`: then there is nothing to link.
  if (next != nullptr && epoch == chain_epoch_) {
    const int k = prev->succ_next;
    prev->succ_next ^= 1;
    prev->succ[k] = next;
    prev->succ_rip[k] = s.rip;
    prev->succ_epoch[k] = chain_epoch_;
  }
  return next;
}

RunResult Cpu::Run(uint64_t max_instructions) {
  const uint64_t end = retired_ + max_instructions;
  stop_requested_ = false;
  for (;;) {
    // ---- slow path: everything that can happen only between blocks ----
    if (VMX_UNLIKELY(error_)) {
      error_ = false;
      return {StopReason::kError,
              absl::StrFormat("%s at RIP=0x%x (CS=0x%x)", error_message_, s.rip, s.seg[kCs].selector)};
    }
    if (VMX_UNLIKELY(stop_requested_)) return {StopReason::kRequested, ""};
    if (VMX_UNLIKELY(shutdown_)) {
      shutdown_ = false;
      return {StopReason::kShutdown, shutdown_message_};
    }
    // Timers are due, or the board was touched (a device may have armed or moved a
    // timer, so the cached deadline is refreshed).
    if (vtime_ >= next_timer_vtime_ || (check_events_ && !timers_checked_)) {
      timers_checked_ = true;
      check_events_ = true;
      const uint64_t next_ns = platform_.RunTimers(vtime_ns());
      const uint64_t unit = 1ull << config_.icount_shift;
      next_timer_vtime_ = next_ns == UINT64_MAX ? UINT64_MAX : (next_ns + unit - 1) >> config_.icount_shift;
      continue;
    }
    timers_checked_ = false;
    if (!DeliverPendingEvents()) continue;  // delivery faulted or stopped: loop handles it
    if (s.halted) {
      if (next_timer_vtime_ == UINT64_MAX) {
        return {StopReason::kHalted,
                absl::StrFormat("HLT at RIP=0x%x with %s and no timer armed: the CPU can never wake",
                                s.rip, (s.rflags_base & kFlagIF) ? "interrupts enabled" : "interrupts disabled")};
      }
      vtime_ = std::max(vtime_, next_timer_vtime_);  // idle: skip to the next deadline
      continue;
    }
    if (retired_ >= end) return {StopReason::kBudget, ""};

    Block* b = FindOrBuildBlock();
    if (VMX_UNLIKELY(b == nullptr)) {
      if (fault_pending_) DeliverFault();
      continue;
    }
    // An interrupt shadow (STI, MOV SS) covers only the boundary before this block's
    // first instruction, which the event check above has just respected.
    s.sti_shadow = s.mov_ss_shadow = false;

    // ---- fast path: run blocks back to back while nothing needs the slow path ----
    // (the budget, a timer deadline, a fault, a stop, a board access, an interrupt that
    // IF now allows, single-stepping, HLT).
    const uint64_t timer_limit = next_timer_vtime_ - vtime_;  // >= 1 here
    const uint64_t limit = std::min(end - retired_, timer_limit);
    uint64_t budget = limit;
    for (;;) {
      // TF: a single-step trap after each instruction (SDM Vol. 3A 17.3.1.4). RF is
      // cleared once the next instruction completes (SDM Vol. 3B 17.3.1.1), so an
      // instruction started with RF=1 runs alone.
      const bool tf = s.rflags_base & kFlagTF;
      const bool rf = s.rflags_base & kFlagRF;
      const uint64_t done = (tf || rf || b->count > budget)
                                ? StepBlock(b, (tf || rf) ? 1 : budget)
                                : ExecuteChain(b, budget);
      if (VMX_UNLIKELY(rf) && done == 1) s.rflags_base &= ~kFlagRF;
      budget -= done;  // (both retired the instructions themselves)
      if (VMX_UNLIKELY(fault_pending_)) {
        DeliverFault();
        break;
      }
      if (VMX_UNLIKELY(tf)) {
        if (done == 1 && !error_) DeliverSingleStepTrap();
        break;
      }
      if (budget == 0 || error_ || stop_requested_ || s.halted || check_events_ ||
          (irq_line_ && (s.rflags_base & kFlagIF)) || s.sti_shadow || s.mov_ss_shadow) {
        break;
      }
      Block* next = NextBlock(cur_block_);
      if (VMX_UNLIKELY(next == nullptr)) {
        if (fault_pending_) DeliverFault();
        break;
      }
      b = next;
    }
  }
}

}  // namespace vmxemu::cpu
