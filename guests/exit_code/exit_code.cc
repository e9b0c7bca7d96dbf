// Exits with the number that ends its command line ("... 42" -> exit code 42), so
// tests can check how each platform reports a guest's exit code.
#include "guests/lib/boot_info.h"
#include "guests/lib/printf.h"

int kmain(const guest::BootInfo& boot_info) {
  const char* s = boot_info.cmdline;
  const char* last = s;
  for (const char* p = s; *p; ++p) {
    if (*p == ' ') last = p + 1;
  }
  int code = 0;
  for (const char* p = last; *p >= '0' && *p <= '9'; ++p) code = code * 10 + (*p - '0');
  guest::printf("exiting with %d\n", code);
  return code;
}
