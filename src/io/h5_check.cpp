#include "io/h5_check.hpp"

namespace hesscov::io {
namespace {

// Walking downwards visits the API call first and the innermost cause last; the innermost
// description is the one that says what is wrong ("file signature not found", "no such file").
herr_t keep_innermost(unsigned, const H5E_error2_t* error, void* data) {
  if (error->desc != nullptr && error->desc[0] != '\0') *static_cast<std::string*>(data) = error->desc;
  return 0;
}

}  // namespace

std::string take_hdf5_message() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &message);
  H5Eclear2(H5E_DEFAULT);
  return message;
}

void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

}  // namespace hesscov::io
