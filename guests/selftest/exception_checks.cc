// Exceptions and software interrupts through the IDT: each handler checks
// what the CPU reported (vector, error code, instruction pointer), then
// resumes the test, either after the faulting instruction or, for traps,
// where the CPU already points.
#include <stdint.h>

#include "guests/lib/idt.h"
#include "guests/selftest/checks.h"

namespace selftest {
namespace {

constexpr uint8_t kDivideError = 0;
constexpr uint8_t kBreakpoint = 3;
constexpr uint8_t kInvalidOpcode = 6;
constexpr uint8_t kGeneralProtection = 13;
constexpr uint8_t kSoftwareVector = 0x80;

// What the last handler saw.
struct Report {
  int count;
  uint32_t vector;
  uint32_t error_code;
  bool instruction_matches;  // The bytes at (or before) ip() are as expected.
};
Report report;

bool CodeAt(uintptr_t address, uint8_t first, uint8_t second) {
  const auto* code = reinterpret_cast<const uint8_t*>(address);
  return code[0] == first && code[1] == second;
}

void Record(const guest::TrapFrame& frame, bool instruction_matches) {
  ++report.count;
  report.vector = static_cast<uint32_t>(frame.vector);
  report.error_code = static_cast<uint32_t>(frame.error_code);
  report.instruction_matches = instruction_matches;
}

bool Saw(uint8_t vector, uint32_t error_code) {
  return report.count == 1 && report.vector == vector &&
         report.error_code == error_code && report.instruction_matches;
}

// Faults report the address of the faulting instruction (SDM Vol. 3A
// "Exception Classifications"), so resuming means skipping its 2 bytes.
void OnInvalidOpcode(guest::TrapFrame& frame) {
  Record(frame, CodeAt(frame.ip(), 0x0F, 0x0B));  // UD2
#if defined(__x86_64__)
  frame.rax = 0x5A5A;  // Proves the stub restores registers from the frame.
#else
  frame.eax = 0x5A5A;
#endif
  frame.ip() += 2;
}

void OnDivideError(guest::TrapFrame& frame) {
  Record(frame, CodeAt(frame.ip(), 0xF7, 0xF1));  // DIV ECX
  frame.ip() += 2;
}

void OnGeneralProtection(guest::TrapFrame& frame) {
  Record(frame, CodeAt(frame.ip(), 0x8E, 0xD8));  // MOV DS, AX
  frame.ip() += 2;
}

// Traps and INT n report the address of the next instruction.
void OnBreakpoint(guest::TrapFrame& frame) {
  Record(frame, *reinterpret_cast<const uint8_t*>(frame.ip() - 1) == 0xCC);
}

void OnSoftwareInterrupt(guest::TrapFrame& frame) {
  Record(frame, CodeAt(frame.ip() - 2, 0xCD, kSoftwareVector));  // INT 0x80
}

void CheckInvalidOpcode() {
  report = {};
  guest::set_exception_handler(kInvalidOpcode, OnInvalidOpcode);
  uint32_t eax;
  asm volatile("xor %%eax, %%eax\n\tud2" : "=a"(eax) : : "memory");
  guest::set_exception_handler(kInvalidOpcode, nullptr);
  check(Saw(kInvalidOpcode, 0), "exception #UD caught and skipped");
  check(eax == 0x5A5A, "exception handler changes a register");
}

void CheckDivideError() {
  report = {};
  guest::set_exception_handler(kDivideError, OnDivideError);
  uint32_t dividend = 100, high = 0;
  asm volatile("div %2" : "+a"(dividend), "+d"(high) : "c"(0u) : "memory");
  guest::set_exception_handler(kDivideError, nullptr);
  check(Saw(kDivideError, 0), "exception #DE caught and skipped");
}

void CheckGeneralProtection() {
  report = {};
  guest::set_exception_handler(kGeneralProtection, OnGeneralProtection);
  // Selector 0x40 lies beyond the GDT limit: #GP with the selector as error
  // code (SDM Vol. 3A "Interrupt 13—General Protection Exception").
  asm volatile("mov %%ax, %%ds" : : "a"(0x40) : "memory");
  guest::set_exception_handler(kGeneralProtection, nullptr);
  check(Saw(kGeneralProtection, 0x40), "exception #GP error code 0x40");
}

void CheckBreakpoint() {
  report = {};
  guest::set_exception_handler(kBreakpoint, OnBreakpoint);
  asm volatile("int3" : : : "memory");
  guest::set_exception_handler(kBreakpoint, nullptr);
  check(Saw(kBreakpoint, 0), "exception #BP trap resumes after int3");
}

void CheckSoftwareInterrupt() {
  report = {};
  guest::set_irq_handler(kSoftwareVector, OnSoftwareInterrupt);
  asm volatile("int $0x80" : : : "memory");
  guest::set_irq_handler(kSoftwareVector, nullptr);
  check(Saw(kSoftwareVector, 0), "interrupt vector 0x80 handled");
}

}  // namespace

void run_exception_checks() {
  CheckInvalidOpcode();
  CheckDivideError();
  CheckGeneralProtection();
  CheckBreakpoint();
  CheckSoftwareInterrupt();
}

}  // namespace selftest
