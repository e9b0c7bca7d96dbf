// snprintf against expected strings; the same formatter backs printf.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "guests/lib/libc.h"
#include "guests/lib/printf.h"
#include "guests/selftest/checks.h"

namespace selftest {
namespace {

__attribute__((format(printf, 2, 3))) void ExpectFormat(const char* expected,
                                                        const char* format,
                                                        ...) {
  char buffer[64];
  va_list args;
  va_start(args, format);
  int length = guest::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  bool passed = strcmp(buffer, expected) == 0 &&
                length == static_cast<int>(strlen(expected));
  if (!check(passed, "printf \"%s\" = \"%s\"", format, expected)) {
    guest::printf("  got \"%s\" (length %d)\n", buffer, length);
  }
}

void CheckTruncation() {
  char buffer[8];
  memset(buffer, 'x', sizeof(buffer));
  int length = guest::snprintf(buffer, 5, "%s", "hello world");
  check(length == 11 && strcmp(buffer, "hell") == 0 && buffer[5] == 'x',
        "snprintf truncates and returns the full length");
  length = guest::snprintf(nullptr, 0, "%d", 12345);
  check(length == 5, "snprintf with size 0 only counts");
}

}  // namespace

void run_printf_checks() {
  ExpectFormat("0", "%d", 0);
  ExpectFormat("-42", "%d", -42);
  ExpectFormat("123", "%i", 123);
  ExpectFormat("4294967295", "%u", 4294967295u);
  ExpectFormat("deadbeef", "%x", 0xdeadbeefu);
  ExpectFormat("DEADBEEF", "%X", 0xdeadbeefu);
  ExpectFormat("   42|", "%5d|", 42);
  ExpectFormat("42   |", "%-5d|", 42);
  ExpectFormat("-0042", "%05d", -42);
  ExpectFormat("0000beef", "%08x", 0xbeefu);
  ExpectFormat("007", "%.3d", 7);
  ExpectFormat("", "%.0d", 0);
  ExpectFormat("    42|", "%*d|", 6, 42);
  ExpectFormat("42    |", "%-*d|", 6, 42);
  ExpectFormat("abc", "%s", "abc");
  ExpectFormat("   ab|", "%5s|", "ab");
  ExpectFormat("ab   |", "%-5s|", "ab");
  ExpectFormat("ab", "%.2s", "abcdef");
  ExpectFormat("ok", "%c%c", 'o', 'k');
  ExpectFormat("  x|", "%3c|", 'x');
  ExpectFormat("100%", "%d%%", 100);
  ExpectFormat("0x1000", "%p", reinterpret_cast<void*>(0x1000));
  ExpectFormat("-7", "%ld", -7L);
  ExpectFormat("-9223372036854775808", "%lld",
               static_cast<long long>(INT64_MIN));
  ExpectFormat("18446744073709551615", "%llu",
               static_cast<unsigned long long>(UINT64_MAX));
  ExpectFormat("123456789abcdef0", "%llx", 0x123456789abcdef0ull);
  ExpectFormat("0000000000ABCDEF", "%016llX", 0xabcdefull);
  ExpectFormat("4096", "%zu", size_t{4096});
  ExpectFormat("-1", "%zd", static_cast<ptrdiff_t>(-1));
#if defined(__x86_64__)
  ExpectFormat("ffffffffffffffff", "%lx", ~0ul);  // long is 64-bit here.
#else
  ExpectFormat("ffffffff", "%lx", ~0ul);  // long is 32-bit here.
#endif
  ExpectFormat("x=-5 s=str c=Z", "x=%d s=%s c=%c", -5, "str", 'Z');
  CheckTruncation();
}

}  // namespace selftest
