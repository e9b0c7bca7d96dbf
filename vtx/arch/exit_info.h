// Formats of the VM-exit information and event fields as small structs with constexpr
// Decode (VMM side) and Encode (hardware side), each citing its SDM Vol. 3C table.
// Undefined and reserved bits decode to nothing and encode as 0. Register numbers are
// 0 = RAX ... 15 = R15 and segment numbers 0 = ES, 1 = CS, 2 = SS, 3 = DS, 4 = FS, 5 = GS,
// the encodings the SDM tables use (and cpu/state.h's Gpr and SegReg). Freestanding.
//
// Exit qualifications that are plain values (27.2.1): INVLPG's is the linear-address
// operand; MWAIT's is 1 if address-range monitoring was armed; for INVEPT, INVPCID,
// INVVPID, LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT, STR, VMCLEAR, VMPTRLD, VMPTRST,
// VMREAD, VMWRITE, VMXON, XRSTORS and XSAVES it is the memory operand's displacement
// (InstructionDisplacementQualification() below).
#ifndef VMXEMU_VTX_ARCH_EXIT_INFO_H_
#define VMXEMU_VTX_ARCH_EXIT_INFO_H_

#include <stdint.h>

#include "vtx/arch/bits.h"

namespace vmxemu::vmx::arch {

// ===== Exit qualifications (27.2.1) ==================================================

// Displacement-type qualification: the displacement sign-extended to 64 bits, or 0
// without one; with RIP-relative addressing, displacement + RIP of the next instruction.
constexpr uint64_t InstructionDisplacementQualification(int32_t displacement,
                                                        bool rip_relative,
                                                        uint64_t next_rip) {
  const uint64_t extended = static_cast<uint64_t>(static_cast<int64_t>(displacement));
  return rip_relative ? extended + next_rip : extended;
}

// Debug exceptions (Table 27-1). Same bit positions as DR6.
struct DebugExceptionQualification {
  uint8_t breakpoints = 0;  // 3:0, B3..B0: which DR0-DR3 conditions were met
  bool bd = false;          // 13: debug-register access detected
  bool bs = false;          // 14: single step
  bool rtm = false;         // 16: inside an RTM transaction

  static constexpr DebugExceptionQualification Decode(uint64_t q) {
    return {.breakpoints = static_cast<uint8_t>(Bits(q, 3, 0)),
            .bd = Bit(q, 13),
            .bs = Bit(q, 14),
            .rtm = Bit(q, 16)};
  }
  constexpr uint64_t Encode() const {
    return PlaceBits(breakpoints, 3, 0) | PlaceBit(bd, 13) | PlaceBit(bs, 14) |
           PlaceBit(rtm, 16);
  }
  constexpr bool operator==(const DebugExceptionQualification&) const = default;
};

// Task switch (Table 27-2).
struct TaskSwitchQualification {
  enum class Source : uint8_t { kCall = 0, kIret = 1, kJmp = 2, kIdtTaskGate = 3 };

  uint16_t selector = 0;  // 15:0, the new TSS's selector
  Source source = Source::kCall;  // 31:30

  static constexpr TaskSwitchQualification Decode(uint64_t q) {
    return {.selector = static_cast<uint16_t>(Bits(q, 15, 0)),
            .source = static_cast<Source>(Bits(q, 31, 30))};
  }
  constexpr uint64_t Encode() const {
    return selector | PlaceBits(static_cast<uint64_t>(source), 31, 30);
  }
  constexpr bool operator==(const TaskSwitchQualification&) const = default;
};

// Control-register accesses (Table 27-3).
struct CrAccessQualification {
  enum class AccessType : uint8_t { kMovToCr = 0, kMovFromCr = 1, kClts = 2, kLmsw = 3 };

  uint8_t cr = 0;  // 3:0; 0 for CLTS and LMSW
  AccessType access_type = AccessType::kMovToCr;  // 5:4
  bool lmsw_memory_operand = false;  // 6; LMSW only
  uint8_t gpr = 0;                   // 11:8; MOV CR only
  uint16_t lmsw_source = 0;          // 31:16; LMSW only

