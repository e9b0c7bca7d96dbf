// Ending a guest run. With QEMU's isa-debug-exit device (and vmxemu's
// compatible one) at port 0xF4, the emulator exits with status
// (code << 1) | 1. Conventional codes: 0 success (kmain returned 0),
// 2 panic, 3 unhandled exception or interrupt.
#ifndef GUESTS_LIB_EXIT_H_
#define GUESTS_LIB_EXIT_H_

namespace guest {

// Flushes the serial port and writes code to port 0xF4. If the machine has
// no debug-exit device, says so on the serial port and halts forever.
[[noreturn]] void exit(int code);

// Prints "PANIC: <message>\n" and the current registers, then exit(2).
[[noreturn]] void panic(const char* format, ...)
    __attribute__((format(printf, 1, 2)));

}  // namespace guest

#endif  // GUESTS_LIB_EXIT_H_
