// The few C library functions a freestanding build still needs: GCC emits
// calls to memset/memcpy/memmove/memcmp even with -ffreestanding
// (GCC manual, "C Language Dialect Options", -ffreestanding).
#ifndef GUESTS_LIB_LIBC_H_
#define GUESTS_LIB_LIBC_H_

#include <stddef.h>

extern "C" {
void* memset(void* destination, int value, size_t count);
void* memcpy(void* destination, const void* source, size_t count);
void* memmove(void* destination, const void* source, size_t count);
int memcmp(const void* a, const void* b, size_t count);
size_t strlen(const char* text);
int strcmp(const char* a, const char* b);
}

#endif  // GUESTS_LIB_LIBC_H_
