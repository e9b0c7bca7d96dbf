// The one list of instruction families. A mnemonic no family binds stops the run with
// "unimplemented instruction <name>" when executed.
#include "cpu/decoder.h"
#include "cpu/isa/isa.h"

namespace vmxemu::cpu {

void RegisterAllInstructions(BinderTable& t) {
  isa::RegisterAlu(t);
  isa::RegisterMov(t);
  isa::RegisterBranch(t);
  isa::RegisterMisc(t);
}

}  // namespace vmxemu::cpu
