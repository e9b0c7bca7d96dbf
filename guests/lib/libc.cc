#include "guests/lib/libc.h"

#include "guests/lib/exit.h"

// The copies and fills use REP STOSB/MOVSB: short, fast on every CPU with
// ERMSB, and out of reach of GCC's loop-to-memset idiom recognition, which
// would turn a C loop in memset itself into a call to memset.
extern "C" {

void* memset(void* destination, int value, size_t count) {
  void* d = destination;
  asm volatile("rep stosb" : "+D"(d), "+c"(count) : "a"(value) : "memory");
  return destination;
}

void* memcpy(void* destination, const void* source, size_t count) {
  void* d = destination;
  asm volatile("rep movsb" : "+D"(d), "+S"(source), "+c"(count) : : "memory");
  return destination;
}

void* memmove(void* destination, const void* source, size_t count) {
  auto* d = static_cast<char*>(destination);
  auto* s = static_cast<const char*>(source);
  if (d <= s || d >= s + count) return memcpy(destination, source, count);
  // Overlap with the destination above the source: copy backwards, from the
  // last byte down (DF=1), and restore DF=0 as the ABI requires.
  d += count - 1;
  s += count - 1;
  asm volatile("std\n\trep movsb\n\tcld"
               : "+D"(d), "+S"(s), "+c"(count)
               :
               : "memory");
  return destination;
}

int memcmp(const void* a, const void* b, size_t count) {
  auto* x = static_cast<const unsigned char*>(a);
  auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < count; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char* text) {
  size_t length = 0;
  while (text[length] != '\0') ++length;
  return length;
}

int strcmp(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

// Called through a vtable slot of a pure virtual function, i.e. from a
// constructor or destructor of an abstract class (Itanium C++ ABI 3.2.6).
void __cxa_pure_virtual() { guest::panic("pure virtual function called"); }

}  // extern "C"
