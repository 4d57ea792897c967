// Corpus replay for the fuzz harnesses under g++ (STYLE: the same harness replays its corpus as a
// plain test). Feeds every file of the given corpus directories to LLVMFuzzerTestOneInput, then a
// fixed number of deterministic mutations of each (bit flips, truncations, splices), so that the
// ctest run explores beyond the seeds while staying reproducible. With clang, build the harness with
// -fsanitize=fuzzer instead (see tests/fuzz/README.md) and this file is not used.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
// A small deterministic generator (xorshift64*): test input only, never consensus.
struct Mutator {
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dULL;
  }
  std::vector<uint8_t> mutate(const std::vector<uint8_t>& seed, const std::vector<uint8_t>& other) {
    std::vector<uint8_t> out = seed;
    switch (next() % 4) {
      case 0:  // flip a few bits
        for (int i = 0, n = 1 + static_cast<int>(next() % 4); i < n && !out.empty(); ++i)
          out[next() % out.size()] ^= static_cast<uint8_t>(1u << (next() % 8));
        break;
      case 1:  // truncate
        if (!out.empty()) out.resize(next() % out.size());
        break;
      case 2:  // overwrite a byte with an interesting value
        if (!out.empty())
          out[next() % out.size()] = static_cast<uint8_t>(std::vector<int>{0, 0x7f, 0x80, 0xff}[next() % 4]);
        break;
      default:  // splice with another seed
        if (!other.empty()) {
          size_t cut = out.empty() ? 0 : next() % out.size();
          out.resize(cut);
          out.insert(out.end(), other.begin() + static_cast<long>(next() % other.size()), other.end());
        }
    }
    return out;
  }
};
}  // namespace

// Usage: fuzz_NAME [--mutations=N] CORPUS_DIR...   (N per seed, default 10000)
int main(int argc, char** argv) {
  std::vector<std::vector<uint8_t>> seeds;
  long mutations_per_seed = 10000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--mutations=")) {
      mutations_per_seed = std::strtol(argv[i] + 12, nullptr, 10);
      continue;
    }
    for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[i])) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no corpus files found\n");
    return 1;
  }
  Mutator m;
  size_t runs = 0;
  for (const auto& s : seeds) {
    LLVMFuzzerTestOneInput(s.data(), s.size());
    ++runs;
    for (long k = 0; k < mutations_per_seed; ++k) {
      auto input = m.mutate(s, seeds[m.next() % seeds.size()]);
      LLVMFuzzerTestOneInput(input.data(), input.size());
      ++runs;
    }
  }
  std::printf("%zu seeds, %zu inputs replayed without a crash\n", seeds.size(), runs);
  return 0;
}