  static constexpr CrAccessQualification Decode(uint64_t q) {
    return {.cr = static_cast<uint8_t>(Bits(q, 3, 0)),
            .access_type = static_cast<AccessType>(Bits(q, 5, 4)),
            .lmsw_memory_operand = Bit(q, 6),
            .gpr = static_cast<uint8_t>(Bits(q, 11, 8)),
            .lmsw_source = static_cast<uint16_t>(Bits(q, 31, 16))};
  }
  constexpr uint64_t Encode() const {
    return PlaceBits(cr, 3, 0) | PlaceBits(static_cast<uint64_t>(access_type), 5, 4) |
           PlaceBit(lmsw_memory_operand, 6) | PlaceBits(gpr, 11, 8) |
           PlaceBits(lmsw_source, 31, 16);
  }
  constexpr bool operator==(const CrAccessQualification&) const = default;
};

// MOV DR (Table 27-4).
struct MovDrQualification {
  uint8_t dr = 0;         // 2:0
  bool from_dr = false;   // 4: 0 = MOV to DR, 1 = MOV from DR
  uint8_t gpr = 0;        // 11:8

  static constexpr MovDrQualification Decode(uint64_t q) {
    return {.dr = static_cast<uint8_t>(Bits(q, 2, 0)),
            .from_dr = Bit(q, 4),
            .gpr = static_cast<uint8_t>(Bits(q, 11, 8))};
  }
  constexpr uint64_t Encode() const {
    return PlaceBits(dr, 2, 0) | PlaceBit(from_dr, 4) | PlaceBits(gpr, 11, 8);
  }
  constexpr bool operator==(const MovDrQualification&) const = default;
};

// I/O instructions (Table 27-5).
struct IoQualification {
  uint8_t size = 1;        // bytes: 1, 2 or 4 (2:0 holds size - 1)
  bool in = false;         // 3: 0 = OUT, 1 = IN
  bool string = false;     // 4: INS/OUTS
  bool rep = false;        // 5: REP prefixed
  bool immediate = false;  // 6: port in an immediate (0: in DX)
  uint16_t port = 0;       // 31:16

  static constexpr IoQualification Decode(uint64_t q) {
    return {.size = static_cast<uint8_t>(Bits(q, 2, 0) + 1),
            .in = Bit(q, 3),
            .string = Bit(q, 4),
            .rep = Bit(q, 5),
            .immediate = Bit(q, 6),
            .port = static_cast<uint16_t>(Bits(q, 31, 16))};
  }
  constexpr uint64_t Encode() const {
    return PlaceBits(size - 1u, 2, 0) | PlaceBit(in, 3) | PlaceBit(string, 4) |
           PlaceBit(rep, 5) | PlaceBit(immediate, 6) | PlaceBits(port, 31, 16);
  }
  constexpr bool operator==(const IoQualification&) const = default;
};

// EPT violations (Table 27-7). Bits 3-5 are the AND of the R/W/X bits of the EPT
// entries walked (5 is supervisor-execute under mode-based execute control).
struct EptViolationQualification {
  bool read = false;              // 0: the access was a data read
  bool write = false;             // 1: a data write
  bool fetch = false;             // 2: an instruction fetch
  bool readable = false;          // 3
  bool writable = false;          // 4
  bool executable = false;        // 5
  bool user_executable = false;   // 6: mode-based execute control only
  bool linear_valid = false;      // 7: the guest-linear address field is valid
  bool linear_translation = false;  // 8 (if 7): access to the final translation, not to
                                    // a guest paging-structure entry
  bool user_mode_linear = false;  // 9  advanced VM-exit information (if 7 and 8)
  bool writable_linear = false;   // 10 advanced VM-exit information
  bool nx_linear = false;         // 11 advanced VM-exit information
  bool nmi_unblocking = false;    // 12: NMI unblocking due to IRET
  bool shadow_stack = false;      // 13: shadow-stack access
  bool supervisor_shadow_stack = false;  // 14
  bool guest_paging_verification = false;  // 15
  bool asynchronous = false;      // 16: not caused by instruction execution

