// libFuzzer target for record validation (store/validator.h): the input is a JSON body as a
// REST or socket client sends it, validated for every service in every write mode.
//
// Checked: what validation accepts it accepts again (the clean record is itself a valid
// patch), holds only the service's fields, and serializes strictly (valid UTF-8: nlohmann's
// dump() throws otherwise, which libFuzzer reports).
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/schema.h"
#include "store/validator.h"

namespace {

void Validate(const agor::ServiceSchema& schema, const agor::Json& body, agor::WriteMode mode) {
  agor::Json clean;
  if (!agor::ValidateWrite(schema, body, mode, &clean).ok()) return;
  if (!clean.is_object()) __builtin_trap();
  for (const auto& item : clean.items()) {
    if (!schema.FindField(item.key())) __builtin_trap();
  }
  (void)clean.dump();
  agor::Json again;
  if (!agor::ValidateWrite(schema, clean, agor::WriteMode::kPatch, &again).ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const agor::Json body = agor::Json::parse(data, data + size, nullptr, false);
  if (body.is_discarded()) return 0;
  for (const agor::ServiceSchema& schema : agor::AllServices()) {
    for (auto mode :
         {agor::WriteMode::kCreate, agor::WriteMode::kUpdate, agor::WriteMode::kPatch}) {
      Validate(schema, body, mode);
    }
  }
  return 0;
}
