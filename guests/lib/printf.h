// Freestanding printf family. Conversions: %d %i %u %x %X %p %s %c %%, with
// flags '-' (left-align) and '0' (zero-pad), a width and a precision (digits
// or '*'), and the length modifiers l, ll and z. No floating point.
// %p prints "0x" and the address in lower-case hex. An unknown conversion is
// printed as written so that the mistake shows in the output.
#ifndef GUESTS_LIB_PRINTF_H_
#define GUESTS_LIB_PRINTF_H_

#include <stdarg.h>
#include <stddef.h>

namespace guest {

// Writes to the serial port; returns the number of bytes written.
int printf(const char* format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char* format, va_list args);

// C semantics: writes at most size - 1 characters plus a NUL (nothing if
// size is 0) and returns the length the full output would have had.
int snprintf(char* buffer, size_t size, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char* buffer, size_t size, const char* format, va_list args);

}  // namespace guest

#endif  // GUESTS_LIB_PRINTF_H_
