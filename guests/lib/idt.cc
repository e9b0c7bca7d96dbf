#include "guests/lib/idt.h"

#include "guests/lib/exit.h"
#include "guests/lib/printf.h"
#include "guests/lib/segments.h"
#include "guests/lib/x86.h"

// First of 256 stubs in isr.S, kIsrStubStride bytes apart.
extern "C" const char guest_isr_stubs[];

namespace guest {
namespace {

constexpr int kVectors = 256;
constexpr int kExceptionVectors = 32;
constexpr uintptr_t kIsrStubStride = 16;  // Must match isr.S.
constexpr uint8_t kDoubleFault = 8;
// P=1, DPL=0, type 0xE: interrupt gate (IF cleared on entry), 64-bit in
// IA-32e mode, 32-bit otherwise (SDM Vol. 3A "IDT Descriptors").
constexpr uint8_t kInterruptGate = 0x8E;

#if defined(__x86_64__)
// SDM Vol. 3A "64-Bit Mode IDT".
struct Gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;  // Bits 2:0: interrupt stack table index, 0 = none.
  uint8_t type_attributes;
  uint16_t offset_middle;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(Gate) == 16);
#else
struct Gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t reserved;
  uint8_t type_attributes;
  uint16_t offset_high;
};
static_assert(sizeof(Gate) == 8);
#endif

Gate idt[kVectors] __attribute__((aligned(16)));
TrapHandler handlers[kVectors];

// SDM Vol. 3A "Exception and Interrupt Vectors", Table "Protected-Mode
// Exceptions and Interrupts".
constexpr const char* kMnemonics[kExceptionVectors] = {
    "#DE",      "#DB",      "NMI",      "#BP",       // 0-3
    "#OF",      "#BR",      "#UD",      "#NM",       // 4-7
    "#DF",      "CSO",      "#TS",      "#NP",       // 8-11
    "#SS",      "#GP",      "#PF",      "reserved",  // 12-15
    "#MF",      "#AC",      "#MC",      "#XM",       // 16-19
    "#VE",      "#CP",      "reserved", "reserved",  // 20-23
    "reserved", "reserved", "reserved", "reserved",  // 24-27
    "#HV",      "#VC",      "#SX",      "reserved",  // 28-31
};

Gate MakeGate(uintptr_t offset, uint8_t ist) {
  Gate gate = {};
  gate.offset_low = static_cast<uint16_t>(offset);
  gate.selector = kCodeSelector;
  gate.type_attributes = kInterruptGate;
#if defined(__x86_64__)
  gate.ist = ist;
  gate.offset_middle = static_cast<uint16_t>(offset >> 16);
  gate.offset_high = static_cast<uint32_t>(offset >> 32);
#else
  (void)ist;  // Only IA-32e mode has an interrupt stack table.
  gate.offset_high = static_cast<uint16_t>(offset >> 16);
#endif
  return gate;
}

[[noreturn]] void ReportUnhandled(const TrapFrame& frame) {
  if (frame.vector < kExceptionVectors) {
    printf("EXCEPTION vector=%u (%s) error=0x%lx rip=0x%lx cr2=0x%lx\n",
           static_cast<unsigned>(frame.vector),
           exception_mnemonic(static_cast<uint32_t>(frame.vector)),
           static_cast<unsigned long>(frame.error_code),
           static_cast<unsigned long>(frame.ip()),
           static_cast<unsigned long>(read_cr2()));
  } else {
    printf("UNEXPECTED INTERRUPT vector=%u rip=0x%lx\n",
           static_cast<unsigned>(frame.vector),
           static_cast<unsigned long>(frame.ip()));
  }
  print_registers(frame);
  exit(3);
}

}  // namespace

void init_idt() {
  for (int vector = 0; vector < kVectors; ++vector) {
    uintptr_t stub =
        reinterpret_cast<uintptr_t>(guest_isr_stubs) + vector * kIsrStubStride;
    // A #DF usually means the stack is unusable; IST1 gives it a fresh one.
    idt[vector] = MakeGate(stub, vector == kDoubleFault ? 1 : 0);
  }
  lidt({sizeof(idt) - 1, reinterpret_cast<uintptr_t>(idt)});
}

void set_exception_handler(uint8_t vector, TrapHandler handler) {
  if (vector >= kExceptionVectors) {
    panic("set_exception_handler: vector %u is not an exception", vector);
  }
  handlers[vector] = handler;
}

void set_irq_handler(uint8_t vector, TrapHandler handler) {
  if (vector < kExceptionVectors) {
    panic("set_irq_handler: vector %u is an exception", vector);
  }
  handlers[vector] = handler;
}

const char* exception_mnemonic(uint32_t vector) {
  return vector < kExceptionVectors ? kMnemonics[vector] : "irq";
}

}  // namespace guest

extern "C" void guest_trap_dispatch(guest::TrapFrame* frame) {
  guest::TrapHandler handler = guest::handlers[frame->vector & 0xFF];
  if (handler == nullptr) guest::ReportUnhandled(*frame);
  handler(*frame);
}
