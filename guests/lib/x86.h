// Thin inline wrappers around privileged and system x86 instructions.
// Control registers and RFLAGS are natural width (uintptr_t): 64 bits in the
// 64-bit build, 32 bits in the 32-bit build.
#ifndef GUESTS_LIB_X86_H_
#define GUESTS_LIB_X86_H_

#include <stdint.h>

namespace guest {

struct CpuidResult {
  uint32_t eax;
  uint32_t ebx;
  uint32_t ecx;
  uint32_t edx;
};

static inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  CpuidResult r;
  asm volatile("cpuid"
               : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
               : "a"(leaf), "c"(subleaf));
  return r;
}

static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value) {
  asm volatile("wrmsr"
               :
               : "c"(msr), "a"(static_cast<uint32_t>(value)),
                 "d"(static_cast<uint32_t>(value >> 32))
               : "memory");
}

// "memory" clobbers: writes to CR0/CR3/CR4 change how every later access is
// translated, so the compiler must not move memory accesses across them.
#define GUEST_CONTROL_REGISTER(n)                              \
  static inline uintptr_t read_cr##n() {                       \
    uintptr_t value;                                           \
    asm volatile("mov %%cr" #n ", %0" : "=r"(value));          \
    return value;                                              \
  }                                                            \
  static inline void write_cr##n(uintptr_t value) {            \
    asm volatile("mov %0, %%cr" #n : : "r"(value) : "memory"); \
  }
GUEST_CONTROL_REGISTER(0)
GUEST_CONTROL_REGISTER(2)
GUEST_CONTROL_REGISTER(3)
GUEST_CONTROL_REGISTER(4)
#if defined(__x86_64__)
GUEST_CONTROL_REGISTER(8)  // CR8 (TPR) exists only in 64-bit mode.
#endif
#undef GUEST_CONTROL_REGISTER

static inline uint8_t inb(uint16_t port) {
  uint8_t value;
  asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}
static inline uint16_t inw(uint16_t port) {
  uint16_t value;
  asm volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}
static inline uint32_t inl(uint16_t port) {
  uint32_t value;
  asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}
static inline void outb(uint16_t port, uint8_t value) {
  asm volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t value) {
  asm volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t value) {
  asm volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline void invlpg(const volatile void* address) {
  asm volatile("invlpg (%0)" : : "r"(address) : "memory");
}

static inline void hlt() { asm volatile("hlt"); }
static inline void cli() { asm volatile("cli" : : : "memory"); }
static inline void sti() { asm volatile("sti" : : : "memory"); }
static inline void pause() { asm volatile("pause"); }

static inline uintptr_t read_rflags() {
  uintptr_t value;
  asm volatile("pushf\n\tpop %0" : "=r"(value));
  return value;
}
static inline void write_rflags(uintptr_t value) {
  asm volatile("push %0\n\tpopf" : : "r"(value) : "memory", "cc");
}

static inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

// Operand of LGDT/LIDT/SGDT/SIDT: 16-bit limit then a natural-width base
// (SDM Vol. 3A "Global Descriptor Table Register (GDTR)").
struct __attribute__((packed)) DescriptorTablePointer {
  uint16_t limit;
  uintptr_t base;
};

static inline void lgdt(const DescriptorTablePointer& pointer) {
  asm volatile("lgdt %0" : : "m"(pointer) : "memory");
}
static inline void lidt(const DescriptorTablePointer& pointer) {
  asm volatile("lidt %0" : : "m"(pointer) : "memory");
}
static inline DescriptorTablePointer sgdt() {
  DescriptorTablePointer pointer;
  asm volatile("sgdt %0" : "=m"(pointer));
  return pointer;
}
static inline DescriptorTablePointer sidt() {
  DescriptorTablePointer pointer;
  asm volatile("sidt %0" : "=m"(pointer));
  return pointer;
}

// Segment selectors, e.g. for the host-state area of a VMCS.
#define GUEST_SEGMENT_REGISTER(name)                    \
  static inline uint16_t read_##name() {                \
    uint16_t value;                                     \
    asm volatile("mov %%" #name ", %0" : "=rm"(value)); \
    return value;                                       \
  }
GUEST_SEGMENT_REGISTER(cs)
GUEST_SEGMENT_REGISTER(ss)
GUEST_SEGMENT_REGISTER(ds)
GUEST_SEGMENT_REGISTER(es)
GUEST_SEGMENT_REGISTER(fs)
GUEST_SEGMENT_REGISTER(gs)
#undef GUEST_SEGMENT_REGISTER

static inline uint16_t read_tr() {
  uint16_t value;
  asm volatile("str %0" : "=rm"(value));
  return value;
}

static inline void ltr(uint16_t selector) {
  asm volatile("ltr %0" : : "rm"(selector) : "memory");
}

}  // namespace guest

#endif  // GUESTS_LIB_X86_H_
