// Placeholder: this family is being written; until then its mnemonics stop the run
// as unimplemented.
#include "cpu/isa/isa.h"

namespace vmxemu::cpu::isa {

void RegisterBitOps(BinderTable&) {}

}  // namespace vmxemu::cpu::isa