  static constexpr EptViolationQualification Decode(uint64_t q) {
    return {.read = Bit(q, 0), .write = Bit(q, 1), .fetch = Bit(q, 2),
            .readable = Bit(q, 3), .writable = Bit(q, 4), .executable = Bit(q, 5),
            .user_executable = Bit(q, 6), .linear_valid = Bit(q, 7),
            .linear_translation = Bit(q, 8), .user_mode_linear = Bit(q, 9),
            .writable_linear = Bit(q, 10), .nx_linear = Bit(q, 11),
            .nmi_unblocking = Bit(q, 12), .shadow_stack = Bit(q, 13),
            .supervisor_shadow_stack = Bit(q, 14), .guest_paging_verification = Bit(q, 15),
            .asynchronous = Bit(q, 16)};
  }
  constexpr uint64_t Encode() const {
    return PlaceBit(read, 0) | PlaceBit(write, 1) | PlaceBit(fetch, 2) |
           PlaceBit(readable, 3) | PlaceBit(writable, 4) | PlaceBit(executable, 5) |
           PlaceBit(user_executable, 6) | PlaceBit(linear_valid, 7) |
           PlaceBit(linear_translation, 8) | PlaceBit(user_mode_linear, 9) |
           PlaceBit(writable_linear, 10) | PlaceBit(nx_linear, 11) |
           PlaceBit(nmi_unblocking, 12) | PlaceBit(shadow_stack, 13) |
           PlaceBit(supervisor_shadow_stack, 14) | PlaceBit(guest_paging_verification, 15) |
           PlaceBit(asynchronous, 16);
  }
  constexpr bool operator==(const EptViolationQualification&) const = default;
};

// VM-entry failure during or after loading guest state (26.7): basic exit reason 33's
// qualification; reason 34's is the 1-based index of the failing MSR-load entry.
enum class EntryFailureQualification : uint8_t {
  kDefault = 0,           // any other guest-state check
  kPdpteLoad = 2,         // loading the PDPTEs failed
  kNmiBlockedBySti = 3,   // NMI injection with blocking by STI
  kVmcsLinkPointer = 4,   // invalid VMCS link pointer
};

// ===== VM-exit instruction information (27.2.5, Tables 27-8 to 27-14) ===============

enum class AddressSize : uint8_t { k16 = 0, k32 = 1, k64 = 2 };  // bits 9:7

// The memory-operand part shared by the instruction-information formats.
struct MemoryOperandInfo {
  uint8_t scaling = 0;  // 1:0: index scaled by 1 << scaling
  AddressSize address_size = AddressSize::k16;  // 9:7
  uint8_t segment = 0;       // 17:15
  uint8_t index_reg = 0;     // 21:18 (undefined if index_invalid)
  bool index_invalid = false;  // 22: no index register
  uint8_t base_reg = 0;      // 26:23 (undefined if base_invalid)
  bool base_invalid = false;   // 27: no base register

  static constexpr MemoryOperandInfo Decode(uint32_t info) {
    return {.scaling = static_cast<uint8_t>(Bits(info, 1, 0)),
            .address_size = static_cast<AddressSize>(Bits(info, 9, 7)),
            .segment = static_cast<uint8_t>(Bits(info, 17, 15)),
            .index_reg = static_cast<uint8_t>(Bits(info, 21, 18)),
            .index_invalid = Bit(info, 22),
            .base_reg = static_cast<uint8_t>(Bits(info, 26, 23)),
            .base_invalid = Bit(info, 27)};
  }
  constexpr uint32_t Encode() const {
    return static_cast<uint32_t>(
        PlaceBits(scaling, 1, 0) | PlaceBits(static_cast<uint64_t>(address_size), 9, 7) |
        PlaceBits(segment, 17, 15) | PlaceBits(index_reg, 21, 18) |
        PlaceBit(index_invalid, 22) | PlaceBits(base_reg, 26, 23) |
        PlaceBit(base_invalid, 27));
  }
  constexpr bool operator==(const MemoryOperandInfo&) const = default;
};

// INS and OUTS (Table 27-8); only if IA32_VMX_BASIC bit 54 is set. The segment is
// undefined for INS (always ES).
struct InsOutsInfo {
  AddressSize address_size = AddressSize::k16;  // 9:7
  uint8_t segment = 0;                          // 17:15

