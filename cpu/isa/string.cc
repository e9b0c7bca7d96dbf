// String instructions: MOVS, STOS, LODS, CMPS, SCAS in all widths, alone or with
// REP / REPE / REPNE (SDM Vol. 2 under each mnemonic and "REP/REPE/REPZ/REPNE/REPNZ";
// Vol. 1 7.3.9).
//
// Registers: the address size picks SI/DI/CX, ESI/EDI/ECX or RSI/RDI/RCX. A 16-bit
// update changes only the low 16 bits (the pointer wraps within 64 KiB); a 32-bit update
// is a 32-bit register write, so in 64-bit mode it zero-extends (SDM Vol. 1 3.4.1.1).
// The source is seg:rSI with DS overridable; the destination is always ES:rDI (no
// override; in 64-bit mode the core gives ES a base of 0).
//
// REP: a count of 0 does nothing at all (not even the 32-bit zero-extension of RCX,
// RSI, RDI: nothing is written, as in QEMU). Iterations are restartable (SDM Vol. 2B
// REP: an exception or interrupt suspends the operation with the registers describing
// the iterations done, and it resumes from them): after a fault rSI/rDI/rCX (and the
// flags of CMPS/SCAS) reflect the completed iterations and RIP is the instruction's.
// A handler call runs at most kIterationsPerCall iterations; if the count is not
// exhausted it leaves RIP at the instruction and ends the block, so the run loop can
// take interrupts and timers in between and then resumes the instruction at that
// architectural restart point. Each call retires one "instruction" for virtual time.
// With TF=1 one iteration runs per call, so the single-step trap comes after every
// iteration, as processors do.
// F2 (REPNE) on MOVS/STOS/LODS is treated as REP, as processors and QEMU do (the SDM
// leaves it reserved).
//
// Speed: REP MOVS/STOS copy or fill a page at a time with memmove/memset through the
// TLB's host pointers when both ends are flat RAM with cached translations, except for
// the overlapping MOVS whose element-by-element result differs from memmove (the
// destination ahead of the source in the copy direction): those run element by element.
#include <algorithm>
#include <cstring>

#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

enum class Op : uint8_t { kMovs, kStos, kLods, kCmps, kScas };
// kRep: F3 (REP, or REPE for CMPS/SCAS); kRepne: F2 on CMPS/SCAS.
enum class Rep : uint8_t { kNone, kRep, kRepne };

constexpr uint64_t kIterationsPerCall = 4096;

constexpr bool ReadsSource(Op op) { return op == Op::kMovs || op == Op::kLods || op == Op::kCmps; }
constexpr bool UsesDestination(Op op) { return op != Op::kLods; }

// rSI/rDI/rCX as the address size sees them.
template <int kAddr>
struct AddrRegs {
  static constexpr uint64_t kMask = kAddr == 64 ? ~0ull : (1ull << kAddr) - 1;
  static uint64_t Get(const Cpu& cpu, int r) { return cpu.s.gpr[r] & kMask; }
  static void Set(Cpu& cpu, int r, uint64_t v) {
    if constexpr (kAddr == 16) {
      cpu.s.gpr[r] = (cpu.s.gpr[r] & ~kMask) | (v & kMask);
    } else {
      cpu.s.gpr[r] = v & kMask;
    }
  }
};

template <Op kOp, int kBits, int kAddr, Rep kRep>
struct String {
  using T = UInt<kBits>;
  using A = AddrRegs<kAddr>;
  static constexpr uint64_t kSize = sizeof(T);

  // One element at si/di; advances them by delta. False after a fault (nothing changed).
  static bool Step(Cpu& cpu, const Insn& i, uint64_t& si, uint64_t& di, uint64_t delta) {
    T src = 0, dst = 0;
    if constexpr (ReadsSource(kOp)) {
      if (!cpu.Read<T>(i.seg, si, &src)) return false;
    }
    if constexpr (kOp == Op::kMovs) {
      if (!cpu.Write<T>(kEs, di, src)) return false;
    } else if constexpr (kOp == Op::kStos) {
      if (!cpu.Write<T>(kEs, di, cpu.GetReg<T>(kRax * 8))) return false;
    } else if constexpr (kOp == Op::kLods) {
      cpu.SetReg<T>(kRax * 8, src);
    } else {
      if (!cpu.Read<T>(kEs, di, &dst)) return false;
      // CMPS: [rSI] - [rDI]; SCAS: accumulator - [rDI] (flags as CMP).
      const T a = kOp == Op::kCmps ? src : cpu.GetReg<T>(kRax * 8);
      cpu.s.flags.Set<kBits>(FlagOp::kSub, static_cast<T>(a - dst), dst);
    }
    if constexpr (ReadsSource(kOp)) si = (si + delta) & A::kMask;
    if constexpr (UsesDestination(kOp)) di = (di + delta) & A::kMask;
    return true;
  }

