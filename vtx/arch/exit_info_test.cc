#include "vtx/arch/exit_info.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace vmxemu::vmx::arch {
namespace {

// Each case: a raw value built by hand from the SDM table's bit positions, and the
// decoded struct. Decode(raw) == fields and fields.Encode() == raw.
template <typename T, typename Raw>
struct Case {
  const char* what;
  Raw raw;
  T fields;
};

template <typename T, typename Raw, int kN>
void ExpectRoundTrips(const Case<T, Raw> (&cases)[kN]) {
  for (const Case<T, Raw>& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(T::Decode(c.raw), c.fields);
    EXPECT_EQ(c.fields.Encode(), c.raw);
  }
}

using CrType = CrAccessQualification::AccessType;

// Table 27-3.
TEST(ExitInfoTest, CrAccessQualification) {
  const Case<CrAccessQualification, uint64_t> cases[] = {
      {"MOV CR3, RAX", 0x3, {.cr = 3}},
      {"MOV RBX, CR3", 0x313, {.cr = 3, .access_type = CrType::kMovFromCr, .gpr = 3}},
      {"MOV CR0, RCX", 0x100, {.cr = 0, .gpr = 1}},
      {"MOV CR8, R15", 0xF08, {.cr = 8, .gpr = 15}},
      {"CLTS", 0x20, {.access_type = CrType::kClts}},
      {"LMSW AX=0x31", 0x310030, {.access_type = CrType::kLmsw, .lmsw_source = 0x31}},
      {"LMSW [mem]=0xFFFF", 0xFFFF0070,
       {.access_type = CrType::kLmsw, .lmsw_memory_operand = true, .lmsw_source = 0xFFFF}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-4.
TEST(ExitInfoTest, MovDrQualification) {
  const Case<MovDrQualification, uint64_t> cases[] = {
      {"MOV DR7, RAX", 0x7, {.dr = 7}},
      {"MOV RDX, DR6", 0x216, {.dr = 6, .from_dr = true, .gpr = 2}},
      {"MOV DR0, R12", 0xC00, {.dr = 0, .gpr = 12}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-5.
TEST(ExitInfoTest, IoQualification) {
  const Case<IoQualification, uint64_t> cases[] = {
      {"OUT DX, AL to COM1", 0x03F80000, {.size = 1, .port = 0x3F8}},
      {"IN AL, 0x60", 0x00600048, {.size = 1, .in = true, .immediate = true, .port = 0x60}},
      {"REP OUTSB to COM1", 0x03F80030, {.size = 1, .string = true, .rep = true, .port = 0x3F8}},
      {"IN EAX, DX from 0xCFC", 0x0CFC000B, {.size = 4, .in = true, .port = 0xCFC}},
      {"OUT 0xF4, AX", 0x00F40041, {.size = 2, .immediate = true, .port = 0xF4}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-7.
TEST(ExitInfoTest, EptViolationQualification) {
  const Case<EptViolationQualification, uint64_t> cases[] = {
      {"write to a read/execute page", 0x1AA,
       {.write = true, .readable = true, .executable = true, .linear_valid = true,
        .linear_translation = true}},
      {"fetch from a not-present page", 0x184,
       {.fetch = true, .linear_valid = true, .linear_translation = true}},
      {"read of a guest paging-structure entry", 0x81, {.read = true, .linear_valid = true}},
      {"PDPTE load by MOV CR3: no linear address", 0x1, {.read = true}},
      {"after IRET unblocked NMIs", 0x1082,
       {.write = true, .linear_valid = true, .nmi_unblocking = true}},
      {"advanced info: user, writable, NX linear", 0xF89,
       {.read = true, .readable = true, .linear_valid = true, .linear_translation = true,
        .user_mode_linear = true, .writable_linear = true, .nx_linear = true}},
      {"asynchronous", 0x10001, {.read = true, .asynchronous = true}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-1.
TEST(ExitInfoTest, DebugExceptionQualification) {
  const Case<DebugExceptionQualification, uint64_t> cases[] = {
      {"single step", 0x4000, {.bs = true}},
      {"DR access detected", 0x2000, {.bd = true}},
      {"breakpoints 0 and 2", 0x5, {.breakpoints = 0x5}},
      {"RTM", 0x10000, {.rtm = true}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-2.
TEST(ExitInfoTest, TaskSwitchQualification) {
  using Source = TaskSwitchQualification::Source;
  const Case<TaskSwitchQualification, uint64_t> cases[] = {
      {"CALL 0x20", 0x00000020, {.selector = 0x20, .source = Source::kCall}},
      {"IRET to 0x30", 0x40000030, {.selector = 0x30, .source = Source::kIret}},
      {"JMP 0x28", 0x80000028, {.selector = 0x28, .source = Source::kJmp}},
      {"IDT task gate 0x50", 0xC0000050, {.selector = 0x50, .source = Source::kIdtTaskGate}},
  };
  ExpectRoundTrips(cases);
}

TEST(ExitInfoTest, DisplacementQualification) {
  // 27.2.1: sign-extended displacement; RIP-relative adds the next instruction's RIP.
  EXPECT_EQ(InstructionDisplacementQualification(-8, false, 0), 0xFFFFFFFFFFFFFFF8u);
  EXPECT_EQ(InstructionDisplacementQualification(0x100, true, 0x401000), 0x401100u);
  EXPECT_EQ(InstructionDisplacementQualification(-0x10, true, 0x2000), 0x1FF0u);
  EXPECT_EQ(InstructionDisplacementQualification(0, false, 0x1234), 0u);
}

constexpr MemoryOperandInfo kRbxRcxTimes4Ds64 = {.scaling = 2,
                                                 .address_size = AddressSize::k64,
                                                 .segment = 3,
                                                 .index_reg = 1,
                                                 .base_reg = 3};

// Table 27-14.
TEST(ExitInfoTest, VmreadVmwriteInfo) {
  const Case<VmreadVmwriteInfo, uint32_t> cases[] = {
      {"VMREAD [rbx+rcx*4+disp], rdx", 0x21858102,
       {.memory = kRbxRcxTimes4Ds64, .reg2 = 2}},
      {"VMREAD rbx, rax", 0x00000418, {.reg1 = 3, .register_operand = true, .reg2 = 0}},
      {"VMWRITE r15, [r14] (32-bit addressing, ES)", 0xF7400080,
       {.memory = {.address_size = AddressSize::k32, .index_invalid = true, .base_reg = 14},
        .reg2 = 15}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-13.
TEST(ExitInfoTest, VmxMemoryInstructionInfo) {
  const Case<VmxMemoryInstructionInfo, uint32_t> cases[] = {
      {"VMPTRLD [rip+disp]: no base, no index", 0x08418100,
       {.address_size = AddressSize::k64, .segment = 3, .index_invalid = true,
        .base_invalid = true}},
      {"VMXON [rbx+rcx*4]", 0x01858102, kRbxRcxTimes4Ds64},
  };
  ExpectRoundTrips(cases);
}

// Table 27-9.
TEST(ExitInfoTest, InvalidationInfo) {
  const Case<InvalidationInfo, uint32_t> cases[] = {
      {"INVEPT rax, [rsp]", 0x02410100,
       {.memory = {.address_size = AddressSize::k64, .segment = 2, .index_invalid = true,
                   .base_reg = 4},
        .reg2 = 0}},
      {"INVVPID r9, [rbx+rcx*4]", 0x91858102, {.memory = kRbxRcxTimes4Ds64, .reg2 = 9}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-10.
TEST(ExitInfoTest, DescriptorTableInfo) {
  using Instruction = DescriptorTableInfo::Instruction;
  const Case<DescriptorTableInfo, uint32_t> cases[] = {
      {"LGDT [eax] with 32-bit operand", 0x20418880,
       {.memory = {.address_size = AddressSize::k32, .segment = 3, .index_invalid = true},
        .operand_size_32 = true,
        .instruction = Instruction::kLgdt}},
      {"SIDT [rbx+rcx*4]", 0x11858102,
       {.memory = kRbxRcxTimes4Ds64, .instruction = Instruction::kSidt}},
      {"LIDT", 0x30000000, {.instruction = Instruction::kLidt}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-11.
TEST(ExitInfoTest, SegmentTableInfo) {
  using Instruction = SegmentTableInfo::Instruction;
  const Case<SegmentTableInfo, uint32_t> cases[] = {
      {"SLDT ax", 0x00000400, {.reg1 = 0, .register_operand = true}},
      {"LTR cx", 0x30000408,
       {.reg1 = 1, .register_operand = true, .instruction = Instruction::kLtr}},
      {"LLDT [rbx+rcx*4]", 0x21858102,
       {.memory = kRbxRcxTimes4Ds64, .instruction = Instruction::kLldt}},
      {"STR", 0x10000400, {.register_operand = true, .instruction = Instruction::kStr}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-12.
TEST(ExitInfoTest, RandomInfo) {
  const Case<RandomInfo, uint32_t> cases[] = {
      {"RDRAND rax", 0x1000, {.dest_reg = 0, .operand_size = 8}},
      {"RDSEED ecx", 0x0808, {.dest_reg = 1, .operand_size = 4}},
      {"RDRAND r10w", 0x0050, {.dest_reg = 10, .operand_size = 2}},
  };
  ExpectRoundTrips(cases);
}

// Table 27-8.
TEST(ExitInfoTest, InsOutsInfo) {
  const Case<InsOutsInfo, uint32_t> cases[] = {
      {"OUTSB FS:[esi]", 0x00020080, {.address_size = AddressSize::k32, .segment = 4}},
      {"INSW [rdi]", 0x00000100, {.address_size = AddressSize::k64, .segment = 0}},
  };
  ExpectRoundTrips(cases);
}

// Tables 24-13, 24-15, 24-16.
TEST(ExitInfoTest, InterruptionInfo) {
  using Type = InterruptionType;
  const Case<InterruptionInfo, uint32_t> cases[] = {
      {"#PF with error code", 0x80000B0E,
       {.vector = 14, .type = Type::kHardwareException, .error_code = true, .valid = true}},
      {"NMI", 0x80000202, {.vector = 2, .type = Type::kNmi, .valid = true}},
      {"external interrupt 0x20", 0x80000020,
       {.vector = 0x20, .type = Type::kExternalInterrupt, .valid = true}},
      {"INT3", 0x80000603, {.vector = 3, .type = Type::kSoftwareException, .valid = true}},
      {"INT 0x80", 0x80000480, {.vector = 0x80, .type = Type::kSoftwareInterrupt, .valid = true}},
      {"INT1", 0x80000501,
       {.vector = 1, .type = Type::kPrivilegedSoftwareException, .valid = true}},
      {"pending MTF injection", 0x80000700,
       {.vector = 0, .type = Type::kOtherEvent, .valid = true}},
      {"#GP on exit after IRET unblocked NMIs", 0x80001B0D,
       {.vector = 13, .type = Type::kHardwareException, .error_code = true,
        .nmi_unblocking = true, .valid = true}},
      {"invalid", 0x0, {}},
  };
  ExpectRoundTrips(cases);
  EXPECT_EQ(kEntryInterruptionInfoReserved, 0x7FFFF000u);
}

// Table 24-3 and 24.4.2.
TEST(ExitInfoTest, InterruptibilityAndActivityState) {
  const Case<InterruptibilityState, uint32_t> cases[] = {
      {"STI", 0x1, {.blocking_by_sti = true}},
      {"MOV SS", 0x2, {.blocking_by_mov_ss = true}},
      {"SMI", 0x4, {.blocking_by_smi = true}},
      {"NMI", 0x8, {.blocking_by_nmi = true}},
      {"enclave", 0x10, {.enclave_interruption = true}},
  };
  ExpectRoundTrips(cases);
  EXPECT_EQ(kInterruptibilityReserved, 0xFFFFFFE0u);
  EXPECT_EQ(static_cast<uint32_t>(ActivityState::kActive), 0u);
  EXPECT_EQ(static_cast<uint32_t>(ActivityState::kHlt), 1u);
  EXPECT_EQ(static_cast<uint32_t>(ActivityState::kShutdown), 2u);
  EXPECT_EQ(static_cast<uint32_t>(ActivityState::kWaitForSipi), 3u);
}

// Table 24-4.
TEST(ExitInfoTest, PendingDebugExceptions) {
  const Case<PendingDebugExceptions, uint64_t> cases[] = {
      {"single step", 0x4000, {.bs = true}},
      {"enabled breakpoint 1", 0x1002, {.breakpoints = 0x2, .enabled_breakpoint = true}},
      {"RTM", 0x10000, {.rtm = true}},
  };
  ExpectRoundTrips(cases);
  EXPECT_EQ(kPendingDebugExceptionsReserved, 0xFFFFFFFFFFFEAFF0u);
}

TEST(ExitInfoTest, EntryFailureQualifications) {
  // 26.7: qualification of basic exit reason 33.
  EXPECT_EQ(static_cast<int>(EntryFailureQualification::kDefault), 0);
  EXPECT_EQ(static_cast<int>(EntryFailureQualification::kPdpteLoad), 2);
  EXPECT_EQ(static_cast<int>(EntryFailureQualification::kNmiBlockedBySti), 3);
  EXPECT_EQ(static_cast<int>(EntryFailureQualification::kVmcsLinkPointer), 4);
}

}  // namespace
}  // namespace vmxemu::vmx::arch