  static constexpr InsOutsInfo Decode(uint32_t info) {
    return {.address_size = static_cast<AddressSize>(Bits(info, 9, 7)),
            .segment = static_cast<uint8_t>(Bits(info, 17, 15))};
  }
  constexpr uint32_t Encode() const {
    return static_cast<uint32_t>(PlaceBits(static_cast<uint64_t>(address_size), 9, 7) |
                                 PlaceBits(segment, 17, 15));
  }
  constexpr bool operator==(const InsOutsInfo&) const = default;
};

// INVEPT, INVPCID, INVVPID (Table 27-9): memory operand = descriptor, Reg2 = type.
struct InvalidationInfo {
  MemoryOperandInfo memory;
  uint8_t reg2 = 0;  // 31:28: the register holding the INVEPT/INVPCID/INVVPID type

  static constexpr InvalidationInfo Decode(uint32_t info) {
    return {.memory = MemoryOperandInfo::Decode(info),
            .reg2 = static_cast<uint8_t>(Bits(info, 31, 28))};
  }
  constexpr uint32_t Encode() const {  // bit 10 is cleared to 0
    return memory.Encode() | static_cast<uint32_t>(PlaceBits(reg2, 31, 28));
  }
  constexpr bool operator==(const InvalidationInfo&) const = default;
};

// LIDT, LGDT, SIDT, SGDT (Table 27-10).
struct DescriptorTableInfo {
  enum class Instruction : uint8_t { kSgdt = 0, kSidt = 1, kLgdt = 2, kLidt = 3 };

  MemoryOperandInfo memory;
  bool operand_size_32 = false;  // 11: 0 = 16-bit, 1 = 32-bit; undefined in 64-bit mode
  Instruction instruction = Instruction::kSgdt;  // 29:28

  static constexpr DescriptorTableInfo Decode(uint32_t info) {
    return {.memory = MemoryOperandInfo::Decode(info),
            .operand_size_32 = Bit(info, 11),
            .instruction = static_cast<Instruction>(Bits(info, 29, 28))};
  }
  constexpr uint32_t Encode() const {  // bit 10 is cleared to 0
    return memory.Encode() | static_cast<uint32_t>(
                                 PlaceBit(operand_size_32, 11) |
                                 PlaceBits(static_cast<uint64_t>(instruction), 29, 28));
  }
  constexpr bool operator==(const DescriptorTableInfo&) const = default;
};

// LLDT, LTR, SLDT, STR (Table 27-11). With a register operand (bit 10) only reg1 and
// the instruction identity are defined.
struct SegmentTableInfo {
  enum class Instruction : uint8_t { kSldt = 0, kStr = 1, kLldt = 2, kLtr = 3 };

  MemoryOperandInfo memory;
  uint8_t reg1 = 0;       // 6:3: the register operand (undefined for memory)
  bool register_operand = false;  // 10: 0 = memory, 1 = register
  Instruction instruction = Instruction::kSldt;  // 29:28

