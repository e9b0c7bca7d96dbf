#include "cpu/decoder.h"

#include <string>

#include "cpu/cpu.h"

namespace vmxemu::cpu {
namespace {

uint8_t SegmentIndex(ZydisRegister r) {
  return (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) ? r - ZYDIS_REGISTER_ES : kDs;
}

// Register operand -> Insn::r0/r1 encoding: byte offset for GPRs, number otherwise.
uint8_t RegisterField(ZydisRegister r) {
  int off = GprByteOffset(r);
  if (off >= 0) return static_cast<uint8_t>(off);
  if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) return r - ZYDIS_REGISTER_ES;
  return static_cast<uint8_t>(ZydisRegisterGetId(r));
}

uint8_t MemRegIndex(ZydisRegister r) {
  if (r == ZYDIS_REGISTER_NONE) return kNoReg;
  return static_cast<uint8_t>(GprByteOffset(r) / 8);
}

void FillOperands(const DecodeContext& ctx, Insn* insn) {
  const ZydisDecodedInstruction& zi = ctx.zi;
  insn->len = zi.length;
  insn->opsize = zi.operand_width / 8 ? zi.operand_width / 8 : 1;
  insn->addrsize = zi.address_width / 8;
  insn->mnemonic = static_cast<uint16_t>(zi.mnemonic);
  if (zi.attributes & ZYDIS_ATTRIB_HAS_REP) insn->flags |= Insn::kRep;
  if (zi.attributes & ZYDIS_ATTRIB_HAS_REPE) insn->flags |= Insn::kRep;
  if (zi.attributes & ZYDIS_ATTRIB_HAS_REPNE) insn->flags |= Insn::kRepne;
  if (zi.attributes & ZYDIS_ATTRIB_HAS_LOCK) insn->flags |= Insn::kLock;

  int regs = 0, imms = 0;
  bool have_mem = false;
  for (int i = 0; i < zi.operand_count; ++i) {
    const ZydisDecodedOperand& op = ctx.ops[i];
    if (op.visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN) continue;
    switch (op.type) {
      case ZYDIS_OPERAND_TYPE_REGISTER:
        if (i < 2) (i == 0 ? insn->r0 : insn->r1) = RegisterField(op.reg.value);
        ++regs;
        break;
      case ZYDIS_OPERAND_TYPE_MEMORY:
        if (have_mem) break;  // string instructions: the family reads Zydis itself
        have_mem = true;
        insn->seg = SegmentIndex(op.mem.segment);
        if (op.mem.base == ZYDIS_REGISTER_RIP || op.mem.base == ZYDIS_REGISTER_EIP) {
          insn->flags |= Insn::kRipRelative;
          insn->base = kNoReg;
        } else {
          insn->base = MemRegIndex(op.mem.base);
        }
        insn->index = MemRegIndex(op.mem.index);
        insn->scale = op.mem.scale == 8 ? 3 : op.mem.scale == 4 ? 2 : op.mem.scale == 2 ? 1 : 0;
        // moffs forms carry a 64-bit absolute address; keep it in imm.
        if (op.mem.disp.value != static_cast<int32_t>(op.mem.disp.value)) {
          insn->imm = static_cast<uint64_t>(op.mem.disp.value);
        } else {
          insn->disp = static_cast<int32_t>(op.mem.disp.value);
        }
        break;
      case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        if (imms++ == 0) {
          insn->imm = op.imm.is_signed ? static_cast<uint64_t>(op.imm.value.s) : op.imm.value.u;
        } else {
          insn->imm2 = static_cast<uint16_t>(op.imm.value.u);
        }
        break;
      case ZYDIS_OPERAND_TYPE_POINTER:
        insn->imm = op.ptr.offset;
        insn->imm2 = op.ptr.segment;
        break;
      default:
        break;
    }
  }
  (void)regs;
}

}  // namespace

int GprByteOffset(ZydisRegister r) {
  if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BL) return (r - ZYDIS_REGISTER_AL) * 8;
  if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) return (r - ZYDIS_REGISTER_AH) * 8 + 1;
  if (r >= ZYDIS_REGISTER_SPL && r <= ZYDIS_REGISTER_R15B) {
    return (r - ZYDIS_REGISTER_SPL + 4) * 8;
  }
  switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR16:
    case ZYDIS_REGCLASS_GPR32:
    case ZYDIS_REGCLASS_GPR64:
      return (ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r) -
              ZYDIS_REGISTER_RAX) * 8;
    default:
      return -1;
  }
}

DecodeContext::Kind DecodeContext::kind(int i) const {
  if (i >= zi.operand_count_visible) return kNone;
  switch (ops[i].type) {
    case ZYDIS_OPERAND_TYPE_REGISTER: return kReg;
    case ZYDIS_OPERAND_TYPE_MEMORY: return kMem;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE: return kImm;
    case ZYDIS_OPERAND_TYPE_POINTER: return kPtr;
    default: return kNone;
  }
}

bool RaiseUd(Cpu& cpu, const Insn&) { return cpu.Raise(kUD); }

bool StopUnimplemented(Cpu& cpu, const Insn& insn) {
  const char* name = ZydisMnemonicGetString(static_cast<ZydisMnemonic>(insn.mnemonic));
  return cpu.Stop(std::string("unimplemented instruction ") + (name ? name : "?"));
}

Decoder::Decoder() {
  using namespace decode_mode;
  for (uint32_t m = 0; m < 16; ++m) {
    ZydisMachineMode mm;
    ZydisStackWidth sw = (m & kStack32) ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16;
    switch (m & 3) {
      case kCode64: mm = ZYDIS_MACHINE_MODE_LONG_64; sw = ZYDIS_STACK_WIDTH_64; break;
      case kCode32: mm = ZYDIS_MACHINE_MODE_LEGACY_32; break;
      default: mm = (m & kReal) ? ZYDIS_MACHINE_MODE_REAL_16 : ZYDIS_MACHINE_MODE_LEGACY_16;
    }
    ZydisDecoderInit(&decoders_[m], mm, sw);
  }
  RegisterAllInstructions(binders_);
}

Decoder::Status Decoder::Decode(uint32_t mode, const uint8_t* bytes, size_t avail, Insn* insn) {
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  ZyanStatus st = ZydisDecoderDecodeFull(&decoders_[mode & 15], bytes, avail, &zi, ops);
  *insn = Insn{};
  if (st == ZYDIS_STATUS_NO_MORE_DATA && avail < ZYDIS_MAX_INSTRUCTION_LENGTH) {
    return Status::kNeedMoreBytes;
  }
  if (!ZYAN_SUCCESS(st)) {
    // Undefined opcode or too long (> 15 bytes): #UD / #GP at execution time. Both are
    // #UD here except the length limit, which the SDM makes #GP(0) (Vol. 2 2.3.11).
    insn->fn = &RaiseUd;
    insn->len = 1;
    insn->flags |= Insn::kEndsBlock;
    return Status::kInvalid;
  }
  DecodeContext ctx{zi, ops, mode};
  FillOperands(ctx, insn);
  const BinderTable::Entry& e = binders_.Get(zi.mnemonic);
  Handler h = e.bind ? e.bind(ctx, insn) : nullptr;
  if (h == nullptr) {
    insn->fn = &StopUnimplemented;
    insn->flags = (insn->flags | Insn::kEndsBlock) & ~Insn::kChains;
  } else {
    insn->fn = h;
    if (e.ends_block) insn->flags |= Insn::kEndsBlock;
  }
  return Status::kOk;
}

}  // namespace vmxemu::cpu
