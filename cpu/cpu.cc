#include "cpu/cpu.h"

#include <Zydis/Zydis.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "cpu/decoder.h"

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
  s.gpr[kRdx] = 0x600;  // processor signature family 6 (see cpuid.cc)
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

bool Cpu::Condition(int cond) const {
  bool r;
  switch (cond >> 1) {
    case 0: r = Of(); break;
    case 1: r = Cf(); break;
    case 2: r = Zf(); break;
    case 3: r = Cf() || Zf(); break;
    case 4: r = Sf(); break;
    case 5: r = Pf(); break;
    case 6: r = Sf() != Of(); break;
    default: r = Zf() || (Sf() != Of()); break;
  }
  return r != (cond & 1);
}

void Cpu::OnCodePage(uint64_t paddr) { tlb_.FlushWritesTo(paddr); }

void Cpu::FlushTlb() { tlb_.FlushAll(); }

void Cpu::FlushTlbPage(uint64_t lin) {
  if (tlb_.has_large_pages) {
    tlb_.FlushAll();  // a large page is cached as many 4 KiB entries
  } else {
    tlb_.FlushPage(lin);
  }
}

bool Cpu::BuildBlock(uint64_t rip, uint64_t lin, uint64_t paddr, Block* b) {
  const uint32_t mode = DecodeMode();
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
      b->stamp_ptr[1] = memory_.stamp_ptr(pa2);
      memory_.MarkCode(pa2);
      b->stamp[1] = *b->stamp_ptr[1];
      ++b->count;
      break;
    }
    ++b->count;
    if (insn.flags & Insn::kEndsBlock) break;
    cur_rip += insn.len;
    cur_lin += insn.len;
    cur_pa += insn.len;
    if ((cur_pa & kPageMask) == 0 || (cur_pa & ~kPageMask) != (paddr & ~kPageMask)) break;
  }
  (void)cur_rip;
  return true;
}

const Block* Cpu::FindOrBuildBlock() {
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
  if (Block* b = blocks_->Find(paddr, mode)) return b;
  Block* b = blocks_->Create(paddr, mode);
  if (!BuildBlock(s.rip, lin, paddr, b)) {
    b->count = 0;
    b->stamp_ptr[0] = nullptr;
    blocks_->Clear();  // never leave a half-built block findable
    return nullptr;
  }
  return b;
}

RunResult Cpu::Run(uint64_t max_instructions) {
  const uint64_t end = retired_ + max_instructions;
  stop_requested_ = false;
  for (;;) {
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
    if (vtime_ >= next_timer_vtime_) {
      const uint64_t next_ns = platform_.RunTimers(vtime_ns());
      const uint64_t unit = 1ull << config_.icount_shift;
      next_timer_vtime_ = next_ns == UINT64_MAX ? UINT64_MAX : (next_ns + unit - 1) >> config_.icount_shift;
      continue;
    }
    if (!DeliverPendingEvents()) continue;  // delivery faulted or stopped: loop handles it
    if (s.halted) {
      if (next_timer_vtime_ == UINT64_MAX) {
        return {StopReason::kHalted,
                absl::StrFormat("HLT at RIP=0x%x with %s and no timer armed: the CPU can never wake",
                                s.rip, (s.Rflags() & kFlagIF) ? "interrupts enabled" : "interrupts disabled")};
      }
      vtime_ = std::max(vtime_, next_timer_vtime_);  // idle: skip to the next deadline
      continue;
    }
    if (retired_ >= end) return {StopReason::kBudget, ""};

    const Block* b = FindOrBuildBlock();
    if (VMX_UNLIKELY(b == nullptr)) {
      if (fault_pending_) DeliverFault();
      continue;
    }
    // An interrupt shadow (STI, MOV SS) covers only the boundary before this block's
    // first instruction, which the event check above has just respected.
    s.sti_shadow = s.mov_ss_shadow = false;
    // TF: a single-step trap after each instruction (SDM Vol. 3A 17.3.1.4).
    const bool tf = s.rflags_base & kFlagTF;
    exec_remaining_ = tf ? 1 : std::min<uint64_t>(b->count, end - retired_);
    uint64_t done = 0;
    const Insn* insn = b->insns;
    // exec_remaining_ is re-read each step: a write to this block's page ends it early.
    while (done < exec_remaining_) {
      s.rip += insn->len;
      if (VMX_UNLIKELY(!insn->fn(*this, *insn))) {
        s.rip -= insn->len;
        break;
      }
      ++done;
      ++insn;
    }
    retired_ += done;
    vtime_ += done;
    if (VMX_UNLIKELY(fault_pending_)) {
      DeliverFault();
    } else if (VMX_UNLIKELY(tf) && done == 1 && !error_) {
      DeliverSingleStepTrap();
    }
  }
}

}  // namespace vmxemu::cpu
