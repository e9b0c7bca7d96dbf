// Inline wrappers that emit the VMX instructions and nothing else: no
// capability checks, no VMCS knowledge (that lives in vmx/arch).
//
// Outcome of a VMX instruction (SDM Vol. 3C "Conventions" of the VMX
// instruction reference): VMsucceed clears CF and ZF, VMfailInvalid sets CF
// (no current VMCS), VMfailValid sets ZF (error number in the VM-instruction
// error field of the current VMCS). The flags are read with GCC flag-output
// operands ("=@ccc", "=@ccz").
//
// 64-bit only: VMMs in this project run in IA-32e mode.
#ifndef GUESTS_LIB_VMX_H_
#define GUESTS_LIB_VMX_H_

#if defined(__x86_64__)
#include <stdint.h>

namespace guest {

enum class VmxResult : uint8_t {
  kSucceed,
  kFailInvalid,  // CF=1
  kFailValid,    // ZF=1
};

static inline VmxResult vmx_result(bool cf, bool zf) {
  if (cf) return VmxResult::kFailInvalid;
  if (zf) return VmxResult::kFailValid;
  return VmxResult::kSucceed;
}

// VMXON, VMCLEAR and VMPTRLD take the physical address in a 64-bit memory
// operand.
static inline VmxResult vmxon(uint64_t vmxon_region_paddr) {
  bool cf, zf;
  asm volatile("vmxon %[p]"
               : "=@ccc"(cf), "=@ccz"(zf)
               : [p] "m"(vmxon_region_paddr)
               : "memory");
  return vmx_result(cf, zf);
}

static inline VmxResult vmxoff() {
  bool cf, zf;
  asm volatile("vmxoff" : "=@ccc"(cf), "=@ccz"(zf) : : "memory");
  return vmx_result(cf, zf);
}

static inline VmxResult vmclear(uint64_t vmcs_paddr) {
  bool cf, zf;
  asm volatile("vmclear %[p]"
               : "=@ccc"(cf), "=@ccz"(zf)
               : [p] "m"(vmcs_paddr)
               : "memory");
  return vmx_result(cf, zf);
}

static inline VmxResult vmptrld(uint64_t vmcs_paddr) {
  bool cf, zf;
  asm volatile("vmptrld %[p]"
               : "=@ccc"(cf), "=@ccz"(zf)
               : [p] "m"(vmcs_paddr)
               : "memory");
  return vmx_result(cf, zf);
}

// Stores the current-VMCS pointer (all ones if there is none).
static inline VmxResult vmptrst(uint64_t* vmcs_paddr) {
  bool cf, zf;
  asm volatile("vmptrst %[p]"
               : "=@ccc"(cf), "=@ccz"(zf), [p] "=m"(*vmcs_paddr)
               :
               : "memory");
  return vmx_result(cf, zf);
}

// AT&T operand order: VMREAD field-register, destination.
static inline VmxResult vmread(uint64_t field, uint64_t* value) {
  bool cf, zf;
  uint64_t result;
  asm volatile("vmread %[field], %[value]"
               : "=@ccc"(cf), "=@ccz"(zf), [value] "=rm"(result)
               : [field] "r"(field)
               : "memory");
  // The destination is left unmodified on failure; so is *value.
  if (!cf && !zf) *value = result;
  return vmx_result(cf, zf);
}

// AT&T operand order: VMWRITE source, field-register.
static inline VmxResult vmwrite(uint64_t field, uint64_t value) {
  bool cf, zf;
  asm volatile("vmwrite %[value], %[field]"
               : "=@ccc"(cf), "=@ccz"(zf)
               : [field] "r"(field), [value] "rm"(value)
               : "memory");
  return vmx_result(cf, zf);
}

// On success VMLAUNCH/VMRESUME do not return here: the guest runs, and the
// next VM exit continues at the VMCS's HOST_RIP. Falling through means the
// instruction failed (or the VM entry failed early, SDM Vol. 3C "VM Entries").
static inline VmxResult vmlaunch() {
  bool cf, zf;
  asm volatile("vmlaunch" : "=@ccc"(cf), "=@ccz"(zf) : : "memory");
  return vmx_result(cf, zf);
}

static inline VmxResult vmresume() {
  bool cf, zf;
  asm volatile("vmresume" : "=@ccc"(cf), "=@ccz"(zf) : : "memory");
  return vmx_result(cf, zf);
}

// Hypercall with the KVM register convention: RAX = number, RBX, RCX, RDX,
// RSI = arguments, result in RAX.
static inline uint64_t vmcall(uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0,
                              uint64_t a2 = 0, uint64_t a3 = 0) {
  uint64_t result;
  asm volatile("vmcall"
               : "=a"(result)
               : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
               : "memory");
  return result;
}

// INVEPT descriptor: SDM Vol. 3C INVEPT, "INVEPT Descriptor".
struct InveptDescriptor {
  uint64_t eptp;
  uint64_t reserved;  // Must be zero.
};
enum class InveptType : uint64_t {
  kSingleContext = 1,
  kAllContexts = 2,
};

static inline VmxResult invept(InveptType type,
                               const InveptDescriptor& descriptor) {
  bool cf, zf;
  asm volatile("invept %[d], %[t]"
               : "=@ccc"(cf), "=@ccz"(zf)
               : [d] "m"(descriptor), [t] "r"(static_cast<uint64_t>(type))
               : "memory");
  return vmx_result(cf, zf);
}

// INVVPID descriptor: SDM Vol. 3C INVVPID, "INVVPID Descriptor".
struct InvvpidDescriptor {
  uint16_t vpid;
  uint16_t reserved0[3];  // Must be zero.
  uint64_t linear_address;
};
enum class InvvpidType : uint64_t {
  kIndividualAddress = 0,
  kSingleContext = 1,
  kAllContexts = 2,
  kSingleContextRetainingGlobals = 3,
};

static inline VmxResult invvpid(InvvpidType type,
                                const InvvpidDescriptor& descriptor) {
  bool cf, zf;
  asm volatile("invvpid %[d], %[t]"
               : "=@ccc"(cf), "=@ccz"(zf)
               : [d] "m"(descriptor), [t] "r"(static_cast<uint64_t>(type))
               : "memory");
  return vmx_result(cf, zf);
}

// VMFUNC in VMX non-root operation: EAX = function (0 = EPTP switching),
// ECX = argument. It has no flag result: it either succeeds, causes #UD or
// causes a VM exit.
static inline void vmfunc(uint32_t function, uint32_t argument) {
  asm volatile("vmfunc" : : "a"(function), "c"(argument) : "memory");
}

}  // namespace guest

#endif  // __x86_64__
#endif  // GUESTS_LIB_VMX_H_