  static constexpr SegmentTableInfo Decode(uint32_t info) {
    return {.memory = MemoryOperandInfo::Decode(info),
            .reg1 = static_cast<uint8_t>(Bits(info, 6, 3)),
            .register_operand = Bit(info, 10),
            .instruction = static_cast<Instruction>(Bits(info, 29, 28))};
  }
  constexpr uint32_t Encode() const {
    return memory.Encode() | static_cast<uint32_t>(
                                 PlaceBits(reg1, 6, 3) | PlaceBit(register_operand, 10) |
                                 PlaceBits(static_cast<uint64_t>(instruction), 29, 28));
  }
  constexpr bool operator==(const SegmentTableInfo&) const = default;
};

// RDRAND, RDSEED (Table 27-12).
struct RandomInfo {
  uint8_t dest_reg = 0;  // 6:3
  uint8_t operand_size = 2;  // bytes: 2, 4 or 8 (12:11 holds 0, 1, 2)

  static constexpr RandomInfo Decode(uint32_t info) {
    return {.dest_reg = static_cast<uint8_t>(Bits(info, 6, 3)),
            .operand_size = static_cast<uint8_t>(2u << Bits(info, 12, 11))};
  }
  constexpr uint32_t Encode() const {
    const uint32_t size_code = operand_size == 8 ? 2 : operand_size == 4 ? 1 : 0;
    return static_cast<uint32_t>(PlaceBits(dest_reg, 6, 3) | PlaceBits(size_code, 12, 11));
  }
  constexpr bool operator==(const RandomInfo&) const = default;
};

// VMCLEAR, VMPTRLD, VMPTRST, VMXON, XRSTORS, XSAVES (Table 27-13): the memory operand
// only (bit 10 is cleared to 0).
using VmxMemoryInstructionInfo = MemoryOperandInfo;

// VMREAD, VMWRITE (Table 27-14). Reg2 holds the field encoding; reg1 or the memory
// operand is VMREAD's destination or VMWRITE's source.
struct VmreadVmwriteInfo {
  MemoryOperandInfo memory;  // undefined for a register operand
  uint8_t reg1 = 0;          // 6:3 (undefined for memory)
  bool register_operand = false;  // 10: 0 = memory, 1 = register
  uint8_t reg2 = 0;          // 31:28

  static constexpr VmreadVmwriteInfo Decode(uint32_t info) {
    return {.memory = MemoryOperandInfo::Decode(info),
            .reg1 = static_cast<uint8_t>(Bits(info, 6, 3)),
            .register_operand = Bit(info, 10),
            .reg2 = static_cast<uint8_t>(Bits(info, 31, 28))};
  }
  constexpr uint32_t Encode() const {
    return memory.Encode() | static_cast<uint32_t>(PlaceBits(reg1, 6, 3) |
                                                   PlaceBit(register_operand, 10) |
                                                   PlaceBits(reg2, 31, 28));
  }
  constexpr bool operator==(const VmreadVmwriteInfo&) const = default;
};

// ===== Event information (24.8.3, 24.9.2, 24.9.3) ====================================

// Bits 10:8 of the interruption-information fields. VM-exit interruption information
// uses only 0, 2, 3, 5, 6; IDT-vectoring information all but 1 and 7; VM-entry
// injection all but 1 (7, "other event", injects a pending MTF VM exit).
enum class InterruptionType : uint8_t {
  kExternalInterrupt = 0,
  kNmi = 2,
  kHardwareException = 3,
  kSoftwareInterrupt = 4,
  kPrivilegedSoftwareException = 5,  // INT1
  kSoftwareException = 6,            // INT3, INTO
  kOtherEvent = 7,
};

// One layout for three fields: VM-entry interruption information (Table 24-13),
// VM-exit interruption information (Table 24-15), IDT-vectoring information
// (Table 24-16). Bit 11 is "deliver error code" on entry and "error code valid" on
// exit; bit 12 (NMI unblocking due to IRET) is defined only for VM-exit interruption
// information (reserved on entry, undefined in IDT-vectoring information).
struct InterruptionInfo {
  uint8_t vector = 0;                                  // 7:0
  InterruptionType type = InterruptionType::kExternalInterrupt;  // 10:8
  bool error_code = false;                             // 11
  bool nmi_unblocking = false;                         // 12
  bool valid = false;                                  // 31

