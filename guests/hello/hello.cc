// The smallest guest kernel: proves boot, serial output and the command line.
#include "guests/lib/boot_info.h"
#include "guests/lib/printf.h"

int kmain(const guest::BootInfo& boot_info) {
  guest::printf("Hello from vmxemu guest!\n");
  guest::printf("cmdline: %s\n", boot_info.cmdline);
  return 0;
}
