#pragma once
// Move-only owners of PETSc/SLEPc objects (STYLE.md "RAII handles"): the destructor calls the
// matching *Destroy, which takes the handle's address and clears it; destructors never throw.
#include <petscmat.h>
#include <slepceps.h>

#include <utility>

namespace hesscov::operators {

template <class Handle, PetscErrorCode (*Destroy)(Handle*)>
class PetscObjectOwner {
 public:
  PetscObjectOwner() = default;
  explicit PetscObjectOwner(Handle handle) : handle_(handle) {}
  PetscObjectOwner(const PetscObjectOwner&) = delete;
  PetscObjectOwner& operator=(const PetscObjectOwner&) = delete;
  PetscObjectOwner(PetscObjectOwner&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  PetscObjectOwner& operator=(PetscObjectOwner&& other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }
  ~PetscObjectOwner() {
    if (handle_ != nullptr) Destroy(&handle_);
  }
  [[nodiscard]] Handle get() const noexcept { return handle_; }
  /// For PETSc's creation functions: Create(..., owner.out()).
  [[nodiscard]] Handle* out() noexcept { return &handle_; }

 private:
  Handle handle_ = nullptr;
};

using PetscVec = PetscObjectOwner<Vec, VecDestroy>;
using PetscMat = PetscObjectOwner<Mat, MatDestroy>;
using PetscEps = PetscObjectOwner<EPS, EPSDestroy>;
using PetscScatter = PetscObjectOwner<VecScatter, VecScatterDestroy>;

}  // namespace hesscov::operators
