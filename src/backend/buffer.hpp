#pragma once
// Owned, typed memory on one backend's side (MFEM's Memory with Ginkgo's executor binding).
// Host code may dereference data() only when !backend().is_device(); to_host()/from_host() are the
// explicit, blocking transfers.
#include <memory>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "core/error.hpp"

namespace hesscov::backend {

template <class T>
class Buffer {
 public:
  Buffer() = default;
  /// `count` uninitialised elements on `backend`'s side.
  Buffer(std::shared_ptr<const Backend> backend, index count)
      : backend_(std::move(backend)), count_(count) {
    HC_CHECK(count >= 0, core::DimensionMismatch, "negative buffer size");
    data_ = static_cast<T*>(backend_->allocate(static_cast<std::size_t>(count) * sizeof(T)));
  }
  /// A copy of host `values` on `backend`'s side.
  Buffer(std::shared_ptr<const Backend> backend, const std::vector<T>& values)
      : Buffer(std::move(backend), static_cast<index>(values.size())) {
    from_host(values);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& other) noexcept { swap(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    Buffer(std::move(other)).swap(*this);
    return *this;
  }
  ~Buffer() {
    if (data_ != nullptr) backend_->deallocate(data_);
  }

  [[nodiscard]] T* data() noexcept { return data_; }
  [[nodiscard]] const T* data() const noexcept { return data_; }
  [[nodiscard]] index size() const noexcept { return count_; }
  [[nodiscard]] const Backend& backend() const { return *backend_; }

  /// Blocking copy of the whole buffer into a new host vector.
  [[nodiscard]] std::vector<T> to_host() const {
    std::vector<T> host(static_cast<std::size_t>(count_));
    if (count_ > 0) backend_->copy_to_host(host.data(), data_, bytes());
    return host;
  }
  /// Blocking copy from host; `values` must have exactly size() elements.
  void from_host(const std::vector<T>& values) {
    HC_CHECK(static_cast<index>(values.size()) == count_, core::DimensionMismatch,
             "host vector of " + std::to_string(values.size()) + " elements copied into a buffer of " +
                 std::to_string(count_));
    if (count_ > 0) backend_->copy_from_host(data_, values.data(), bytes());
  }

 private:
  void swap(Buffer& other) noexcept {
    std::swap(backend_, other.backend_);
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
  }
  [[nodiscard]] std::size_t bytes() const { return static_cast<std::size_t>(count_) * sizeof(T); }

  std::shared_ptr<const Backend> backend_;
  T* data_ = nullptr;
  index count_ = 0;
};

}  // namespace hesscov::backend
