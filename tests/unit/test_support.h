// Helpers shared by the unit-test executables: fixed test keys and a per-test temporary directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "crypto/secp256k1.h"

namespace physis::test {

// A deterministic secp256k1 key: the scalar n (1..255). Test keys only.
inline crypto::PrivateKey key_n(uint8_t n) {
  crypto::PrivateKey k{};
  k[31] = n;
  return k;
}
inline Address address_of_key(const crypto::PrivateKey& k) {
  return crypto::address_of(*crypto::public_key_of(k));
}

// A fresh directory under the system temp dir, named after the running test, removed with everything
// in it when the object goes away.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("physis_test_" + std::string(info ? info->name() : "none") + "_" + std::to_string(::getpid()) +
             "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string str() const { return path_.string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace physis::test
