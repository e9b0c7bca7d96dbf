// One emulated x86-64 logical processor: architectural state, the memory path
// (segmentation -> software TLB -> physical memory), the decoded-block cache and the run
// loop. Instruction semantics live in isa/*.cc, one family per file; they use the inline
// accessors below.
#ifndef VMXEMU_CPU_CPU_H_
#define VMXEMU_CPU_CPU_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "cpu/block_cache.h"
#include "cpu/insn.h"
#include "cpu/memory.h"
#include "cpu/platform.h"
#include "cpu/state.h"
#include "cpu/tlb.h"

namespace vmxemu::cpu {

#define VMX_LIKELY(x) __builtin_expect(!!(x), 1)
#define VMX_UNLIKELY(x) __builtin_expect(!!(x), 0)

// Exception vectors (SDM Vol. 3A 6.3.1, Table 6-1).
enum Vector : uint8_t {
  kDE = 0, kDB = 1, kNMI = 2, kBP = 3, kOF = 4, kBR = 5, kUD = 6, kNM = 7, kDF = 8,
  kTS = 10, kNP = 11, kSS = 12, kGP = 13, kPF = 14, kMF = 16, kAC = 17, kMC = 18,
  kXM = 19, kVE = 20,
};

enum class StopReason {
  kBudget,      // the instruction budget ran out
  kHalted,      // HLT with no way to wake (IF=0, no NMI, no timer)
  kShutdown,    // triple fault (SDM Vol. 3A 6.15, interrupt 8)
  kRequested,   // the board asked to stop (e.g. isa-debug-exit)
  kError,       // an emulator limit: unimplemented instruction or feature
};

struct RunResult {
  StopReason reason;
  std::string message;  // for kError/kShutdown: what happened, naming the RIP
};

struct CpuConfig {
  int icount_shift = 0;  // one instruction = 2^shift virtual ns; TSC runs at 1 GHz
};

// A pending exception raised by a handler (a value, not a C++ exception).
struct Fault {
  uint8_t vector = 0;
  bool has_error_code = false;
  uint32_t error_code = 0;
};

class Cpu {
 public:
  Cpu(PhysicalMemory& memory, Platform& platform, CpuConfig config = {});
  ~Cpu();
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  CpuState s;  // the architectural state; call StateChanged() after editing it directly

  // Power-on / INIT state (SDM Vol. 3A 9.1.1, Table 9-1): real mode at F000:FFF0.
  void Reset();
  // Re-derives cached views (segment bases, TLB context, decode mode) after s changed.
  void StateChanged();

  // Runs until `max_instructions` more have retired or something stops the CPU.
  RunResult Run(uint64_t max_instructions);
  void RequestStop() { stop_requested_ = true; }

  // Virtual time: instructions retired plus time skipped while halted.
  uint64_t retired() const { return retired_; }
  const uint64_t* vtime_counter() const { return &vtime_; }
  uint64_t vtime_ns() const { return vtime_ << config_.icount_shift; }
  uint64_t Tsc() const { return vtime_ns() + s.msr.tsc_adjust; }

  PhysicalMemory& memory() { return memory_; }
  // Any access to the board may change interrupt lines (an EOI, an IMR write, a timer
  // reprogrammed), so the run loop re-polls INTR/NMI after one.
  Platform& platform() {
    check_events_ = true;
    return platform_;
  }
  // Makes the run loop look at pending events before the next instruction: for changes
  // that can unblock an event without touching the board (IRET ending NMI blocking).
  void RecheckEvents() { check_events_ = true; }

  // ---- for instruction handlers -------------------------------------------------------

  template <class T>
  T GetReg(uint8_t byte_offset) const {
    T v;
    memcpy(&v, reinterpret_cast<const char*>(s.gpr) + byte_offset, sizeof(T));
    return v;
  }
  // 32-bit writes zero-extend to 64 bits; 8/16-bit writes merge (SDM Vol. 1 3.4.1.1).
  template <class T>
  void SetReg(uint8_t byte_offset, T v) {
    char* p = reinterpret_cast<char*>(s.gpr) + byte_offset;
    if constexpr (sizeof(T) == 4) {
      uint64_t z = v;
      memcpy(p, &z, 8);
    } else {
      memcpy(p, &v, sizeof(T));
    }
  }

