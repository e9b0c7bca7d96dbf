// COM1, a polled 16550 UART at I/O port 0x3F8. Output only; bytes go out
// exactly as given (no "\n" -> "\r\n"), because tests compare the serial
// stream byte for byte.
#ifndef GUESTS_LIB_SERIAL_H_
#define GUESTS_LIB_SERIAL_H_

#include <stddef.h>

namespace guest {

// 115200 baud, 8N1, FIFOs on, interrupts off.
void serial_init();
void serial_putc(char c);
void serial_write(const char* data, size_t length);
// Waits until the transmitter is completely empty, e.g. before exiting.
void serial_flush();

}  // namespace guest

#endif  // GUESTS_LIB_SERIAL_H_