  static void Commit(Cpu& cpu, uint64_t si, uint64_t di) {
    if constexpr (ReadsSource(kOp)) A::Set(cpu, kRsi, si);
    if constexpr (UsesDestination(kOp)) A::Set(cpu, kRdi, di);
  }

  // How many elements from `ea` on, in the copy direction, lie in one linear page
  // without wrapping the address size (0 if the first one crosses a page).
  static uint64_t ElementsInPage(const Cpu& cpu, int seg, uint64_t ea, bool down) {
    const uint64_t off = cpu.LinearPageOffset(seg, ea);
    if (off + kSize > kPageSize) return 0;
    uint64_t n = down ? off / kSize + 1 : (kPageSize - off) / kSize;
    if constexpr (kAddr != 64) n = std::min(n, down ? ea / kSize + 1 : (A::kMask - ea + 1) / kSize);
    return n;
  }

  // REP MOVS/STOS: up to `max` elements of the current pages in one memmove/fill.
  // Returns how many it did (0: take the element-by-element path; *overlapping when
  // that is because of the overlap, which persists as rSI and rDI move together).
  static uint64_t Bulk(Cpu& cpu, const Insn& i, uint64_t& si, uint64_t& di, uint64_t delta,
                       uint64_t max, bool* overlapping) {
    const bool down = static_cast<int64_t>(delta) < 0;
    uint64_t n = std::min(max, ElementsInPage(cpu, kEs, di, down));
    if constexpr (kOp == Op::kMovs) n = std::min(n, ElementsInPage(cpu, i.seg, si, down));
    if (n < 2) return 0;
    const uint64_t bytes = n * kSize, back = down ? (n - 1) * kSize : 0;
    uint8_t* d = cpu.FastHostPtr(kEs, di - back, bytes, /*write=*/true);
    if (d == nullptr) return 0;
    if constexpr (kOp == Op::kStos) {
      const T v = cpu.GetReg<T>(kRax * 8);
      if constexpr (kSize == 1) {
        memset(d, v, bytes);
      } else {
        for (uint64_t k = 0; k < n; ++k) memcpy(d + k * kSize, &v, kSize);
      }
    } else {
      const uint8_t* s = cpu.FastHostPtr(i.seg, si - back, bytes, /*write=*/false);
      if (s == nullptr) return 0;
      // Element order equals memmove unless the destination overlaps the source ahead
      // of it in the copy direction (then bytes written are read again: a pattern fill).
      if (down ? (d < s && d + bytes > s) : (d > s && d < s + bytes)) {
        *overlapping = true;
        return 0;
      }
      memmove(d, s, bytes);
      si = (si + delta * n) & A::kMask;
    }
    di = (di + delta * n) & A::kMask;
    return n;
  }

  // Leaves RIP at this instruction so the run loop resumes it.
  static void Restart(Cpu& cpu, const Insn& i) {
    uint64_t rip = cpu.s.rip - i.len;
    if (cpu.code_size() != 8) rip &= cpu.code_size() == 4 ? 0xFFFFFFFFull : 0xFFFF;
    cpu.s.rip = rip;
    cpu.EndBlock();
  }