  // Effective address of the instruction's memory operand (before segmentation).
  uint64_t Ea(const Insn& i) const {
    uint64_t ea = s.gpr[i.base] + (s.gpr[i.index] << i.scale) + static_cast<int64_t>(i.disp);
    if (i.rip_relative()) ea += s.rip;
    return i.addrsize == 8 ? ea : ea & (i.addrsize == 4 ? 0xFFFFFFFFull : 0xFFFFull);
  }

  // Data accesses through segment `seg` at effective address `ea`. Return false after
  // raising the fault (#GP/#SS/#PF/...) the access causes.
  template <class T>
  bool Read(int seg, uint64_t ea, T* out) {
    const uint64_t lin = (ea + seg_base_[seg]) & lin_mask_;
    const TlbEntry& e = tlb_.read[Tlb::Index(lin)];
    if (VMX_LIKELY(e.tag == tlb_.Tag(lin) && !seg_check_[seg] &&
                   (lin & kPageMask) <= kPageSize - sizeof(T))) {
      memcpy(out, reinterpret_cast<const void*>(lin + e.addend), sizeof(T));
      return true;
    }
    uint64_t v;
    if (!ReadSlow(seg, ea, sizeof(T), &v)) return false;
    *out = static_cast<T>(v);
    return true;
  }
  template <class T>
  bool Write(int seg, uint64_t ea, T value) {
    const uint64_t lin = (ea + seg_base_[seg]) & lin_mask_;
    const TlbEntry& e = tlb_.write[Tlb::Index(lin)];
    if (VMX_LIKELY(e.tag == tlb_.Tag(lin) && !seg_check_[seg] &&
                   (lin & kPageMask) <= kPageSize - sizeof(T))) {
      memcpy(reinterpret_cast<void*>(lin + e.addend), &value, sizeof(T));
      return true;
    }
    return WriteSlow(seg, ea, sizeof(T), value);
  }
  // Checks that a write of `size` bytes would succeed (segmentation and paging, setting
  // A/D bits) without writing: read-modify-write instructions probe before they change
  // any register, so a fault leaves no partial effect.
  bool ProbeWrite(int seg, uint64_t ea, int size);

  // Bulk access for REP MOVS/STOS (isa/string.cc): the host memory behind `size` bytes
  // at seg:ea when Read/Write would take their fast path for every byte (flat segment,
  // a cached translation allowing the access, RAM, all in one page), else nullptr; the
  // caller then falls back to Read/Write, which fill the TLB.
  uint8_t* FastHostPtr(int seg, uint64_t ea, uint64_t size, bool write) {
    const uint64_t lin = (ea + seg_base_[seg]) & lin_mask_;
    const TlbEntry& e = (write ? tlb_.write : tlb_.read)[Tlb::Index(lin)];
    if (e.tag != tlb_.Tag(lin) || seg_check_[seg] || (lin & kPageMask) + size > kPageSize) {
      return nullptr;
    }
    return reinterpret_cast<uint8_t*>(lin + e.addend);
  }
  // Offset within its page of the linear address of seg:ea.
  uint64_t LinearPageOffset(int seg, uint64_t ea) const { return (ea + seg_base_[seg]) & kPageMask; }

  // Stack accesses use SS with the stack address size (SDM Vol. 1 6.2.3).
  template <class T>
  bool Push(T value) {
    const uint64_t rsp = (s.gpr[kRsp] - sizeof(T)) & stack_mask_;
    if (!Write<T>(kSs, rsp, value)) return false;
    SetStackPointer(rsp);
    return true;
  }
  template <class T>
  bool Pop(T* out) {
    const uint64_t rsp = s.gpr[kRsp] & stack_mask_;
    if (!Read<T>(kSs, rsp, out)) return false;
    SetStackPointer(rsp + sizeof(T));
    return true;
  }
  uint64_t stack_mask() const { return stack_mask_; }
  void SetStackPointer(uint64_t rsp) {
    if (stack_mask_ == ~0ull) s.gpr[kRsp] = rsp;
    else if (stack_mask_ == 0xFFFFFFFFull) s.gpr[kRsp] = static_cast<uint32_t>(rsp);
    else s.gpr[kRsp] = (s.gpr[kRsp] & ~0xFFFFull) | (rsp & 0xFFFF);
  }

