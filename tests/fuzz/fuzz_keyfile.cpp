// Fuzz harness: key files (node/keyfile.h), read by physisd --validator-key and physis-cli from a path
// the user gives. The reader takes a path, so each input is written to one temporary file first.
// Invariant: an accepted file yields a valid secp256k1 key.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "node/keyfile.h"

namespace {
// One file per process, removed at exit; the directory is TMPDIR or /tmp.
struct ScratchFile {
  std::string path;
  ScratchFile() {
    const char* dir = std::getenv("TMPDIR");
    path = std::string(dir ? dir : "/tmp") + "/physis-fuzz-keyfile-" + std::to_string(::getpid());
  }
  ~ScratchFile() { std::remove(path.c_str()); }
};
const std::string& scratch_path() {
  static const ScratchFile file;
  return file.path;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = scratch_path();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size != 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  auto key = physis::node::read_key_file(path);
  if (key.ok() && !physis::crypto::public_key_of(*key)) std::abort();
  return 0;
}
