// Proves vtx/arch is freestanding: includes every header, runs the table lookups at run
// time in both the 64-bit and the -m32 guest build, prints what it found, and exits 0 if
// every check passed (1 otherwise).
#include "guests/lib/boot_info.h"
#include "guests/lib/printf.h"
#include "vtx/arch/bits.h"
#include "vtx/arch/capability_msrs.h"
#include "vtx/arch/controls.h"
#include "vtx/arch/exit_info.h"
#include "vtx/arch/exit_reasons.h"
#include "vtx/arch/vm_instruction_errors.h"
#include "vtx/arch/vmcs_fields.h"

namespace {

namespace arch = vmxemu::vmx::arch;

int failures = 0;

void Check(bool ok, const char* what) {
  if (!ok) {
    guest::printf("FAIL %s\n", what);
    ++failures;
  }
}

// Keeps the compiler from folding lookups into constants: the point is to run them.
template <typename T>
T Opaque(T value) {
  asm volatile("" : "+r"(value));
  return value;
}

// Every row is found by its encoding, and by encoding | 1 exactly when it is 64-bit.
int CheckFieldLookups() {
  int found = 0;
  for (const arch::FieldInfo& row : arch::kVmcsFields) {
    const uint32_t encoding = Opaque(row.encoding);
    const arch::FieldInfo* full = arch::LookupField(encoding);
    const arch::FieldInfo* high = arch::LookupField(encoding | 1u);
    Check(full == &row, row.name);
    Check((high == &row) == row.has_high_access(), row.name);
    found += full == &row;
  }
  return found;
}

int CountAssignedExitReasons() {
  int assigned = 0;
  for (uint32_t n = 0; n < Opaque(100u); ++n) assigned += arch::LookupExitReason(n) != nullptr;
  return assigned;
}

}  // namespace

int kmain(const guest::BootInfo&) {
  const int fields = CheckFieldLookups();
  const int reasons = CountAssignedExitReasons();
  guest::printf("archcheck: %d VMCS fields, %d exit reasons, %d VM-instruction errors, "
                "%d VMX MSRs\n",
                fields, reasons, arch::kNumVmInstructionErrors, arch::kNumVmxMsrs);
  Check(fields == arch::kNumVmcsFields, "every VMCS field found");
  Check(reasons == arch::kNumExitReasons, "every exit reason found");

  const arch::FieldInfo* rip = arch::LookupField(Opaque(0x681Eu));
  const arch::FieldInfo* eptp_high = arch::LookupField(Opaque(0x201Bu));
  Check(rip != nullptr && eptp_high != nullptr, "GUEST_RIP and EPT_POINTER (high)");
  if (rip != nullptr && eptp_high != nullptr) {
    guest::printf("archcheck: 0x681e is %s, 0x201b is the high half of %s\n", rip->name,
                  eptp_high->name);
  }
  Check(arch::LookupField(Opaque(0x401Cu)) == nullptr, "TPR threshold is not offered");

  const arch::ExitReasonInfo* ept = arch::LookupExitReason(Opaque(48u));
  const arch::VmInstructionErrorInfo* error = arch::LookupVmInstructionError(Opaque(12u));
  Check(ept != nullptr && error != nullptr, "exit reason 48, error 12");
  if (ept != nullptr && error != nullptr) {
    guest::printf("archcheck: exit reason 48: %s; error 12: %s\n", ept->name,
                  error->description);
  }

  const uint64_t pin_cap = Opaque(0x0000007F00000016ull);
  const uint32_t pin = arch::AdjustControls(
      pin_cap, arch::pin_ctl::kNmiExiting | arch::pin_ctl::kVirtualNmis |
                   arch::pin_ctl::kProcessPostedInterrupts);
  const auto cr = arch::CrAccessQualification::Decode(Opaque(0x313ull));
  guest::printf("archcheck: adjusted pin-based controls 0x%x; qualification 0x313 is "
                "MOV from CR%d to GPR %d\n",
                pin, cr.cr, cr.gpr);
  Check(pin == 0x3E && arch::ControlsAllowed(pin_cap, pin), "AdjustControls");
  Check(cr.access_type == arch::CrAccessQualification::AccessType::kMovFromCr, "CR access");

  const uint64_t tsc_offset = Opaque(0x123456789ABCDEF0ull);
  const arch::FieldInfo& tsc = arch::GetFieldInfo(arch::VmcsField::kTscOffset);
  Check(arch::VmreadValue(tsc, true, tsc_offset, false) == 0x12345678, "VMREAD high");

  if (failures == 0) guest::printf("archcheck: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
