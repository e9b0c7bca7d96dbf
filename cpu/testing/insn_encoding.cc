#include "cpu/testing/insn_encoding.h"

namespace vmxemu::cpu::testing {
namespace {

void PutLe(std::vector<uint8_t>& out, uint64_t v, int len) {
  for (int i = 0; i < len; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

std::vector<uint8_t> Encoding::Bytes(uint64_t address) const {
  std::vector<uint8_t> out = prefixes;
  const bool is_mem = has_modrm && !e_is_reg;
  // REX.R/X/B extend ModRM.reg, SIB.index and ModRM.rm / SIB.base / opcode register
  // (SDM Vol. 2A 2.2.1, Table 2-4).
  const bool r = has_modrm && reg_field >= 8;
  const bool x = is_mem && mem.index >= 8;
  const bool b = has_modrm ? (e_is_reg ? e_reg >= 8 : mem.base >= 8) : opcode_reg >= 8;
  if (mode64 && (rex || rex_w || r || x || b)) {
    out.push_back(static_cast<uint8_t>(0x40 | rex_w << 3 | r << 2 | x << 1 | b));
  }
  for (int i = 0; i < opcode_len; ++i) {
    uint8_t op = opcode[i];
    if (i == opcode_len - 1 && opcode_reg >= 0) op = static_cast<uint8_t>(op + (opcode_reg & 7));
    out.push_back(op);
  }
  int disp_at = -1;
  if (has_modrm) {
    const int reg = (reg_field & 7) << 3;
    if (e_is_reg) {
      out.push_back(static_cast<uint8_t>(0xC0 | reg | (e_reg & 7)));
    } else if (mem.rip_relative) {
      out.push_back(static_cast<uint8_t>(0x05 | reg));  // mod 00, rm 101 (SDM Table 2-7)
      disp_at = static_cast<int>(out.size());
      PutLe(out, 0, 4);
    } else if (mem.base < 0) {
      const int sib_index = mem.index < 0 ? 4 : mem.index & 7;
      if (!mode64 && mem.index < 0 && !mem.use_sib) {
        out.push_back(static_cast<uint8_t>(0x05 | reg));  // [disp32]
      } else {
        out.push_back(static_cast<uint8_t>(0x04 | reg));  // SIB, base 101 with mod 00
        out.push_back(static_cast<uint8_t>(mem.scale_log2 << 6 | sib_index << 3 | 5));
      }
      PutLe(out, static_cast<uint32_t>(mem.disp), 4);
    } else {
      int disp_len = mem.disp_len;
      if (disp_len == 0 && (mem.base & 7) == 5) disp_len = 1;  // [rbp]/[r13] need a disp
      const int mod = disp_len == 0 ? 0 : disp_len == 1 ? 1 : 2;
      const bool sib = mem.use_sib || mem.index >= 0 || (mem.base & 7) == 4;
      if (sib) {
        const int sib_index = mem.index < 0 ? 4 : mem.index & 7;
        out.push_back(static_cast<uint8_t>(mod << 6 | reg | 4));
        out.push_back(static_cast<uint8_t>(mem.scale_log2 << 6 | sib_index << 3 | (mem.base & 7)));
      } else {
        out.push_back(static_cast<uint8_t>(mod << 6 | reg | (mem.base & 7)));
      }
      PutLe(out, static_cast<uint32_t>(mem.disp), disp_len);
    }
  }
  PutLe(out, imm, imm_len);
  if (disp_at >= 0) {
    const uint64_t next = address + out.size();
    const uint32_t d = static_cast<uint32_t>(mem.rip_target - next);
    for (int i = 0; i < 4; ++i) out[disp_at + i] = static_cast<uint8_t>(d >> (8 * i));
  }
  return out;
}

}  // namespace vmxemu::cpu::testing