  static bool Run(Cpu& cpu, const Insn& i) {
    const uint64_t delta = (cpu.s.rflags_base & kFlagDF) ? 0 - kSize : kSize;
    uint64_t si = A::Get(cpu, kRsi), di = A::Get(cpu, kRdi);
    if constexpr (kRep == Rep::kNone) {
      if (!Step(cpu, i, si, di, delta)) return false;
      Commit(cpu, si, di);
      return true;
    } else {
      uint64_t count = A::Get(cpu, kRcx);
      if (count == 0) return true;
      uint64_t budget = (cpu.s.rflags_base & kFlagTF) ? 1 : kIterationsPerCall;
      bool progressed = false, overlapping = false;
      for (;;) {
        uint64_t n = 0;
        if constexpr (kOp == Op::kMovs || kOp == Op::kStos) {
          if (!overlapping) n = Bulk(cpu, i, si, di, delta, std::min(count, budget), &overlapping);
        }
        if (n == 0) {
          if (!Step(cpu, i, si, di, delta)) {
            if (progressed) {
              Commit(cpu, si, di);
              A::Set(cpu, kRcx, count);
            }
            return false;
          }
          n = 1;
        }
        progressed = true;
        count -= n;
        budget -= n;
        if (count == 0) break;
        if constexpr (kOp == Op::kCmps || kOp == Op::kScas) {
          // REPE stops when ZF = 0, REPNE when ZF = 1 (checked after the count).
          if (kRep == Rep::kRep ? !cpu.Zf() : cpu.Zf()) break;
        }
        if (budget == 0) {
          Commit(cpu, si, di);
          A::Set(cpu, kRcx, count);
          Restart(cpu, i);
          return true;
        }
      }
      Commit(cpu, si, di);
      A::Set(cpu, kRcx, count);
      return true;
    }
  }
};

template <Op kOp, int kAddr, Rep kRep>
struct ByWidth {
  template <int kBits>
  struct H : String<kOp, kBits, kAddr, kRep> {};
};

template <Op kOp, Rep kRep>
Handler Pick(int addrsize, int size_index) {
  switch (addrsize) {
    case 2: return kBySize<ByWidth<kOp, 16, kRep>::template H>[size_index];
    case 4: return kBySize<ByWidth<kOp, 32, kRep>::template H>[size_index];
    default: return kBySize<ByWidth<kOp, 64, kRep>::template H>[size_index];
  }
}

template <Op kOp>
Handler BindString(const DecodeContext& ctx, Insn* insn) {
  // SSE2 MOVSD/CMPSD (0F-map opcodes) share the mnemonics of the doubleword forms.
  if (ctx.zi.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT) return nullptr;
  // Zydis lists the memory operands as hidden; the decoder filled none of them. The
  // source [rSI] carries the segment after overrides (DS by default).
  insn->seg = kDs;
  for (int k = 0; k < ctx.zi.operand_count; ++k) {
    const ZydisDecodedOperand& op = ctx.ops[k];
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && GprByteOffset(op.mem.base) == kRsi * 8) {
      insn->seg = op.mem.segment - ZYDIS_REGISTER_ES;
    }
  }
  const int s = SizeIndex(insn->opsize);
  if constexpr (kOp == Op::kCmps || kOp == Op::kScas) {
    if (insn->repne()) return Pick<kOp, Rep::kRepne>(insn->addrsize, s);
  } else if (insn->repne()) {
    return Pick<kOp, Rep::kRep>(insn->addrsize, s);
  }
  if (insn->rep()) return Pick<kOp, Rep::kRep>(insn->addrsize, s);
  return Pick<kOp, Rep::kNone>(insn->addrsize, s);
}

}  // namespace

void RegisterString(BinderTable& t) {
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW, ZYDIS_MNEMONIC_MOVSD,
                          ZYDIS_MNEMONIC_MOVSQ}) {
    t.Set(m, &BindString<Op::kMovs>);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW, ZYDIS_MNEMONIC_STOSD,
                          ZYDIS_MNEMONIC_STOSQ}) {
    t.Set(m, &BindString<Op::kStos>);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_LODSB, ZYDIS_MNEMONIC_LODSW, ZYDIS_MNEMONIC_LODSD,
                          ZYDIS_MNEMONIC_LODSQ}) {
    t.Set(m, &BindString<Op::kLods>);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_CMPSB, ZYDIS_MNEMONIC_CMPSW, ZYDIS_MNEMONIC_CMPSD,
                          ZYDIS_MNEMONIC_CMPSQ}) {
    t.Set(m, &BindString<Op::kCmps>);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_SCASB, ZYDIS_MNEMONIC_SCASW, ZYDIS_MNEMONIC_SCASD,
                          ZYDIS_MNEMONIC_SCASQ}) {
    t.Set(m, &BindString<Op::kScas>);
  }
}

}  // namespace vmxemu::cpu::isa