  static constexpr InterruptionInfo Decode(uint32_t value) {
    return {.vector = static_cast<uint8_t>(Bits(value, 7, 0)),
            .type = static_cast<InterruptionType>(Bits(value, 10, 8)),
            .error_code = Bit(value, 11),
            .nmi_unblocking = Bit(value, 12),
            .valid = Bit(value, 31)};
  }
  constexpr uint32_t Encode() const {
    return static_cast<uint32_t>(vector | PlaceBits(static_cast<uint64_t>(type), 10, 8) |
                                 PlaceBit(error_code, 11) | PlaceBit(nmi_unblocking, 12) |
                                 PlaceBit(valid, 31));
  }
  constexpr bool operator==(const InterruptionInfo&) const = default;
};

// Bits 30:12 of the VM-entry interruption-information field must be 0 (26.2.1.3).
inline constexpr uint32_t kEntryInterruptionInfoReserved =
    static_cast<uint32_t>(BitMask(30, 12));

// ===== Guest non-register state (24.4.2) =============================================

// Activity state.
enum class ActivityState : uint32_t {
  kActive = 0,
  kHlt = 1,
  kShutdown = 2,
  kWaitForSipi = 3,
};

// Interruptibility state (Table 24-3).
struct InterruptibilityState {
  bool blocking_by_sti = false;     // 0
  bool blocking_by_mov_ss = false;  // 1
  bool blocking_by_smi = false;     // 2
  bool blocking_by_nmi = false;     // 3
  bool enclave_interruption = false;  // 4

  static constexpr InterruptibilityState Decode(uint32_t value) {
    return {.blocking_by_sti = Bit(value, 0),
            .blocking_by_mov_ss = Bit(value, 1),
            .blocking_by_smi = Bit(value, 2),
            .blocking_by_nmi = Bit(value, 3),
            .enclave_interruption = Bit(value, 4)};
  }
  constexpr uint32_t Encode() const {
    return static_cast<uint32_t>(PlaceBit(blocking_by_sti, 0) |
                                 PlaceBit(blocking_by_mov_ss, 1) |
                                 PlaceBit(blocking_by_smi, 2) | PlaceBit(blocking_by_nmi, 3) |
                                 PlaceBit(enclave_interruption, 4));
  }
  constexpr bool operator==(const InterruptibilityState&) const = default;
};

// Reserved bits, which VM entry requires to be 0 (26.3.1.5). Bit 4 is defined only on
// processors with SGX.
inline constexpr uint32_t kInterruptibilityReserved = static_cast<uint32_t>(BitMask(31, 5));

// Pending debug exceptions (Table 24-4).
struct PendingDebugExceptions {
  uint8_t breakpoints = 0;       // 3:0, B3..B0
  bool enabled_breakpoint = false;  // 12: at least one enabled breakpoint condition met
  bool bs = false;               // 14: single step
  bool rtm = false;              // 16: inside an RTM transaction

  static constexpr PendingDebugExceptions Decode(uint64_t value) {
    return {.breakpoints = static_cast<uint8_t>(Bits(value, 3, 0)),
            .enabled_breakpoint = Bit(value, 12),
            .bs = Bit(value, 14),
            .rtm = Bit(value, 16)};
  }
  constexpr uint64_t Encode() const {
    return PlaceBits(breakpoints, 3, 0) | PlaceBit(enabled_breakpoint, 12) |
           PlaceBit(bs, 14) | PlaceBit(rtm, 16);
  }
  constexpr bool operator==(const PendingDebugExceptions&) const = default;
};

// Reserved bits, which VM entry requires to be 0 (26.3.1.5).
inline constexpr uint64_t kPendingDebugExceptionsReserved =
    BitMask(11, 4) | BitMask(13, 13) | BitMask(15, 15) | BitMask(63, 17);

}  // namespace vmxemu::vmx::arch

#endif  // VMXEMU_VTX_ARCH_EXIT_INFO_H_