  // Arithmetic flags through the lazy state.
  [[gnu::always_inline]] bool Cf() const { return s.flags.op == FlagOp::kEager ? s.rflags_base & kFlagCF : s.flags.Cf(); }
  [[gnu::always_inline]] bool Zf() const { return s.flags.op == FlagOp::kEager ? s.rflags_base & kFlagZF : s.flags.Zf(); }
  [[gnu::always_inline]] bool Sf() const { return s.flags.op == FlagOp::kEager ? s.rflags_base & kFlagSF : s.flags.Sf(); }
  [[gnu::always_inline]] bool Of() const { return s.flags.op == FlagOp::kEager ? s.rflags_base & kFlagOF : s.flags.Of(); }
  [[gnu::always_inline]] bool Pf() const { return s.flags.op == FlagOp::kEager ? s.rflags_base & kFlagPF : s.flags.Pf(); }
  // Jcc/SETcc/CMOVcc conditions (SDM Vol. 1 Appendix B).
  [[gnu::always_inline]] bool Condition(int cond) const {
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
  // Replaces the flags in `mask` with those in `value` (eager).
  void SetFlags(uint64_t mask, uint64_t value) {
    s.rflags_base = s.flags.SetFrom((s.Rflags() & ~mask) | (value & mask));
  }

  // Records an exception for the run loop to deliver; returns false for `return Raise(..)`.
  bool Raise(uint8_t vector) { return RaiseFault({vector, false, 0}); }
  bool Raise(uint8_t vector, uint32_t error_code) { return RaiseFault({vector, true, error_code}); }
  bool RaiseFault(Fault f) {
    fault_ = f;
    fault_pending_ = true;
    return false;
  }
  // Stops the run with an emulator error (unimplemented instruction/feature, ...). The
  // message should name the instruction or feature; the run loop adds the RIP.
  bool Stop(std::string message);

  // Delivers an interrupt or exception through the IVT/IDT now (SDM Vol. 3A 6.12).
  // `next_rip` is the return address pushed for software interrupts and traps.
  enum class EventKind { kExternal, kNmi, kHardwareException, kSoftwareInterrupt,
                         kPrivilegedSoftwareException, kSoftwareException };
  bool DeliverEvent(uint8_t vector, EventKind kind, bool has_error, uint32_t error,
                    uint64_t return_rip);

  // Translates a linear address for the given access; on failure raises #PF (or #GP
  // for a non-canonical address) and returns false.
  struct Access {
    bool write = false;
    bool exec = false;
    bool user = false;  // a CPL-3 access (not implicit supervisor accesses)
  };
  bool Translate(uint64_t lin, Access access, uint64_t* paddr);
  // Physical access that goes to RAM or MMIO, sizes 1..8, within one page.
  uint64_t PhysRead(uint64_t paddr, int size);
  void PhysWrite(uint64_t paddr, int size, uint64_t value);
  // Linear (already segmented) accesses for descriptor tables, TSS, IDT, page-crossing
  // data: `user` says whether privilege checks are those of CPL 3.
  bool LinearRead(uint64_t lin, int size, bool user, uint64_t* out);
  bool LinearWrite(uint64_t lin, int size, bool user, uint64_t value);

  // Flushes the software TLB (CR3 loads, paging-mode changes) / one page (INVLPG).
  void FlushTlb();
  void FlushTlbPage(uint64_t lin);
  // Invalidates block-to-block links (they assume the current linear->physical mapping,
  // CS base and decode mode). Called by every TLB flush and mode change.
  void InvalidateChains() { ++chain_epoch_; }
  // Loads the four PAE PDPTE registers from the table at `cr3` (SDM Vol. 3A 4.4.1).
  // Returns false, changing nothing, when a present entry sets a reserved bit: the
  // MOV to CR0/CR3/CR4 (or VM entry) doing the load then fails.
  bool LoadPdptes(uint64_t cr3);

  // Loads a segment register in the current mode with all the SDM's checks
  // (Vol. 3A 3.4.3, 5.5-5.8; real mode: base = selector << 4). Returns false on fault.
  bool LoadSegment(int seg, uint16_t selector);
  // The segment caches after a direct change of s.seg[] (e.g. far jumps, VM entry).
  void SegmentsChanged();

  uint8_t code_size() const { return code_size_; }  // 2, 4 or 8
  // Ends the current block after the executing instruction (it changed something later
  // instructions' decoding or execution depends on).
  void EndBlock() {
    stop_chain_ = true;
    end_block_ = true;
  }

  // ---- threaded dispatch (see isa/isa.h Threaded<>) ----
  // The instruction being executed; a threaded handler sets it before tail-calling
  // the next one, so after a fault it names the faulting instruction.
  const Insn* pc_ = nullptr;
  // When set, threaded handlers return to the dispatcher after each instruction
  // (budget ends inside the block, single-stepping, EndBlock()).
  bool stop_chain_ = false;

  // The handler of every block's sentinel: accounts the finished block and, when the
  // link to the next block is valid and nothing needs the run loop, tail-calls into it.
  static bool BlockEnd(Cpu& cpu, const Insn& sentinel);

 private:
  friend class CpuTestPeer;

  bool ReadSlow(int seg, uint64_t ea, int size, uint64_t* out);
  bool WriteSlow(int seg, uint64_t ea, int size, uint64_t value);
  bool SegmentCheck(int seg, uint64_t ea, int size, bool write, uint64_t* lin);
  bool Walk(uint64_t lin, Access access, uint64_t* paddr, bool* large_page);
  Block* FindOrBuildBlock();
  // The block at the current RIP: through the previous block's link when valid.
  Block* NextBlock(Block* prev);
  bool BuildBlock(uint64_t rip, uint64_t lin, uint64_t paddr, Block* block);
  void DeliverFault();
  // Delivers a pending NMI or external interrupt if nothing blocks it; false when the
  // delivery itself faulted or stopped (the run loop then goes round again).
  bool DeliverPendingEvents();
  void DeliverSingleStepTrap();
  // A fault during delivery of another event: #DF or shutdown (SDM Vol. 3A 6.15, Table 6-5).
  void EnterShutdown(std::string why);
  void OnCodePage(uint64_t paddr);
  uint32_t DecodeMode() const;

  PhysicalMemory& memory_;
  Platform& platform_;
  CpuConfig config_;

  // Cached views of the state, derived by StateChanged()/SegmentsChanged().
  uint64_t seg_base_[kNumSegRegs] = {};  // 0 for CS/DS/ES/SS in 64-bit mode
  bool seg_check_[kNumSegRegs] = {};     // limit/rights must be checked (not flat)
  uint64_t lin_mask_ = ~0ull;            // 32-bit outside long mode
  uint64_t stack_mask_ = 0xFFFF;
  uint8_t code_size_ = 2;

  Tlb tlb_;
  std::unique_ptr<BlockCache> blocks_;
  std::unique_ptr<class Decoder> decoder_;

  uint64_t retired_ = 0;
  uint64_t vtime_ = 0;
  uint64_t next_timer_vtime_ = UINT64_MAX;
  bool fault_pending_ = false;
  Fault fault_;
  int fault_depth_ = 0;  // nesting of exception delivery, for #DF / triple fault
  bool stop_requested_ = false;
  bool end_block_ = false;       // EndBlock() was called during this block
  // Runs `b` and the blocks linked after it while they fit `budget` and nothing needs
  // the run loop; returns how many instructions retired. A fault leaves fault_pending_
  // set and RIP at the instruction; cur_block_ is the last block entered.
  uint64_t ExecuteChain(Block* b, uint64_t budget);
  // Runs at most `n` instructions of `b` one at a time (budget end, single-step).
  uint64_t StepBlock(Block* b, uint64_t n);
  // Blocks BlockEnd may enter before returning to the run loop: bounds the stack in
  // builds where the tail calls are not optimized into jumps (-O0, -O1).
  static constexpr uint32_t kMaxChainedBlocks = 64;
  Block* cur_block_ = nullptr;    // the block being executed
  uint64_t chain_budget_ = 0;     // instructions the chain may still start
  void Retire(uint64_t n) {
    retired_ += n;
    vtime_ += n;
  }
  uint32_t chain_blocks_ = 0;     // blocks entered by BlockEnd in this chain
  bool chain_exit_ = false;       // BlockEnd returned to the dispatcher
  bool nmi_latched_ = false;  // an NMI taken from the platform, not yet delivered
  bool check_events_ = true;  // the board was touched: re-poll INTR and NMI
  bool timers_checked_ = false;  // timers were refreshed for this check_events_
  bool irq_line_ = false;     // INTR as last polled
  uint64_t chain_epoch_ = 1;
  bool shutdown_ = false;
  std::string shutdown_message_;
  bool error_ = false;
  std::string error_message_;
};

}  // namespace vmxemu::cpu

#endif  // VMXEMU_CPU_CPU_H_
