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
  isa::RegisterShift(t);
  isa::RegisterMulDiv(t);
  isa::RegisterBitOps(t);
  isa::RegisterCond(t);
  isa::RegisterConvert(t);
  isa::RegisterFlagOps(t);
  isa::RegisterBcd(t);
  isa::RegisterExchange(t);
  isa::RegisterString(t);
  isa::RegisterFrame(t);
  isa::RegisterControlRegs(t);
  isa::RegisterCpuidMsr(t);
  isa::RegisterDescriptorTables(t);
  isa::RegisterFlagsSys(t);
  isa::RegisterSyscall(t);
  isa::RegisterInterrupts(t);
  isa::RegisterFar(t);
  isa::RegisterSegmentRegs(t);
  isa::RegisterIo(t);
}

}  // namespace vmxemu::cpu
