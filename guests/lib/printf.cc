// The format parser follows C11 7.21.6.1 (fprintf) for the subset listed in
// printf.h, including its corner cases: '0' is ignored with '-' or with a
// precision, and precision 0 prints nothing for the value 0.
#include "guests/lib/printf.h"

#include <stdint.h>

#include "guests/lib/serial.h"

namespace guest {
namespace {

// Where formatted bytes go: the serial port or a caller's buffer. Counts
// every byte, also those that did not fit.
struct Sink {
  bool to_serial;
  char* buffer;
  size_t capacity;  // Bytes available in buffer, including the NUL.
  size_t length;

  void Put(char c) {
    if (to_serial) {
      serial_putc(c);
    } else if (length + 1 < capacity) {
      buffer[length] = c;
    }
    ++length;
  }
  void Repeat(char c, int count) {
    for (int i = 0; i < count; ++i) Put(c);
  }
};

enum class Length { kInt, kLong, kLongLong, kSize };

struct Spec {
  bool left_align = false;
  bool zero_pad = false;
  int width = 0;
  int precision = -1;  // -1: none given.
  Length length = Length::kInt;
};

// A va_list in a struct can be passed by reference to helpers, which a bare
// va_list parameter (an array type on x86-64) cannot.
struct Args {
  va_list list;
};

// Hex and decimal only, so the 32-bit build needs no libgcc: shifts for
// base 16, and division by the constant 10, which GCC inlines.
int ToDigits(uint64_t value, bool hex, bool upper, char* out) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  do {
    if (hex) {
      out[n++] = digits[value & 0xF];
      value >>= 4;
    } else {
      out[n++] = digits[value % 10];
      value /= 10;
    }
  } while (value != 0);
  return n;  // Least significant digit first.
}

void PutInteger(Sink& sink, const Spec& spec, uint64_t magnitude, bool negative,
                bool hex, bool upper, const char* prefix) {
  char digits[24];
  int digit_count = 0;
  if (!(spec.precision == 0 && magnitude == 0)) {
    digit_count = ToDigits(magnitude, hex, upper, digits);
  }
  int precision_zeros =
      spec.precision > digit_count ? spec.precision - digit_count : 0;
  int prefix_length = 0;
  while (prefix[prefix_length] != '\0') ++prefix_length;
  int length =
      (negative ? 1 : 0) + prefix_length + precision_zeros + digit_count;
  int padding = spec.width > length ? spec.width - length : 0;
  bool zero_fill = spec.zero_pad && !spec.left_align && spec.precision < 0;

  if (!spec.left_align && !zero_fill) sink.Repeat(' ', padding);
  if (negative) sink.Put('-');
  for (int i = 0; i < prefix_length; ++i) sink.Put(prefix[i]);
  if (zero_fill) sink.Repeat('0', padding);
  sink.Repeat('0', precision_zeros);
  while (digit_count > 0) sink.Put(digits[--digit_count]);
  if (spec.left_align) sink.Repeat(' ', padding);
}

void PutString(Sink& sink, const Spec& spec, const char* text) {
  if (text == nullptr) text = "(null)";
  int length = 0;
  while (text[length] != '\0' &&
         (spec.precision < 0 || length < spec.precision)) {
    ++length;
  }
  int padding = spec.width > length ? spec.width - length : 0;
  if (!spec.left_align) sink.Repeat(' ', padding);
  for (int i = 0; i < length; ++i) sink.Put(text[i]);
  if (spec.left_align) sink.Repeat(' ', padding);
}

int ParseNumber(const char*& p) {
  int value = 0;
  while (*p >= '0' && *p <= '9') value = value * 10 + (*p++ - '0');
  return value;
}

// Parses flags, width, precision and length of the directive after '%';
// returns the position of the conversion character.
const char* ParseSpec(const char* p, Args& args, Spec& spec) {
  for (;; ++p) {
    if (*p == '-') {
      spec.left_align = true;
    } else if (*p == '0') {
      spec.zero_pad = true;
    } else {
      break;
    }
  }
  if (*p == '*') {
    ++p;
    spec.width = va_arg(args.list, int);
    if (spec.width < 0) {  // C11: a negative width is '-' plus a width.
      spec.left_align = true;
      spec.width = -spec.width;
    }
  } else {
    spec.width = ParseNumber(p);
  }
  if (*p == '.') {
    ++p;
    if (*p == '*') {
      ++p;
      spec.precision = va_arg(args.list, int);
      if (spec.precision < 0) spec.precision = -1;  // As if omitted.
    } else {
      spec.precision = ParseNumber(p);
    }
  }
  if (*p == 'z') {
    spec.length = Length::kSize;
    ++p;
  } else if (*p == 'l') {
    spec.length = Length::kLong;
    if (*++p == 'l') {
      spec.length = Length::kLongLong;
      ++p;
    }
  }
  return p;
}

int64_t NextSigned(Args& args, Length length) {
  switch (length) {
    case Length::kLong:
      return va_arg(args.list, long);
    case Length::kLongLong:
      return va_arg(args.list, long long);
    case Length::kSize:
      return va_arg(args.list, ptrdiff_t);  // Same width as size_t here.
    case Length::kInt:
      break;
  }
  return va_arg(args.list, int);
}

uint64_t NextUnsigned(Args& args, Length length) {
  switch (length) {
    case Length::kLong:
      return va_arg(args.list, unsigned long);
    case Length::kLongLong:
      return va_arg(args.list, unsigned long long);
    case Length::kSize:
      return va_arg(args.list, size_t);
    case Length::kInt:
      break;
  }
  return va_arg(args.list, unsigned);
}

// Formats one conversion; false if the character is not one we support.
bool Convert(Sink& sink, char conversion, const Spec& spec, Args& args) {
  switch (conversion) {
    case 'd':
    case 'i': {
      int64_t value = NextSigned(args, spec.length);
      // 0 - value in unsigned arithmetic is also right for INT64_MIN.
      uint64_t magnitude = static_cast<uint64_t>(value);
      if (value < 0) magnitude = 0 - magnitude;
      PutInteger(sink, spec, magnitude, value < 0, false, false, "");
      return true;
    }
    case 'u':
    case 'x':
    case 'X':
      PutInteger(sink, spec, NextUnsigned(args, spec.length), false,
                 conversion != 'u', conversion == 'X', "");
      return true;
    case 'p':
      PutInteger(sink, spec,
                 reinterpret_cast<uintptr_t>(va_arg(args.list, void*)), false,
                 true, false, "0x");
      return true;
    case 's':
      PutString(sink, spec, va_arg(args.list, const char*));
      return true;
    case 'c': {
      int padding = spec.width > 1 ? spec.width - 1 : 0;
      if (!spec.left_align) sink.Repeat(' ', padding);
      sink.Put(static_cast<char>(va_arg(args.list, int)));
      if (spec.left_align) sink.Repeat(' ', padding);
      return true;
    }
    case '%':
      sink.Put('%');
      return true;
    default:
      return false;
  }
}

void Format(Sink& sink, const char* format, va_list list) {
  Args args;
  va_copy(args.list, list);
  for (const char* p = format; *p != '\0'; ++p) {
    if (*p != '%') {
      sink.Put(*p);
      continue;
    }
    const char* directive = p;
    Spec spec;
    p = ParseSpec(p + 1, args, spec);
    if (!Convert(sink, *p, spec, args)) {
      // Unknown or cut short by the end of the string: echo it verbatim.
      for (const char* q = directive; q <= p && *q != '\0'; ++q) sink.Put(*q);
      if (*p == '\0') break;
    }
  }
  va_end(args.list);
}

}  // namespace

int vprintf(const char* format, va_list args) {
  Sink sink = {true, nullptr, 0, 0};
  Format(sink, format, args);
  return static_cast<int>(sink.length);
}

int printf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  int length = vprintf(format, args);
  va_end(args);
  return length;
}

int vsnprintf(char* buffer, size_t size, const char* format, va_list args) {
  Sink sink = {false, buffer, size, 0};
  Format(sink, format, args);
  if (size > 0) buffer[sink.length < size ? sink.length : size - 1] = '\0';
  return static_cast<int>(sink.length);
}

int snprintf(char* buffer, size_t size, const char* format, ...) {
  va_list args;
  va_start(args, format);
  int length = vsnprintf(buffer, size, format, args);
  va_end(args);
  return length;
}

}  // namespace guest
