// Port I/O: IN, OUT (imm8 and DX forms; 8, 16, 32 bits), INS and OUTS (with REP)
// (SDM Vol. 2A "IN", "INS", Vol. 2B "OUT", "OUTS"). In protected mode with CPL > IOPL,
// and in virtual-8086 mode, the TSS's I/O permission bit map decides (SDM Vol. 1
// 19.5.2). Every form ends the block: a device may stop the machine, raise an
// interrupt or change what the next instruction sees.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {
namespace {

constexpr uint8_t kAx = kRax * 8, kCx = kRcx * 8, kDx = kRdx * 8;

// SDM Vol. 1 19.5.2: the bit map starts at the 16-bit offset stored at TSS+0x66; every
// bit of the accessed ports must be 0. The processor reads two bytes at
// map + port / 8, and both must lie within the TSS limit; no usable 32/64-bit TSS, or
// a limit below 0x67 (no map offset), faults too. All failures are #GP(0).
bool IoPermitted(Cpu& cpu, uint16_t port, int size) {
  const CpuState& s = cpu.s;
  if (!s.protected_mode()) return true;
  const int iopl = static_cast<int>((s.rflags_base >> 12) & 3);
  if (!s.virtual_8086() && s.cpl() <= iopl) return true;
  const Segment& tr = s.tr;
  const uint32_t type = tr.ar.type();
  if (tr.ar.unusable() || (type != 0x9 && type != 0xB) || tr.limit < 0x67) {
    return cpu.Raise(kGP, 0);
  }
  uint64_t map, bits;
  if (!cpu.LinearRead(tr.base + 0x66, 2, false, &map)) return false;
  const uint64_t at = map + port / 8;
  if (at + 1 > tr.limit) return cpu.Raise(kGP, 0);
  if (!cpu.LinearRead(tr.base + at, 2, false, &bits)) return false;
  const uint64_t mask = ((1ull << size) - 1) << (port & 7);
  if (bits & mask) return cpu.Raise(kGP, 0);
  return true;
}

template <bool kDxPort>
uint16_t Port(const Cpu& cpu, const Insn& i) {
  return kDxPort ? cpu.GetReg<uint16_t>(kDx) : static_cast<uint8_t>(i.imm);
}

template <int kBits, bool kDxPort>
bool In(Cpu& cpu, const Insn& i) {
  const uint16_t port = Port<kDxPort>(cpu, i);
  if (!IoPermitted(cpu, port, kBits / 8)) return false;
  const uint32_t v = cpu.platform().PortIn(port, kBits / 8);
  cpu.SetReg<UInt<kBits>>(kAx, static_cast<UInt<kBits>>(v));
  return true;
}

template <int kBits, bool kDxPort>
bool Out(Cpu& cpu, const Insn& i) {
  const uint16_t port = Port<kDxPort>(cpu, i);
  if (!IoPermitted(cpu, port, kBits / 8)) return false;
  cpu.platform().PortOut(port, kBits / 8, cpu.GetReg<UInt<kBits>>(kAx));
  return true;
}

// A string register (rSI, rDI, rCX) at the address size: 16-bit forms keep the upper
// bits, 32-bit ones zero-extend (SDM Vol. 1 3.4.1.1).
uint64_t GetAddrReg(const Cpu& cpu, uint8_t off, int addrsize) {
  const uint64_t v = cpu.s.gpr[off / 8];
  return addrsize == 8 ? v : addrsize == 4 ? v & 0xFFFFFFFFull : v & 0xFFFF;
}
void SetAddrReg(Cpu& cpu, uint8_t off, int addrsize, uint64_t v) {
  switch (addrsize) {
    case 2: cpu.SetReg<uint16_t>(off, static_cast<uint16_t>(v)); break;
    case 4: cpu.SetReg<uint32_t>(off, static_cast<uint32_t>(v)); break;
    default: cpu.SetReg<uint64_t>(off, v); break;
  }
}

// REP INS/OUTS run at most this many iterations per execution, then re-execute (RIP
// stays on the instruction) so events are recognized between chunks, as between
// iterations on hardware (SDM Vol. 2B REP "Description").
constexpr int kChunk = 1024;

// INS/OUTS: one element per iteration between the port in DX and ES:rDI (INS) or
// seg:rSI (OUTS, segment overridable), stepping by DF. Iterations done before a fault
// stay done: the registers say where to resume.
template <int kBits, bool kIns>
bool StringIo(Cpu& cpu, const Insn& i) {
  using T = UInt<kBits>;
  constexpr int n = kBits / 8;
  const bool rep = i.rep() || i.repne();
  const uint16_t port = cpu.GetReg<uint16_t>(kDx);
  const int as = i.addrsize;
  const uint8_t index = kIns ? kRdi * 8 : kRsi * 8;
  if (!IoPermitted(cpu, port, n)) return false;
  uint64_t count = rep ? GetAddrReg(cpu, kCx, as) : 1;
  const int64_t step = (cpu.s.rflags_base & kFlagDF) ? -n : n;
  for (int done = 0; count != 0 && done < kChunk; ++done) {
    const uint64_t ea = GetAddrReg(cpu, index, as);
    if constexpr (kIns) {
      // Probe first so a faulting store does not swallow the port read.
      if (!cpu.ProbeWrite(kEs, ea, n)) return false;
      const T v = static_cast<T>(cpu.platform().PortIn(port, n));
      if (!cpu.Write<T>(kEs, ea, v)) return false;
    } else {
      T v;
      if (!cpu.Read<T>(i.seg, ea, &v)) return false;
      cpu.platform().PortOut(port, n, v);
    }
    SetAddrReg(cpu, index, as, ea + step);
    --count;
    if (rep) SetAddrReg(cpu, kCx, as, count);
  }
  if (rep && count != 0) {
    const uint64_t rip_mask = cpu.code_size() == 8 ? ~0ull
                              : cpu.code_size() == 4 ? 0xFFFFFFFFull : 0xFFFF;
    cpu.s.rip = (cpu.s.rip - i.len) & rip_mask;
  }
  return true;
}

template <bool kOut>
Handler BindInOut(const DecodeContext& ctx, Insn*) {
  // IN: (accumulator, port); OUT: (port, accumulator).
  const int acc = kOut ? 1 : 0, port = kOut ? 0 : 1;
  const bool dx = ctx.kind(port) == DecodeContext::kReg;
  switch (ctx.ops[acc].size) {
    case 8: return kOut ? (dx ? &Out<8, true> : &Out<8, false>) : (dx ? &In<8, true> : &In<8, false>);
    case 16: return kOut ? (dx ? &Out<16, true> : &Out<16, false>) : (dx ? &In<16, true> : &In<16, false>);
    case 32: return kOut ? (dx ? &Out<32, true> : &Out<32, false>) : (dx ? &In<32, true> : &In<32, false>);
    default: return nullptr;
  }
}

// INS/OUTS keep their memory operand hidden, so the decoder did not fill insn->seg.
template <int kBits, bool kIns>
Handler BindStringIo(const DecodeContext& ctx, Insn* insn) {
  for (int k = 0; k < ctx.zi.operand_count; ++k) {
    if (ctx.ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY) {
      insn->seg = static_cast<uint8_t>(ctx.ops[k].mem.segment - ZYDIS_REGISTER_ES);
    }
  }
  return &StringIo<kBits, kIns>;
}

}  // namespace

void RegisterIo(BinderTable& t) {
  t.Set(ZYDIS_MNEMONIC_IN, &BindInOut<false>, true);
  t.Set(ZYDIS_MNEMONIC_OUT, &BindInOut<true>, true);
  t.Set(ZYDIS_MNEMONIC_INSB, &BindStringIo<8, true>, true);
  t.Set(ZYDIS_MNEMONIC_INSW, &BindStringIo<16, true>, true);
  t.Set(ZYDIS_MNEMONIC_INSD, &BindStringIo<32, true>, true);
  t.Set(ZYDIS_MNEMONIC_OUTSB, &BindStringIo<8, false>, true);
  t.Set(ZYDIS_MNEMONIC_OUTSW, &BindStringIo<16, false>, true);
  t.Set(ZYDIS_MNEMONIC_OUTSD, &BindStringIo<32, false>, true);
}

}  // namespace vmxemu::cpu::isa
